import { describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../errors.js';
import { compose } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { circuitBreakerMiddleware, createCircuitBreaker, type CircuitStateChange } from './circuit-breaker.js';
import { CircuitOpenError } from './errors.js';
import { deferred, expectInvalidOption, flush, settle, testContext } from './__fixtures__/helpers.js';

const fail = (): Promise<never> => Promise.reject(new Error('dependency down'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('createCircuitBreaker, count mode', () => {
  it('opens after the threshold of consecutive failures and refuses calls without running them', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ name: 'payments', failureThreshold: 3, resetTimeoutMs: 1_000, clock });
    await expect(breaker.execute(fail)).rejects.toThrow('dependency down');
    await expect(breaker.execute(fail)).rejects.toThrow('dependency down');
    await breaker.execute(ok); // a success breaks the run
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(fail)).rejects.toThrow('dependency down');
    expect(breaker.state).toBe('open');

    await clock.advance(400);
    const fn = vi.fn(ok);
    const refused = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', breaker: 'payments', retryAfterMs: 600 });
    expect(breaker.stats()).toMatchObject({
      state: 'open',
      calls: 6,
      successes: 1,
      failures: 5,
      rejected: 1,
      opened: 1,
    });
  });

  it('turns half-open after the reset timeout, closes when the probe succeeds, and reports each transition', async () => {
    const clock = createFakeClock();
    const changes: CircuitStateChange[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      clock,
      onStateChange: (c) => changes.push(c),
    });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(999);
    expect(breaker.state).toBe('open');
    await clock.advance(1);
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => [c.from, c.to, c.at])).toEqual([
      ['closed', 'open', 0],
      ['open', 'half-open', 1_000],
      ['half-open', 'closed', 1_000],
    ]);
    expect(changes[0]!.reason).toBe('1 consecutive failures');
  });

  it('re-opens when a probe fails, and restarts the reset timeout from then', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 1_000, clock });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(1_000);
    await expect(breaker.execute(fail)).rejects.toThrow('dependency down');
    expect(breaker.state).toBe('open');
    await clock.advance(999);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    await clock.advance(1);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.stats().opened).toBe(2);
  });
});

/** Starts `burst` concurrent calls on a half-open breaker and returns how many actually ran. */
async function concurrentProbes(
  breaker: { execute<T>(fn: () => Promise<T>): Promise<T> },
  burst: number,
): Promise<{ ran: number; refused: number; release: () => void }> {
  const gate = deferred();
  let ran = 0;
  const calls = Array.from({ length: burst }, () =>
    settle(
      breaker.execute(async () => {
        ran += 1;
        await gate.promise;
        return 'probe ok';
      }),
    ),
  );
  await flush();
  const refused = calls.filter(
    (c) => c.result.status === 'rejected' && (c.result as { reason: unknown }).reason instanceof CircuitOpenError,
  ).length;
  return { ran, refused, release: () => gate.resolve() };
}

