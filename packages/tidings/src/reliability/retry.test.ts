import { describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../errors.js';
import { compose } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { UnrecoverableError } from './errors.js';
import { backoffDelay, retry, retryMiddleware, type RetryEvent } from './retry.js';
import { drain, expectInvalidOption, flush, settle, testContext } from './__fixtures__/helpers.js';

const boom = (n: number): Error => new Error(`boom ${n}`);

describe('backoffDelay (full jitter)', () => {
  it('draws uniformly below an exponentially growing ceiling capped at maxDelayMs', () => {
    expect(backoffDelay(1, 100, 10_000, 2, 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 10_000, 2, 0.5)).toBe(200);
    expect(backoffDelay(10, 100, 1_000, 2, 0.5)).toBe(500);
    expect(backoffDelay(4, 100, 10_000, 2, 0)).toBe(0);
  });
});

describe('retry', () => {
  it('retries with full-jitter backoff on the clock and passes the attempt number', async () => {
    const clock = createFakeClock();
    const seen: number[] = [];
    const events: RetryEvent[] = [];
    const fn = vi.fn(({ attempt }: { attempt: number }) => {
      seen.push(attempt);
      if (attempt < 4) throw boom(attempt);
      return 'ok';
    });
    const result = settle(
      retry(fn, { maxAttempts: 5, baseDelayMs: 100, clock, random: () => 0.5, onRetry: (e) => events.push(e) }),
    );
    await flush();
    expect(seen).toEqual([1]);
    await clock.advance(49);
    expect(seen).toEqual([1]); // first backoff is 0.5 * 100 = 50 ms
    await clock.advance(1);
    expect(seen).toEqual([1, 2]);
    await clock.advance(99);
    expect(seen).toEqual([1, 2]); // second: 0.5 * 200
    await clock.advance(1);
    expect(seen).toEqual([1, 2, 3]);
    await clock.advance(200);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(result.result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(events.map((e) => [e.attempt, e.delayMs, (e.error as Error).message])).toEqual([
      [1, 50, 'boom 1'],
      [2, 100, 'boom 2'],
      [3, 200, 'boom 3'],
    ]);
  });

  it('rethrows the last error unchanged when attempts run out', async () => {
    const clock = createFakeClock();
    const errors: Error[] = [];
    const result = settle(
      retry(
        ({ attempt }) => {
          const e = boom(attempt);
          errors.push(e);
          throw e;
        },
        { maxAttempts: 3, baseDelayMs: 10, clock, random: () => 0.99 },
      ),
    );
    await drain(clock);
    expect(errors).toHaveLength(3);
    expect(result.result).toEqual({ status: 'rejected', reason: errors[2] });
  });

  it('never waits longer than maxDelayMs', async () => {
    const clock = createFakeClock();
    const delays: number[] = [];
    const result = settle(
      retry(
        () => {
          throw boom(0);
        },
        {
          maxAttempts: 8,
          baseDelayMs: 100,
          maxDelayMs: 300,
          clock,
          random: () => 0.9999,
          onRetry: (e) => delays.push(e.delayMs),
        },
      ),
    );
    await drain(clock);
    expect(result.result.status).toBe('rejected');
    expect(delays).toEqual([99, 199, 299, 299, 299, 299, 299]);
  });

  it('stops when the retryable predicate says no, and tells it the attempt', async () => {
    const clock = createFakeClock();
    const asked: Array<[string, number]> = [];
    const fn = vi.fn(({ attempt }: { attempt: number }) => {
      throw boom(attempt);
    });
    const result = settle(
      retry(fn, {
        maxAttempts: 10,
        clock,
        retryable: (error, attempt) => {
          asked.push([(error as Error).message, attempt]);
          return attempt < 2;
        },
      }),
    );
    await drain(clock);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(asked).toEqual([
      ['boom 1', 1],
      ['boom 2', 2],
    ]);
    expect((result.result as { reason: Error }).reason.message).toBe('boom 2');
  });

  it('stops on UnrecoverableError whatever the predicate says', async () => {
    const clock = createFakeClock();
    const fatal = new UnrecoverableError('order does not exist');
    const fn = vi.fn(() => {
      throw fatal;
    });
    const retryable = vi.fn(() => true);
    const result = settle(retry(fn, { maxAttempts: 5, clock, retryable }));
    await flush();
    expect(result.result).toEqual({ status: 'rejected', reason: fatal });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(retryable).not.toHaveBeenCalled();
    expect(clock.pending()).toBe(0);
  });

  it('stops on abort during the backoff, cancels the timer and rejects with AbortedError', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const fn = vi.fn(() => {
      throw boom(1);
    });
    const result = settle(
      retry(fn, { maxAttempts: 5, baseDelayMs: 1_000, clock, random: () => 0.5, signal: controller.signal }),
    );
    await flush();
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.pending()).toBe(1);
    controller.abort(new Error('shutting down'));
    await flush();
    expect(result.result.status).toBe('rejected');
    const reason = (result.result as { reason: AbortedError }).reason;
    expect(reason).toBeInstanceOf(AbortedError);
    expect(reason.code).toBe('ABORTED');
    expect((reason.cause as Error).message).toBe('shutting down');
    expect(clock.pending()).toBe(0);
    await clock.advance(10_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects at once when aborted during an attempt that ignores its signal, and starts no other', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    let received: AbortSignal | undefined;
    const fn = vi.fn(({ signal }: { signal: AbortSignal | undefined }) => {
      received = signal;
      return new Promise<never>(() => undefined);
    });
    const result = settle(retry(fn, { maxAttempts: 5, clock, signal: controller.signal }));
    await flush();
    expect(received).toBe(controller.signal);
    controller.abort();
    await flush();
    expect((result.result as { reason: unknown }).reason).toBeInstanceOf(AbortedError);
    await drain(clock);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('does not start when the signal is already aborted', async () => {
    const fn = vi.fn(() => 'never');
    await expect(retry(fn, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects zero, negative, NaN and fractional settings before running anything', async () => {
    const fn = vi.fn(() => 'never');
    expectInvalidOption(() => retryMiddleware({ maxAttempts: 0 }), 'maxAttempts', '0');
    expectInvalidOption(() => retryMiddleware({ maxAttempts: -1 }), 'maxAttempts', '-1');
    expectInvalidOption(() => retryMiddleware({ maxAttempts: 2.5 }), 'maxAttempts', '2.5');
    expectInvalidOption(() => retryMiddleware({ maxAttempts: Number.NaN }), 'maxAttempts', 'NaN');
    expectInvalidOption(() => retryMiddleware({ baseDelayMs: 0 }), 'baseDelayMs', '0');
    expectInvalidOption(() => retryMiddleware({ baseDelayMs: -5 }), 'baseDelayMs', '-5');
    expectInvalidOption(() => retryMiddleware({ maxDelayMs: Number.NaN }), 'maxDelayMs', 'NaN');
    expectInvalidOption(() => retryMiddleware({ baseDelayMs: 500, maxDelayMs: 100 }), 'maxDelayMs', '100');
    expectInvalidOption(() => retryMiddleware({ factor: 0.5 }), 'factor', '0.5');
    await expect(retry(fn, { maxAttempts: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('retryMiddleware', () => {
  it('re-runs the rest of the chain, shows the attempt on ctx and leaves it at the last one', async () => {
    const clock = createFakeClock();
    const seen: number[] = [];
    const handler = compose([retryMiddleware({ maxAttempts: 3, baseDelayMs: 10, clock })], (ctx) => {
      seen.push(ctx.attempt);
      if (ctx.attempt < 3) throw boom(ctx.attempt);
      return `done on ${ctx.attempt}`;
    });
    const ctx = testContext();
    const result = settle(Promise.resolve(handler(ctx)));
    await drain(clock);
    expect(result.result).toEqual({ status: 'fulfilled', value: 'done on 3' });
    expect(seen).toEqual([1, 2, 3]);
    expect(ctx.attempt).toBe(3);
  });

  it('stops when ctx.signal aborts', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    let calls = 0;
    const handler = compose([retryMiddleware({ maxAttempts: 5, baseDelayMs: 100, clock })], () => {
      calls += 1;
      throw boom(calls);
    });
    const result = settle(Promise.resolve(handler(testContext({ signal: controller.signal }))));
    await flush();
    controller.abort();
    await drain(clock);
    expect((result.result as { reason: unknown }).reason).toBeInstanceOf(AbortedError);
    expect(calls).toBe(1);
  });
});
