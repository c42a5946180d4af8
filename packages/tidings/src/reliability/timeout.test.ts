import { describe, expect, it } from 'vitest';
import { AbortedError, TimeoutError } from '../errors.js';
import { compose } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { retryMiddleware } from './retry.js';
import { timeoutMiddleware, withTimeout } from './timeout.js';
import { deferred, expectInvalidOption, flush, settle, testContext } from './__fixtures__/helpers.js';

describe('withTimeout', () => {
  it('returns the result and clears its timer when the work finishes in time', async () => {
    const clock = createFakeClock();
    const work = deferred<string>();
    const result = settle(withTimeout(() => work.promise, 1_000, { clock }));
    expect(clock.pending()).toBe(1);
    work.resolve('fast');
    await flush();
    expect(result.result).toEqual({ status: 'fulfilled', value: 'fast' });
    expect(clock.pending()).toBe(0);
  });

  it('clears its timer when the work fails, and rethrows that failure', async () => {
    const clock = createFakeClock();
    const failure = new Error('nope');
    await expect(withTimeout(() => Promise.reject(failure), 1_000, { clock })).rejects.toBe(failure);
    await expect(
      withTimeout(
        () => {
          throw failure;
        },
        1_000,
        { clock },
      ),
    ).rejects.toBe(failure);
    expect(clock.pending()).toBe(0);
  });

  it('aborts the signal it gave the work and rejects with TimeoutError at once, even if the work ignores it', async () => {
    const clock = createFakeClock();
    let given: AbortSignal | undefined;
    const result = settle(
      withTimeout(
        (signal) => {
          given = signal;
          return new Promise<never>(() => undefined);
        },
        250,
        { clock, name: 'fetch rates' },
      ),
    );
    await clock.advance(249);
    expect(given?.aborted).toBe(false);
    expect(result.result.status).toBe('pending');
    await clock.advance(1);
    expect(given?.aborted).toBe(true);
    const reason = (result.result as { reason: TimeoutError }).reason;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(reason.timeoutMs).toBe(250);
    expect(reason.message).toContain('fetch rates did not finish within 250 ms');
    expect(given?.reason).toBe(reason);
  });

  it('follows an outer signal: aborting it aborts the work and rejects with AbortedError, not TimeoutError', async () => {
    const clock = createFakeClock();
    const outer = new AbortController();
    let given: AbortSignal | undefined;
    const result = settle(
      withTimeout(
        (signal) => {
          given = signal;
          return new Promise<never>(() => undefined);
        },
        1_000,
        { clock, signal: outer.signal },
      ),
    );
    outer.abort(new Error('client went away'));
    await flush();
    expect(given?.aborted).toBe(true);
    expect((result.result as { reason: unknown }).reason).toBeInstanceOf(AbortedError);
    expect(clock.pending()).toBe(0);
  });

  it('does not start the work when the outer signal is already aborted', async () => {
    let ran = false;
    await expect(
      withTimeout(
        () => {
          ran = true;
        },
        100,
        { signal: AbortSignal.abort() },
      ),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(ran).toBe(false);
  });

  it('rejects zero, negative, NaN and infinite limits', async () => {
    expectInvalidOption(() => timeoutMiddleware(0), 'ms', '0');
    expectInvalidOption(() => timeoutMiddleware(-1), 'ms', '-1');
    expectInvalidOption(() => timeoutMiddleware(Number.NaN), 'ms', 'NaN');
    expectInvalidOption(() => timeoutMiddleware(Number.POSITIVE_INFINITY), 'ms', 'Infinity');
    let ran = false;
    await expect(
      withTimeout(() => {
        ran = true;
      }, 0),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(ran).toBe(false);
  });
});

describe('timeoutMiddleware', () => {
  it('gives the handler a narrower ctx.signal linked to the outer one and restores the outer afterwards', async () => {
    const clock = createFakeClock();
    const outer = new AbortController();
    const ctx = testContext({ signal: outer.signal, handler: 'slow-handler' });
    let seen: AbortSignal | undefined;
    const run = compose([timeoutMiddleware(100, { clock })], (c) => {
      seen = c.signal;
      return new Promise<never>(() => undefined);
    });
    const result = settle(Promise.resolve(run(ctx)));
    await flush();
    expect(seen).toBeDefined();
    expect(seen).not.toBe(outer.signal);
    await clock.advance(100);
    expect(seen?.aborted).toBe(true);
    expect(outer.signal.aborted).toBe(false);
    const reason = (result.result as { reason: TimeoutError }).reason;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(reason.message).toContain("handle of 'order.paid' by 'slow-handler'");
    expect(ctx.signal).toBe(outer.signal);
    expect(clock.pending()).toBe(0);
  });

  it('bounds each attempt when placed inside retry: every attempt gets a fresh signal', async () => {
    const clock = createFakeClock();
    const signals: AbortSignal[] = [];
    const run = compose(
      [retryMiddleware({ maxAttempts: 2, baseDelayMs: 1, clock, random: () => 0 }), timeoutMiddleware(50, { clock })],
      (c) => {
        signals.push(c.signal!);
        return c.attempt === 1 ? new Promise<never>(() => undefined) : 'second attempt';
      },
    );
    const result = settle(Promise.resolve(run(testContext())));
    await flush();
    await clock.advance(50);
    await flush();
    expect(result.result).toEqual({ status: 'fulfilled', value: 'second attempt' });
    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(false);
    expect(clock.pending()).toBe(0);
  });
});