describe('half-open probes under concurrency', () => {
  it('admits exactly the configured number of probes; the rest are refused with CircuitOpenError', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, halfOpenProbes: 3, clock });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(100);
    const probes = await concurrentProbes(breaker, 50);
    expect(probes.ran).toBe(3);
    expect(probes.refused).toBe(47);
    expect(breaker.stats()).toMatchObject({ state: 'half-open', probesInFlight: 3, rejected: 47 });
    probes.release();
    await flush();
    expect(breaker.state).toBe('closed');
    const after = await concurrentProbes(breaker, 10);
    expect(after.ran).toBe(10);
    after.release();
  });

  it('negative control: the same check catches a breaker that counts finished probes instead of admitted ones', async () => {
    // The naive rule (admit while finished probes < N) lets every concurrent caller in, because
    // none has finished yet. The check above must be able to see that.
    const halfOpenProbes = 3;
    let finished = 0;
    const naive = {
      execute<T>(fn: () => Promise<T>): Promise<T> {
        if (finished >= halfOpenProbes) return Promise.reject(new CircuitOpenError('naive', 'half-open', 0));
        return fn().finally(() => {
          finished += 1;
        });
      },
    };
    const probes = await concurrentProbes(naive, 50);
    expect(probes.ran).not.toBe(halfOpenProbes);
    expect(probes.ran).toBe(50);
    probes.release();
  });

  it('ignores outcomes of calls admitted before the last transition', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, halfOpenProbes: 2, clock });
    const slow = deferred<string>();
    const slowCall = settle(breaker.execute(() => slow.promise)); // admitted while closed
    await expect(breaker.execute(fail)).rejects.toThrow(); // opens
    await clock.advance(100);
    const first = deferred<string>();
    const second = deferred<string>();
    const p1 = settle(breaker.execute(() => first.promise));
    const p2 = settle(breaker.execute(() => second.promise));
    slow.resolve('late'); // a success from the closed era must not count as a probe
    await flush();
    expect(slowCall.result).toEqual({ status: 'fulfilled', value: 'late' });
    expect(breaker.state).toBe('half-open');
    first.reject(new Error('still down'));
    await flush();
    expect(breaker.state).toBe('open');
    second.resolve('fine'); // a probe of the previous half-open period: ignored
    await flush();
    expect(breaker.state).toBe('open');
    expect(p1.result.status).toBe('rejected');
    expect(p2.result.status).toBe('fulfilled');
  });

  it('frees the probe slot of a caller that aborted, without judging the dependency', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, halfOpenProbes: 1, clock });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(100);
    await expect(breaker.execute(() => Promise.reject(new AbortedError('probe', undefined)))).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});

describe('a half-open probe that never settles', () => {
  const hang = (): Promise<never> => new Promise<never>(() => {});

  // Negative control: before probeTimeoutMs existed, the breaker stayed half-open with its one
  // probe slot taken, refusing every call for ever (the `toBe('open')` below failed).
  it('re-opens the circuit after probeTimeoutMs (default: resetTimeoutMs), then probes again', async () => {
    const clock = createFakeClock();
    const changes: CircuitStateChange[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      clock,
      onStateChange: (c) => changes.push(c),
    });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(1_000);
    const stuck = settle(breaker.execute(hang)); // the probe
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    await clock.advance(999);
    expect(breaker.state).toBe('half-open');
    await clock.advance(1);
    expect(breaker.state).toBe('open');
    await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 1_000 });
    await clock.advance(1_000);
    await expect(breaker.execute(ok)).resolves.toBe('ok'); // a fresh probe
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => [c.from, c.to, c.at, c.reason])).toEqual([
      ['closed', 'open', 0, '1 consecutive failures'],
      ['open', 'half-open', 1_000, 'reset timeout elapsed'],
      ['half-open', 'open', 2_000, 'a half-open probe did not settle within 1000 ms (probeTimeoutMs)'],
      ['open', 'half-open', 3_000, 'reset timeout elapsed'],
      ['half-open', 'closed', 3_000, '1 probe(s) succeeded'],
    ]);
    expect(breaker.stats()).toMatchObject({ probesTimedOut: 1, probesInFlight: 0 });
    expect(stuck.result).toEqual({ status: 'pending' }); // the hung call itself is not cancelled
  });

  it('honours a custom probeTimeoutMs, re-opens as of the deadline even when noticed late, and ignores the late outcome', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 1_000, probeTimeoutMs: 200, clock });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(1_000);
    const probe = deferred<string>();
    const late = settle(breaker.execute(() => probe.promise));
    await clock.advance(199);
    expect(breaker.state).toBe('half-open');
    // Nobody asks until well after deadline + reset timeout (1200 + 1000): a fresh probe is admitted at once.
    await clock.advance(5_000);
    const second = deferred<string>();
    const secondProbe = settle(breaker.execute(() => second.promise));
    expect(breaker.stats()).toMatchObject({ state: 'half-open', probesInFlight: 1, probesTimedOut: 1 });
    probe.resolve('late'); // the first probe's outcome belongs to an older generation: ignored
    await flush();
    expect(late.result).toEqual({ status: 'fulfilled', value: 'late' });
    expect(breaker.state).toBe('half-open');
    second.resolve('ok');
    await flush();
    expect(secondProbe.result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(breaker.state).toBe('closed');
  });
});

