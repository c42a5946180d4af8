import { AbortedError } from '../errors.js';
import type { Middleware } from '../bus/middleware.js';
import { systemClock, type Clock } from '../time/clock.js';
import { UnrecoverableError } from './errors.js';
import { noteFailure } from './failure-log.js';
import {
  clockOption,
  functionOption,
  integerOption,
  invalidOption,
  optionsObject,
  positiveOption,
  signalOption,
  type OptionKeys,
} from './options.js';
import { invoke, raceAbort, rejectWith } from './signals.js';

/** What {@link RetryPolicy.onRetry} is told before each backoff. */
export interface RetryEvent {
  /** The error the attempt failed with. */
  readonly error: unknown;
  /** The attempt that failed, 1-based. The next attempt is `attempt + 1`. */
  readonly attempt: number;
  /** How long retry waits before the next attempt. */
  readonly delayMs: number;
}

/** What the retried function receives on each attempt. */
export interface RetryAttempt {
  /** 1 on the first try. */
  readonly attempt: number;
  /** The caller's signal; the function should stop when it aborts. */
  readonly signal: AbortSignal | undefined;
}

/**
 * How {@link retry} retries. Every delay is "full jitter": a uniformly random value between 0 and
 * `min(maxDelayMs, baseDelayMs * factor^(attempt-1))`, which spreads retrying clients apart
 * instead of letting them hammer a recovering dependency in lock-step.
 */
export interface RetryPolicy {
  /** Total attempts, the first included. Integer >= 1; default 3. */
  readonly maxAttempts?: number;
  /** Backoff ceiling before the first retry, in ms. > 0; default 100. */
  readonly baseDelayMs?: number;
  /** Upper bound of any backoff, in ms. >= baseDelayMs; default 30 000. */
  readonly maxDelayMs?: number;
  /** Growth of the backoff ceiling per attempt. >= 1; default 2. */
  readonly factor?: number;
  /**
   * Whether an error is worth another attempt (`attempt` is the one that just failed). Default:
   * every error. {@link UnrecoverableError} is never retried, whatever this says.
   */
  readonly retryable?: (error: unknown, attempt: number) => boolean;
  /** Called before each backoff; for logging and metrics. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Stops retrying: no new attempt starts, a pending backoff is cancelled, retry rejects with `AbortedError`. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Source of uniform numbers in [0, 1) for the jitter; default `Math.random`. */
  readonly random?: () => number;
}

interface Retrier {
  run<T>(
    fn: (attempt: RetryAttempt) => T | PromiseLike<T>,
    signal: AbortSignal | undefined,
    onFailure?: (at: number) => void,
  ): Promise<T>;
}

const RETRY_KEYS = {
  maxAttempts: true,
  baseDelayMs: true,
  maxDelayMs: true,
  factor: true,
  retryable: true,
  onRetry: true,
  signal: true,
  clock: true,
  random: true,
} satisfies OptionKeys<RetryPolicy>;

// The middleware takes its signal from ctx.signal: a `signal` option there would be ignored, so it is refused.
const { signal: _signal, ...RETRY_MIDDLEWARE_KEYS } = RETRY_KEYS;

/** Validates a policy once and returns the loop that applies it. */
function createRetrier(component: string, input: RetryPolicy | undefined, middleware: boolean): Retrier {
  const policy = optionsObject(
    component,
    input,
    middleware ? (RETRY_MIDDLEWARE_KEYS as OptionKeys<RetryPolicy>) : RETRY_KEYS,
  );
  signalOption(component, 'signal', policy.signal);
  clockOption(component, 'clock', policy.clock);
  const maxAttempts = integerOption(component, 'maxAttempts', policy.maxAttempts ?? 3, 1);
  const baseDelayMs = positiveOption(component, 'baseDelayMs', policy.baseDelayMs ?? 100);
  const maxDelayMs = positiveOption(component, 'maxDelayMs', policy.maxDelayMs ?? Math.max(30_000, baseDelayMs));
  if (maxDelayMs < baseDelayMs) {
    throw invalidOption(component, 'maxDelayMs', maxDelayMs, `>= baseDelayMs (${baseDelayMs})`);
  }
  const factor = policy.factor ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw invalidOption(component, 'factor', factor, 'a finite number >= 1');
  }
  functionOption(component, 'retryable', policy.retryable);
  functionOption(component, 'onRetry', policy.onRetry);
  functionOption(component, 'random', policy.random);
  const clock = policy.clock ?? systemClock;
  const random = policy.random ?? Math.random;
  const retryable = policy.retryable ?? (() => true);
  const onRetry = policy.onRetry;

  return {
    async run(fn, signal, onFailure) {
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw new AbortedError(component, signal.reason);
        try {
          return await raceAbort(
            invoke(() => fn({ attempt, signal })),
            signal,
            component,
          );
        } catch (error) {
          if (signal?.aborted) throw error instanceof AbortedError ? error : new AbortedError(component, signal.reason);
          onFailure?.(clock.now());
          if (error instanceof UnrecoverableError) throw error;
          if (attempt >= maxAttempts || !retryable(error, attempt)) throw error;
          const delayMs = backoffDelay(attempt, baseDelayMs, maxDelayMs, factor, random());
          onRetry?.({ error, attempt, delayMs });
          try {
            await clock.sleep(delayMs, signal);
          } catch (sleepError) {
            throw sleepError instanceof AbortedError ? new AbortedError(component, signal?.reason) : sleepError;
          }
        }
      }
    },
  };
}

/**
 * The full-jitter delay after `attempt` failed: uniform in [0, min(max, base * factor^(attempt-1))].
 * `u` is a uniform sample in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  factor: number,
  u: number,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * factor ** (attempt - 1));
  const clamped = Math.min(Math.max(u, 0), 1);
  return Math.floor(clamped * ceiling);
}

/**
 * Runs `fn` until it succeeds, retrying failures with exponential backoff and full jitter.
 * When attempts run out, or the error is not retryable, the last error is rethrown unchanged.
 *
 * @example
 * const body = await retry(({ attempt, signal }) => fetchJson(url, { signal }), {
 *   maxAttempts: 5,
 *   baseDelayMs: 200,
 *   retryable: (e) => !(e instanceof HttpError && e.status < 500),
 *   signal: AbortSignal.timeout(10_000),
 * });
 */
export function retry<T>(fn: (attempt: RetryAttempt) => T | PromiseLike<T>, policy: RetryPolicy = {}): Promise<T> {
  let retrier: Retrier;
  try {
    retrier = createRetrier('retry', policy, false);
  } catch (error) {
    return rejectWith(error);
  }
  return retrier.run(fn, policy.signal);
}

/**
 * Retry as middleware: re-runs the rest of the chain (`next()`) on failure. The handler reads the
 * current attempt from `ctx.attempt` (left at the last attempt afterwards, so an outer dead-letter
 * middleware can record it), and cancellation comes from `ctx.signal`.
 *
 * @example
 * bus.use(retryMiddleware({ maxAttempts: 4, baseDelayMs: 50 }));
 */
export function retryMiddleware(policy: Omit<RetryPolicy, 'signal'> = {}): Middleware {
  const retrier = createRetrier('retryMiddleware', policy, true);
  return function retry(ctx, next) {
    return retrier.run(
      ({ attempt }) => {
        ctx.attempt = attempt;
        return next();
      },
      ctx.signal,
      (at) => noteFailure(ctx, at),
    );
  };
}
