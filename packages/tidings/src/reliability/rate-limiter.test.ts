import { describe, expect, it } from 'vitest';
import { AbortedError } from '../errors.js';
import { compose } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { RateLimitedError } from './errors.js';
import { createRateLimiter, rateLimitMiddleware } from './rate-limiter.js';
import { drain, expectInvalidOption, flush, settle, testContext } from './__fixtures__/helpers.js';

/** Offers one call every `everyMs` for `durationMs` of fake time; returns the admission times. */
async function offer(
  limiter: { tryAcquire(): boolean },
  clock: ReturnType<typeof createFakeClock>,
  everyMs: number,
  durationMs: number,
): Promise<number[]> {
  const admittedAt: number[] = [];
  for (let t = 0; t <= durationMs; t += everyMs) {
    if (clock.now() < t) await clock.advance(t - clock.now());
    if (limiter.tryAcquire()) admittedAt.push(clock.now());
  }
  return admittedAt;
}

/** The most admissions found in any interval of `spanMs` (closed at both ends). */
function busiest(admittedAt: readonly number[], spanMs: number): number {
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < admittedAt.length; hi++) {
    while (admittedAt[hi]! - admittedAt[lo]! > spanMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

describe('token bucket', () => {
  it('admits a burst up to capacity, then refuses with the time until the next token', async () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({
      strategy: 'token-bucket',
      name: 'partner-api',
      capacity: 5,
      refillPerSecond: 2,
      clock,
    });
    for (let i = 0; i < 5; i++) await limiter.acquire();
    const refused = await limiter.acquire().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', limiter: 'partner-api', retryAfterMs: 500 });
    await clock.advance(499);
    expect(limiter.tryAcquire()).toBe(false);
    await clock.advance(1);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.stats()).toMatchObject({ admitted: 6, rejected: 1, waiting: 0 });
  });

  it('over a simulated minute stays within capacity + refill, in total and in every sub-interval', async () => {
    const clock = createFakeClock();
    const capacity = 10;
    const refillPerSecond = 5;
    const limiter = createRateLimiter({ strategy: 'token-bucket', capacity, refillPerSecond, clock });
    const admittedAt = await offer(limiter, clock, 10, 60_000);
    expect(admittedAt.length).toBeLessThanOrEqual(capacity + refillPerSecond * 60);
    expect(admittedAt.length).toBeGreaterThanOrEqual(capacity + refillPerSecond * 60 - 1); // and does not under-admit
    for (const span of [0, 100, 1_000, 5_000, 30_000]) {
      expect(busiest(admittedAt, span)).toBeLessThanOrEqual(capacity + Math.floor((refillPerSecond * span) / 1_000));
    }
  });

  it('keeps fractional refill: 0.3 tokens per second over a minute is 18 more calls, not 0', async () => {
    const clock = createFakeClock();
    // Capacity 2 so the part of a token that accrues between two offers is never capped away.
    const limiter = createRateLimiter({ strategy: 'token-bucket', capacity: 2, refillPerSecond: 0.3, clock });
    const admittedAt = await offer(limiter, clock, 50, 60_000);
    expect(admittedAt.length).toBe(2 + 18);
  });
});

describe('sliding window', () => {
  it('over a simulated minute never admits more than the limit in any window', async () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({ strategy: 'sliding-window', limit: 100, windowMs: 1_000, clock });
    const admittedAt = await offer(limiter, clock, 1, 60_000);
    expect(busiest(admittedAt, 999)).toBe(100);
    expect(admittedAt.length).toBeLessThanOrEqual(100 * 61);
    expect(admittedAt.length).toBeGreaterThanOrEqual(100 * 60);
  });

  it('negative control: the any-window check catches a fixed-window counter bursting at the boundary', async () => {
    const clock = createFakeClock();
    let windowStart = 0;
    let count = 0;
    const fixed = {
      tryAcquire(): boolean {
        if (clock.now() - windowStart >= 1_000) {
          windowStart = clock.now() - ((clock.now() - windowStart) % 1_000);
          count = 0;
        }
        if (count >= 100) return false;
        count += 1;
        return true;
      },
    };
    // Quiet for most of each window, then a rush just before and after the boundary.
    const admittedAt: number[] = [];
    for (let t = 900; t <= 1_100; t += 1) {
      await clock.advance(t - clock.now());
      if (fixed.tryAcquire()) admittedAt.push(t);
    }
    expect(busiest(admittedAt, 999)).toBeGreaterThan(100);
  });

  it('reports when the oldest call leaves the window', async () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({ strategy: 'sliding-window', limit: 2, windowMs: 1_000, clock });
    await limiter.acquire();
    await clock.advance(300);
    await limiter.acquire();
    await expect(limiter.acquire()).rejects.toMatchObject({ retryAfterMs: 700 });
    await clock.advance(699);
    expect(limiter.tryAcquire()).toBe(false);
    await clock.advance(1); // the call made at 0 leaves the window at exactly 1 000
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
  });
});