describe('createCircuitBreaker, rate mode', () => {
  it('judges the failure rate only once minimumCalls are in the window', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({
      failureRate: 0.5,
      windowMs: 10_000,
      minimumCalls: 6,
      resetTimeoutMs: 1_000,
      clock,
    });
    await breaker.execute(ok);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed'); // 2/5: under the minimum anyway
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.state).toBe('open'); // 3/6 = 0.5
    expect(breaker.stats()).toMatchObject({ windowCalls: 6, windowFailures: 3, opened: 1 });
  });

  it('forgets calls that slid out of the window', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureRate: 0.5, windowMs: 10_000, minimumCalls: 4, clock });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.stats()).toMatchObject({ windowCalls: 3, windowFailures: 3 });
    await clock.advance(10_000);
    expect(breaker.stats()).toMatchObject({ windowCalls: 0, windowFailures: 0 });
    await breaker.execute(ok);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed'); // 1/4 in the window; the three old failures are gone
  });

  it('counts errors rejected by isFailure as successes', async () => {
    const clock = createFakeClock();
    class NotFound extends Error {}
    const breaker = createCircuitBreaker({ failureThreshold: 2, clock, isFailure: (e) => !(e instanceof NotFound) });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(() => Promise.reject(new NotFound('no such order')))).rejects.toBeInstanceOf(NotFound);
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 2, consecutiveFailures: 1 });
  });
});

describe('listeners, reset, middleware, validation', () => {
  it('keeps working when a listener throws, and stops calling an unsubscribed one', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, clock });
    const seen: string[] = [];
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    const handle = breaker.onStateChange((c) => seen.push(c.to));
    await expect(breaker.execute(fail)).rejects.toThrow('dependency down');
    expect(seen).toEqual(['open']);
    handle.unsubscribe();
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(seen).toEqual(['open']);
  });

  it('as middleware, refuses the rest of the chain while open', async () => {
    const clock = createFakeClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, clock });
    const handler = vi.fn(() => {
      throw new Error('down');
    });
    const run = compose([circuitBreakerMiddleware(breaker)], handler);
    await expect(Promise.resolve(run(testContext()))).rejects.toThrow('down');
    await expect(Promise.resolve(run(testContext()))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('rejects zero, negative, NaN and contradictory settings', () => {
    expectInvalidOption(() => createCircuitBreaker({ failureThreshold: 0 }), 'failureThreshold', '0');
    expectInvalidOption(() => createCircuitBreaker({ failureThreshold: -2 }), 'failureThreshold', '-2');
    expectInvalidOption(() => createCircuitBreaker({ resetTimeoutMs: 0 }), 'resetTimeoutMs', '0');
    expectInvalidOption(() => createCircuitBreaker({ resetTimeoutMs: Number.NaN }), 'resetTimeoutMs', 'NaN');
    expectInvalidOption(() => createCircuitBreaker({ halfOpenProbes: 0 }), 'halfOpenProbes', '0');
    expectInvalidOption(() => createCircuitBreaker({ probeTimeoutMs: 0 }), 'probeTimeoutMs', '0');
    expectInvalidOption(() => createCircuitBreaker({ probeTimeoutMs: Number.NaN }), 'probeTimeoutMs', 'NaN');
    expectInvalidOption(() => createCircuitBreaker({ failureRate: 0 }), 'failureRate', '0');
    expectInvalidOption(() => createCircuitBreaker({ failureRate: 1.5 }), 'failureRate', '1.5');
    expectInvalidOption(() => createCircuitBreaker({ failureRate: Number.NaN }), 'failureRate', 'NaN');
    expectInvalidOption(() => createCircuitBreaker({ failureRate: 0.5, windowMs: -1 }), 'windowMs', '-1');
    expectInvalidOption(() => createCircuitBreaker({ failureRate: 0.5, minimumCalls: 0 }), 'minimumCalls', '0');
    expectInvalidOption(() => createCircuitBreaker({ failureRate: 0.5, failureThreshold: 3 }), 'failureThreshold', '3');
  });
});
