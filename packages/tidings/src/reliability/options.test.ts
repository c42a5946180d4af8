import { describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../errors.js';
import { createBulkhead } from './bulkhead.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { deadLetterMiddleware } from './dead-letter.js';
import { createDeadLetterStore } from './dead-letter-store.js';
import { idempotencyMiddleware, idempotent } from './idempotency.js';
import { createIdempotencyStore } from './idempotency-store.js';
import { createRateLimiter } from './rate-limiter.js';
import { retry, retryMiddleware } from './retry.js';
import { reliabilityStack } from './stack.js';
import { timeoutMiddleware, withTimeout } from './timeout.js';

// Negative control for this file: before the key checks, every misspelt key below was silently
// ignored (a retry with its default 3 attempts instead of the intended count, a rate limiter
// without its intended window, …), so each refusal asserted here did not happen.

type Attempt = () => unknown;

/** Runs `attempt` (a throw or a rejection) and returns the error. */
async function refusal(attempt: Attempt): Promise<unknown> {
  try {
    await attempt();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal, got none');
}

function expectRefusal(error: unknown, code: string, key: string, accepted: readonly string[] = []): void {
  expect(error).toBeInstanceOf(ValidationError);
  const e = error as ValidationError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(key);
  for (const name of accepted) expect(e.message).toContain(name);
}

describe('every reliability factory refuses unknown keys and non-object options', () => {
  const fn = vi.fn(() => 'ran');
  const store = createIdempotencyStore();
  const deadLetters = createDeadLetterStore();

  const cases: [name: string, attempt: Attempt, key: string, accepted: readonly string[]][] = [
    ['retry', () => retry(fn, { maxAtempts: 5 } as never), "'maxAtempts'", ['maxAttempts', 'baseDelayMs', 'signal']],
    [
      'retryMiddleware (no signal option)',
      () => retryMiddleware({ signal: AbortSignal.timeout(1) } as never),
      "'signal'",
      ['maxAttempts'],
    ],
    [
      'withTimeout',
      () => withTimeout(fn, 10, { sginal: AbortSignal.timeout(1) } as never),
      "'sginal'",
      ['signal', 'clock', 'name'],
    ],
    ['timeoutMiddleware', () => timeoutMiddleware(10, { name: 'x' } as never), "'name'", ['clock']],
    [
      'createCircuitBreaker',
      () => createCircuitBreaker({ resetTimeout: 5_000 } as never),
      "'resetTimeout'",
      ['resetTimeoutMs', 'probeTimeoutMs'],
    ],
    ['createBulkhead', () => createBulkhead({ maxConcurrent: 2, maxQueue: 10 } as never), "'maxQueue'", ['maxQueued']],
    [
      'createRateLimiter (a sliding-window key on a token bucket)',
      () => createRateLimiter({ strategy: 'token-bucket', capacity: 5, refillPerSecond: 1, windowMs: 1_000 } as never),
      "'windowMs'",
      ['capacity', 'refillPerSecond', 'mode'],
    ],
    [
      'createRateLimiter (sliding window)',
      () => createRateLimiter({ strategy: 'sliding-window', limit: 5, window: 1_000 } as never),
      "'window'",
      ['limit', 'windowMs'],
    ],
    [
      'idempotent',
      () => idempotent(fn, { store, key: 'k', ttl: 1_000 } as never),
      "'ttl'",
      ['ttlMs', 'leaseMs', 'key', 'signal'],
    ],
    ['idempotencyMiddleware', () => idempotencyMiddleware({ store, leaseMS: 10 } as never), "'leaseMS'", ['leaseMs']],
    [
      'createIdempotencyStore',
      () => createIdempotencyStore({ maxEntry: 10 } as never),
      "'maxEntry'",
      ['maxEntries', 'onFull'],
    ],
    [
      'deadLetterMiddleware',
      () => deadLetterMiddleware({ store: deadLetters, rethrows: false } as never),
      "'rethrows'",
      ['rethrow'],
    ],
    ['createDeadLetterStore', () => createDeadLetterStore({ max: 10 } as never), "'max'", ['maxEntries']],
    [
      'DeadLetterStore.list',
      () => deadLetters.list({ hander: 'x' } as never),
      "'hander'",
      ['handler', 'type', 'limit'],
    ],
    [
      'reliabilityStack',
      () => reliabilityStack({ retries: { maxAttempts: 2 } } as never),
      "'retries'",
      ['retry', 'timeoutMs', 'deadLetter'],
    ],
    [
      'reliabilityStack (nested retry)',
      () => reliabilityStack({ retry: { attempts: 2 } } as never),
      "'attempts'",
      ['maxAttempts'],
    ],
  ];

  it.each(cases)(
    '%s: UNKNOWN_OPTION naming the key and the accepted ones; nothing runs',
    async (_name, attempt, key, accepted) => {
      expectRefusal(await refusal(attempt), 'UNKNOWN_OPTION', key, accepted);
      expect(fn).not.toHaveBeenCalled();
    },
  );

  it.each<[string, Attempt]>([
    ['retry', () => retry(fn, 3 as never)],
    ['withTimeout', () => withTimeout(fn, 10, 'slow' as never)],
    ['createCircuitBreaker', () => createCircuitBreaker(null as never)],
    ['createBulkhead', () => createBulkhead(4 as never)],
    ['createRateLimiter', () => createRateLimiter('token-bucket' as never)],
    ['idempotent', () => idempotent(fn, 'key' as never)],
    ['createIdempotencyStore', () => createIdempotencyStore([] as never)],
    ['createDeadLetterStore', () => createDeadLetterStore(null as never)],
    ['reliabilityStack', () => reliabilityStack(true as never)],
  ])('%s: a non-object where the options go is INVALID_OPTIONS; nothing runs', async (_name, attempt) => {
    expectRefusal(await refusal(attempt), 'INVALID_OPTIONS', 'must be an object');
    expect(fn).not.toHaveBeenCalled();
  });

  it('per-call options: execute / acquire refuse a misspelt signal key without running or taking a permit', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1 });
    expectRefusal(
      await refusal(() => bulkhead.execute(fn, { sigal: undefined } as never)),
      'UNKNOWN_OPTION',
      "'sigal'",
      ['signal'],
    );
    expect(bulkhead.stats().active).toBe(0);
    const limiter = createRateLimiter({ strategy: 'token-bucket', capacity: 1, refillPerSecond: 1 });
    expectRefusal(await refusal(() => limiter.acquire({ signl: undefined } as never)), 'UNKNOWN_OPTION', "'signl'", [
      'signal',
    ]);
    expectRefusal(await refusal(() => limiter.execute(fn, 'now' as never)), 'INVALID_OPTIONS', 'must be an object');
    expect(limiter.stats().admitted).toBe(0);
    expect(fn).not.toHaveBeenCalled();
    expect(store.size).toBe(0);
  });

  it('values of the wrong kind are INVALID_OPTION, a ValidationError naming component and option', async () => {
    expectRefusal(
      await refusal(() => retry(fn, { signal: 'stop' } as never)),
      'INVALID_OPTION',
      "retry: option 'signal'",
    );
    expectRefusal(await refusal(() => createCircuitBreaker({ clock: {} } as never)), 'INVALID_OPTION', "'clock'");
    expectRefusal(
      await refusal(() => createIdempotencyStore({ onFull: 'drop' } as never)),
      'INVALID_OPTION',
      "'onFull'",
    );
    expectRefusal(await refusal(() => reliabilityStack({ bulkhead: {} } as never)), 'INVALID_OPTION', "'bulkhead'");
    expectRefusal(
      await refusal(() => idempotent(fn, { store: { begin: () => undefined }, key: 'k' } as never)),
      'INVALID_OPTION',
      "'store'",
    );
    expect(fn).not.toHaveBeenCalled();
  });
});