describe('wait mode', () => {
  it('queues callers in order and releases each when a permit frees up, with one timer at a time', async () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({
      strategy: 'token-bucket',
      capacity: 1,
      refillPerSecond: 10,
      mode: 'wait',
      clock,
    });
    const released: Array<[string, number]> = [];
    const callers = ['a', 'b', 'c', 'd'].map((name) =>
      limiter.acquire().then(() => {
        released.push([name, clock.now()]);
      }),
    );
    await flush();
    expect(released).toEqual([['a', 0]]);
    expect(limiter.stats().waiting).toBe(3);
    expect(clock.pending()).toBe(1);
    expect(limiter.tryAcquire()).toBe(false); // nobody jumps the queue
    await drain(clock);
    await Promise.all(callers);
    expect(released).toEqual([
      ['a', 0],
      ['b', 100],
      ['c', 200],
      ['d', 300],
    ]);
    expect(limiter.stats()).toMatchObject({ admitted: 4, waiting: 0, highestWaiting: 3 });
    expect(clock.pending()).toBe(0);
  });

  it('refuses beyond maxWaiting and withdraws a waiter whose signal aborts', async () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({
      strategy: 'sliding-window',
      limit: 1,
      windowMs: 1_000,
      mode: 'wait',
      maxWaiting: 1,
      clock,
    });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = settle(limiter.acquire({ signal: controller.signal }));
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitedError);
    controller.abort();
    await flush();
    expect((waiting.result as { reason: unknown }).reason).toBeInstanceOf(AbortedError);
    expect(limiter.stats().waiting).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('as middleware, a message waits for its permit before the rest of the chain runs', async () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({
      strategy: 'token-bucket',
      capacity: 1,
      refillPerSecond: 1,
      mode: 'wait',
      clock,
    });
    const ranAt: number[] = [];
    const run = compose([rateLimitMiddleware(limiter)], () => {
      ranAt.push(clock.now());
    });
    const both = Promise.all([run(testContext()), run(testContext())]);
    await drain(clock);
    await both;
    expect(ranAt).toEqual([0, 1_000]);
  });
});

describe('validation', () => {
  it('rejects zero, negative, NaN and unknown settings', () => {
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'token-bucket', capacity: 0, refillPerSecond: 1 }),
      'capacity',
      '0',
    );
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'token-bucket', capacity: -3, refillPerSecond: 1 }),
      'capacity',
      '-3',
    );
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'token-bucket', capacity: 1, refillPerSecond: 0 }),
      'refillPerSecond',
      '0',
    );
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'token-bucket', capacity: 1, refillPerSecond: Number.NaN }),
      'refillPerSecond',
      'NaN',
    );
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'sliding-window', limit: 0, windowMs: 1_000 }),
      'limit',
      '0',
    );
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'sliding-window', limit: 1, windowMs: -1 }),
      'windowMs',
      '-1',
    );
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'sliding-window', limit: 1, windowMs: 1, maxWaiting: -1 }),
      'maxWaiting',
      '-1',
    );
    expectInvalidOption(
      () => createRateLimiter({ strategy: 'sliding-window', limit: 1, windowMs: 1, mode: 'queue' as 'wait' }),
      'mode',
      '"queue"',
    );
    expectInvalidOption(() => createRateLimiter({ strategy: 'leaky' } as never), 'strategy', '"leaky"');
  });
});
