import { describe, expect, it } from 'vitest';
import { AbortedError, TimeoutError } from '../errors.js';
import { compose, type MiddlewareContext } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { createBulkhead } from './bulkhead.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createDeadLetterStore } from './dead-letter-store.js';
import { BulkheadFullError, CircuitOpenError, RateLimitedError } from './errors.js';
import { createRateLimiter } from './rate-limiter.js';
import { reliabilityStack } from './stack.js';
import { drain, flush, settle, testContext } from './__fixtures__/helpers.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');

type Mode = 'flaky-once' | 'down' | 'hang' | 'slow';

/** Builds the documented stack around a dependency whose behaviour follows `mode`. */
function setup() {
  const clock = createFakeClock({ now: T0 });
  const transitions: string[] = [];
  const calls: Array<{ id: string; attempt: number; at: number }> = [];
  const abortedSignals: string[] = [];
  const script = { mode: 'flaky-once' as Mode };
  const limiter = createRateLimiter({ strategy: 'token-bucket', name: 'api', capacity: 5, refillPerSecond: 5, clock });
  const breaker = createCircuitBreaker({
    name: 'warehouse',
    failureThreshold: 2,
    resetTimeoutMs: 1_000,
    halfOpenProbes: 1,
    clock,
    onStateChange: (c) => transitions.push(`${c.from}->${c.to}@${c.at - T0}`),
  });
  const bulkhead = createBulkhead({ name: 'warehouse', maxConcurrent: 2, maxQueued: 1 });
  const deadLetters = createDeadLetterStore({ clock });
  const middleware = reliabilityStack({
    deadLetter: { store: deadLetters },
    rateLimiter: limiter,
    circuitBreaker: breaker,
    bulkhead,
    timeoutMs: 500,
    retry: { maxAttempts: 3, baseDelayMs: 40, random: () => 0.5 }, // backoffs: 20 ms, then 40 ms
    clock,
  });
  const handler = async (ctx: MiddlewareContext): Promise<string> => {
    const signal = ctx.signal!;
    calls.push({ id: ctx.message.id, attempt: ctx.attempt, at: clock.now() - T0 });
    switch (script.mode) {
      case 'flaky-once':
        if (ctx.attempt === 1) throw new Error('blip');
        return `ok:${ctx.message.id}`;
      case 'down':
        throw new Error('warehouse down');
      case 'hang':
        return new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => {
            abortedSignals.push(ctx.message.id);
            reject(new AbortedError('warehouse call', signal.reason));
          });
        });
      case 'slow':
        await clock.sleep(100, signal);
        return `ok:${ctx.message.id}`;
    }
  };
  const run = compose(middleware, handler);
  const send = (id: string) => settle(Promise.resolve(run(testContext({ id, handler: 'warehouse-sync' }))));
  return { clock, transitions, calls, abortedSignals, script, limiter, breaker, bulkhead, deadLetters, send };
}

const reasonOf = (box: ReturnType<ReturnType<typeof setup>['send']>): unknown =>
  box.result.status === 'rejected' ? box.result.reason : undefined;

