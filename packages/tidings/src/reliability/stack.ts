/**
 * # The reliability stack
 *
 * Each piece works alone, as a plain function or as one middleware. Composed, they go in this
 * order, outermost first, and {@link reliabilityStack} builds exactly this:
 *
 * ```
 * deadLetter? -> rateLimit -> circuitBreaker -> bulkhead -> timeout -> retry -> handler
 * ```
 *
 * What that order means, per message (this is what `stack.test.ts` checks with failures injected
 * on a schedule):
 *
 * 1. **Rate limit** comes first, so every message offered costs one permit, whether or not the
 *    breaker then refuses it; refused messages never reach the breaker's counts. Retries happen
 *    inside and cost no further permit: the dependency may see up to `maxAttempts` calls per
 *    permit. Pick the limit for messages, not for calls.
 * 2. **Circuit breaker** sees one outcome per message, after retries and timeout: a message that
 *    succeeds on its second attempt is a success; it opens only on messages that exhausted their
 *    retries or timed out. While open, a message is refused with `CircuitOpenError` at once — it
 *    takes no bulkhead slot and the handler does not run. Half-open admits the configured number
 *    of probe messages (each with its full retry budget).
 * 3. **Bulkhead** holds a slot for the whole message: every attempt and every backoff, until the
 *    timeout gives up at the latest. Full means `BulkheadFullError` at once; the breaker does not
 *    count it (local overload is not a dependency failure), and a half-open probe refused here
 *    gives its probe slot back.
 * 4. **Timeout** bounds the message's total time, all attempts and backoffs included. When it
 *    fires, it aborts `ctx.signal` (a handler that honours it stops), retry stops (no new attempt,
 *    its backoff timer is cancelled), and the message fails with `TimeoutError` — which the breaker
 *    counts. To bound each attempt instead, put a second `timeoutMiddleware` inside `retry`.
 * 5. **Retry** is innermost: it re-runs only the handler, with full-jitter backoff, exposing the
 *    attempt as `ctx.attempt`; `UnrecoverableError` and a non-retryable error end it at once.
 * 6. **Dead letter**, when given, wraps everything: it records what the stack finally gave up on,
 *    with the attempts retry made. Refusals (rate limit, open circuit, full bulkhead) are dead
 *    lettered too, unless its `capture` excludes them: a refused event is as undelivered as a
 *    failed one.
 *
 * Idempotency is not in the default order because where it belongs depends on the effect: put
 * `idempotencyMiddleware` outermost (before dead letter) when a duplicate must not even take a
 * rate-limit permit.
 *
 * @module
 */
import type { Middleware } from '../bus/middleware.js';
import type { Clock } from '../time/clock.js';
import { bulkheadMiddleware, type Bulkhead } from './bulkhead.js';
import { circuitBreakerMiddleware, type CircuitBreaker } from './circuit-breaker.js';
import { deadLetterMiddleware, type DeadLetterOptions } from './dead-letter.js';
import { rateLimitMiddleware, type RateLimiter } from './rate-limiter.js';
import { retryMiddleware, type RetryPolicy } from './retry.js';
import { clockOption, objectWithOption, optionsObject, type OptionKeys } from './options.js';
import { timeoutMiddleware } from './timeout.js';

/** The pieces of {@link reliabilityStack}; each is optional and skipped when absent. */
export interface ReliabilityStackOptions {
  readonly deadLetter?: DeadLetterOptions;
  readonly rateLimiter?: RateLimiter;
  readonly circuitBreaker?: CircuitBreaker;
  readonly bulkhead?: Bulkhead;
  /** Total time per message, all attempts included, ms. */
  readonly timeoutMs?: number;
  readonly retry?: Omit<RetryPolicy, 'signal'>;
  /** Used by the timeout (and as the retry's clock unless `retry.clock` is set). */
  readonly clock?: Clock;
}

const STACK_KEYS = {
  deadLetter: true,
  rateLimiter: true,
  circuitBreaker: true,
  bulkhead: true,
  timeoutMs: true,
  retry: true,
  clock: true,
} satisfies OptionKeys<ReliabilityStackOptions>;

/**
 * Builds the reliability middleware in the documented order (see the module comment): dead
 * letter, rate limit, circuit breaker, bulkhead, timeout, retry. Spread the result into a bus's or
 * a subscription's middleware list.
 *
 * @example
 * const deadLetters = createDeadLetterStore();
 * const middleware = reliabilityStack({
 *   deadLetter: { store: deadLetters },
 *   circuitBreaker: createCircuitBreaker({ name: 'warehouse', failureThreshold: 5 }),
 *   bulkhead: createBulkhead({ maxConcurrent: 4, maxQueued: 100 }),
 *   timeoutMs: 5_000,
 *   retry: { maxAttempts: 3, baseDelayMs: 100 },
 * });
 */
export function reliabilityStack(input: ReliabilityStackOptions): Middleware[] {
  const component = 'reliabilityStack';
  const options = optionsObject(component, input, STACK_KEYS);
  clockOption(component, 'clock', options.clock);
  objectWithOption(component, 'rateLimiter', options.rateLimiter, ['acquire'], 'a RateLimiter (createRateLimiter())');
  objectWithOption(
    component,
    'circuitBreaker',
    options.circuitBreaker,
    ['execute'],
    'a CircuitBreaker (createCircuitBreaker())',
  );
  objectWithOption(component, 'bulkhead', options.bulkhead, ['execute'], 'a Bulkhead (createBulkhead())');
  const clock = options.clock;
  const stack: Middleware[] = [];
  if (options.deadLetter !== undefined) {
    stack.push(
      deadLetterMiddleware(
        clock === undefined || options.deadLetter.clock !== undefined
          ? options.deadLetter
          : { ...options.deadLetter, clock },
      ),
    );
  }
  if (options.rateLimiter !== undefined) stack.push(rateLimitMiddleware(options.rateLimiter));
  if (options.circuitBreaker !== undefined) stack.push(circuitBreakerMiddleware(options.circuitBreaker));
  if (options.bulkhead !== undefined) stack.push(bulkheadMiddleware(options.bulkhead));
  if (options.timeoutMs !== undefined)
    stack.push(timeoutMiddleware(options.timeoutMs, clock === undefined ? {} : { clock }));
  if (options.retry !== undefined) {
    stack.push(
      retryMiddleware(
        clock === undefined || options.retry.clock !== undefined ? options.retry : { ...options.retry, clock },
      ),
    );
  }
  return stack;
}