describe('the composed stack: rate limit -> breaker -> bulkhead -> timeout -> retry -> handler', () => {
  it('behaves as documented in stack.ts under failures injected on a schedule', async () => {
    const s = setup();

    // t=0, a blip: retry hides it; the breaker sees one successful message.
    const m1 = s.send('m1');
    await drain(s.clock);
    expect(m1.result).toEqual({ status: 'fulfilled', value: 'ok:m1' });
    expect(s.calls.filter((c) => c.id === 'm1')).toEqual([
      { id: 'm1', attempt: 1, at: 0 },
      { id: 'm1', attempt: 2, at: 20 },
    ]);
    expect(s.breaker.stats()).toMatchObject({ state: 'closed', successes: 1, failures: 0 });

    // The dependency goes down: each message exhausts its 3 attempts, then counts once; 2 open the circuit.
    s.script.mode = 'down';
    const m2 = s.send('m2');
    const m3 = s.send('m3');
    await drain(s.clock);
    expect((reasonOf(m2) as Error).message).toBe('warehouse down');
    expect((reasonOf(m3) as Error).message).toBe('warehouse down');
    expect(s.calls.filter((c) => c.id === 'm2').map((c) => [c.attempt, c.at])).toEqual([
      [1, 20],
      [2, 40],
      [3, 80],
    ]);
    expect(s.transitions).toEqual(['closed->open@80']);

    // Open: refused at once, no bulkhead slot, no handler call.
    const completedBefore = s.bulkhead.stats().completed;
    const m4 = s.send('m4');
    await flush();
    expect(reasonOf(m4)).toBeInstanceOf(CircuitOpenError);
    expect(s.calls.some((c) => c.id === 'm4')).toBe(false);
    expect(s.bulkhead.stats().completed).toBe(completedBefore);

    // After the reset timeout the dependency hangs: one probe is admitted, the other refused;
    // the timeout bounds the probe, aborts its signal, stops retry, and the circuit re-opens.
    await s.clock.advance(1_000);
    s.script.mode = 'hang';
    const m5 = s.send('m5');
    const m6 = s.send('m6');
    await flush();
    expect(reasonOf(m6)).toBeInstanceOf(CircuitOpenError);
    await s.clock.advance(499);
    expect(m5.result.status).toBe('pending');
    await s.clock.advance(1);
    expect(reasonOf(m5)).toBeInstanceOf(TimeoutError);
    expect(s.abortedSignals).toEqual(['m5']);
    await drain(s.clock);
    expect(s.calls.filter((c) => c.id === 'm5')).toHaveLength(1); // no attempt after the timeout
    expect(s.transitions).toEqual(['closed->open@80', 'open->half-open@1080', 'half-open->open@1580']);

    // Recovered and slow: the probe closes the circuit. Then a burst of 8: the rate limiter lets 5
    // through, the bulkhead runs 2, queues 1 and refuses 2 — and those refusals do not re-open
    // the circuit (failureThreshold is 2): local overload is not a dependency failure.
    await s.clock.advance(1_000);
    s.script.mode = 'slow';
    const m7 = s.send('m7');
    await drain(s.clock);
    expect(m7.result).toEqual({ status: 'fulfilled', value: 'ok:m7' });
    expect(s.breaker.state).toBe('closed');
    await s.clock.advance(1_000); // let the bucket refill to its capacity of 5
    const burst = ['m8', 'm9', 'm10', 'm11', 'm12', 'm13', 'm14', 'm15'].map((id) => [id, s.send(id)] as const);
    await drain(s.clock);
    const outcome = (box: (typeof burst)[number][1]): string => {
      if (box.result.status === 'fulfilled') return 'ok';
      const reason = reasonOf(box);
      if (reason instanceof RateLimitedError) return 'rate-limited';
      if (reason instanceof BulkheadFullError) return 'bulkhead-full';
      return String(reason);
    };
    expect(Object.fromEntries(burst.map(([id, box]) => [id, outcome(box)]))).toEqual({
      m8: 'ok',
      m9: 'ok',
      m10: 'ok',
      m11: 'bulkhead-full',
      m12: 'bulkhead-full',
      m13: 'rate-limited',
      m14: 'rate-limited',
      m15: 'rate-limited',
    });
    expect(s.breaker.state).toBe('closed');
    expect(s.transitions).toEqual([
      'closed->open@80',
      'open->half-open@1080',
      'half-open->open@1580',
      'open->half-open@2580',
      'half-open->closed@2680',
    ]);
    expect(s.bulkhead.stats()).toMatchObject({ highestActive: 2, highestQueued: 1, rejected: 2, active: 0, queued: 0 });
    expect(s.limiter.stats()).toMatchObject({ rejected: 3 });

    // Dead letters: everything the stack gave up on, with the attempts retry made.
    const letters = await s.deadLetters.list();
    expect(letters.map((l) => [l.message.id, l.error.name, l.attempts])).toEqual([
      ['m2', 'Error', 3],
      ['m3', 'Error', 3],
      ['m4', 'CircuitOpenError', 1],
      ['m6', 'CircuitOpenError', 1],
      ['m5', 'TimeoutError', 1],
      ['m13', 'RateLimitedError', 1],
      ['m14', 'RateLimitedError', 1],
      ['m15', 'RateLimitedError', 1],
      ['m11', 'BulkheadFullError', 1],
      ['m12', 'BulkheadFullError', 1],
    ]);
    const m2Letter = letters[0]!;
    expect(m2Letter.firstFailedAt.getTime() - T0).toBe(20);
    expect(m2Letter.lastFailedAt.getTime() - T0).toBe(80);
  });
});
