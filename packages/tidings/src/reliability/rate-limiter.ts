import { AbortedError } from '../errors.js';
import type { Middleware } from '../bus/middleware.js';
import { systemClock, type Clock, type TimerHandle } from '../time/clock.js';
import { RateLimitedError } from './errors.js';
import {
  clockOption,
  integerOption,
  invalidOption,
  optionsObject,
  positiveOption,
  signalOption,
  stringOption,
  type OptionKeys,
} from './options.js';
import { slidingWindow, tokenBucket, type RateStrategy } from './rate-strategies.js';

/** What a rate limiter does with a call over the limit: wait for a permit, or refuse at once. */
export type RateLimitMode = 'wait' | 'reject';

interface RateLimiterCommon {
  /** Named in errors; default 'rate-limiter'. */
  readonly name?: string;
  /** Default 'reject': a caller is never slowed down unless it asked for it. */
  readonly mode?: RateLimitMode;
  /** `wait` mode: callers allowed to wait at once; past it they get {@link RateLimitedError}. Integer >= 0; default 1 000. */
  readonly maxWaiting?: number;
  readonly clock?: Clock;
}

/** A token bucket: bursts up to `capacity`, sustained `refillPerSecond`. */
export interface TokenBucketOptions extends RateLimiterCommon {
  readonly strategy: 'token-bucket';
  /** Tokens the bucket holds (the largest burst). Integer >= 1. */
  readonly capacity: number;
  /** Tokens added per second, continuously. > 0 (fractions allowed: 0.5 is one call every 2 s). */
  readonly refillPerSecond: number;
}

/** A sliding window: at most `limit` calls in any `windowMs`. */
export interface SlidingWindowOptions extends RateLimiterCommon {
  readonly strategy: 'sliding-window';
  /** Calls allowed in any window. Integer >= 1. */
  readonly limit: number;
  /** Window length, ms. > 0. */
  readonly windowMs: number;
}

export type RateLimiterOptions = TokenBucketOptions | SlidingWindowOptions;

/** Counters of a {@link RateLimiter}. */
export interface RateLimiterStats {
  /** Calls admitted since creation. */
  readonly admitted: number;
  /** Calls refused with {@link RateLimitedError} since creation. */
  readonly rejected: number;
  /** Calls waiting now (`wait` mode), and the most ever waiting at once. */
  readonly waiting: number;
  readonly highestWaiting: number;
  /** Permits available now (fractional for a token bucket). */
  readonly available: number;
}

/** A rate limiter; see {@link createRateLimiter}. */
export interface RateLimiter {
  readonly name: string;
  readonly mode: RateLimitMode;
  /** Takes a permit if one is free now and nobody is queued ahead; never waits, never throws. */
  tryAcquire(): boolean;
  /**
   * Takes a permit. `reject` mode: rejects with {@link RateLimitedError} (with `retryAfterMs`) when
   * none is free. `wait` mode: waits its turn (FIFO); aborting `signal` withdraws it with `AbortedError`.
   */
  acquire(options?: { readonly signal?: AbortSignal | undefined }): Promise<void>;
  /** `acquire`, then run `fn`. */
  execute<T>(fn: () => T | PromiseLike<T>, options?: { readonly signal?: AbortSignal | undefined }): Promise<T>;
  stats(): RateLimiterStats;
}

interface Waiter {
  readonly resolve: () => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

const COMMON_KEYS = { name: true, mode: true, maxWaiting: true, clock: true } satisfies OptionKeys<RateLimiterCommon>;
const TOKEN_BUCKET_KEYS = {
  ...COMMON_KEYS,
  strategy: true,
  capacity: true,
  refillPerSecond: true,
} satisfies OptionKeys<TokenBucketOptions>;
const SLIDING_WINDOW_KEYS = {
  ...COMMON_KEYS,
  strategy: true,
  limit: true,
  windowMs: true,
} satisfies OptionKeys<SlidingWindowOptions>;
const ACQUIRE_KEYS = { signal: true } satisfies OptionKeys<{ signal?: AbortSignal | undefined }>;

/** Checks the options of `acquire` / `execute` (only `signal`). */
function checkAcquireOptions(component: string, options: { readonly signal?: AbortSignal | undefined }): void {
  optionsObject(component, options, ACQUIRE_KEYS);
  signalOption(component, 'signal', options.signal);
}

function strategyOf(component: string, options: RateLimiterOptions, now: number): RateStrategy {
  switch (options.strategy) {
    case 'token-bucket':
      return tokenBucket(
        integerOption(component, 'capacity', options.capacity, 1),
        positiveOption(component, 'refillPerSecond', options.refillPerSecond),
        now,
      );
    case 'sliding-window':
      return slidingWindow(
        integerOption(component, 'limit', options.limit, 1),
        positiveOption(component, 'windowMs', options.windowMs),
      );
    default:
      throw invalidOption(
        component,
        'strategy',
        (options as { strategy?: unknown }).strategy,
        "'token-bucket' or 'sliding-window'",
      );
  }
}

/**
 * Creates a rate limiter over the limiter's clock, as a token bucket (`capacity`,
 * `refillPerSecond`) or a sliding window (`limit` per `windowMs`). In `wait` mode callers queue
 * in order and are released as permits become available (one timer at a time, none when idle);
 * the queue is bounded by `maxWaiting`.
 *
 * @example
 * const api = createRateLimiter({ strategy: 'token-bucket', capacity: 20, refillPerSecond: 5, mode: 'wait' });
 * await api.execute(() => partner.notify(order), { signal });
 */
export function createRateLimiter(input: RateLimiterOptions): RateLimiter {
  const component = 'createRateLimiter';
  // The strategy decides which keys exist; an unknown strategy is refused by strategyOf below.
  const strategyName = (input as { strategy?: unknown } | undefined)?.strategy;
  const options = optionsObject(
    component,
    input,
    (strategyName === 'sliding-window'
      ? SLIDING_WINDOW_KEYS
      : strategyName === 'token-bucket'
        ? TOKEN_BUCKET_KEYS
        : {
            ...TOKEN_BUCKET_KEYS,
            ...SLIDING_WINDOW_KEYS,
          }) as OptionKeys<RateLimiterOptions>,
  );
  stringOption(component, 'name', options.name);
  clockOption(component, 'clock', options.clock);
  const clock = options.clock ?? systemClock;
  const name = options.name ?? 'rate-limiter';
  const mode = options.mode ?? 'reject';
  if (mode !== 'wait' && mode !== 'reject') throw invalidOption(component, 'mode', mode, "'wait' or 'reject'");
  const maxWaiting = integerOption(component, 'maxWaiting', options.maxWaiting ?? 1_000, 0, true);
  const strategy = strategyOf(component, options, clock.now());

  const queue: Waiter[] = [];
  let timer: TimerHandle | undefined;
  let admitted = 0;
  let rejected = 0;
  let highestWaiting = 0;

  const release = (): void => {
    timer = undefined;
    const now = clock.now();
    while (queue.length > 0 && strategy.tryTake(now)) {
      const waiter = queue.shift()!;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      admitted += 1;
      waiter.resolve();
    }
    schedule();
  };
  const schedule = (): void => {
    if (timer !== undefined || queue.length === 0) return;
    timer = clock.setTimeout(release, Math.max(1, strategy.waitMs(clock.now())));
  };

  const limiter: RateLimiter = {
    name,
    mode,
    tryAcquire() {
      if (queue.length > 0 || !strategy.tryTake(clock.now())) return false;
      admitted += 1;
      return true;
    },
    acquire(acquireOptions = {}) {
      try {
        checkAcquireOptions('RateLimiter.acquire', acquireOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      const signal = acquireOptions.signal;
      if (signal?.aborted) return Promise.reject(new AbortedError(`waiting for rate limiter '${name}'`, signal.reason));
      if (limiter.tryAcquire()) return Promise.resolve();
      const now = clock.now();
      if (mode === 'reject') {
        rejected += 1;
        return Promise.reject(new RateLimitedError(name, Math.max(1, strategy.waitMs(now)), 'no permit is free'));
      }
      if (queue.length >= maxWaiting) {
        rejected += 1;
        return Promise.reject(
          new RateLimitedError(
            name,
            Math.max(1, strategy.waitMs(now)),
            `${queue.length} callers already wait (maxWaiting)`,
          ),
        );
      }
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          signal,
          onAbort: () => {
            const index = queue.indexOf(waiter);
            if (index === -1) return;
            queue.splice(index, 1);
            if (queue.length === 0) {
              timer?.cancel();
              timer = undefined;
            }
            reject(new AbortedError(`waiting for rate limiter '${name}'`, signal?.reason));
          },
        };
        queue.push(waiter);
        if (queue.length > highestWaiting) highestWaiting = queue.length;
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        schedule();
      });
    },
    async execute(fn, executeOptions) {
      await limiter.acquire(executeOptions);
      return fn();
    },
    stats() {
      return { admitted, rejected, waiting: queue.length, highestWaiting, available: strategy.available(clock.now()) };
    },
  };
  return limiter;
}

/**
 * A rate limiter as middleware: each message takes a permit before the rest of the chain runs.
 *
 * @example
 * bus.use(rateLimitMiddleware(createRateLimiter({ strategy: 'sliding-window', limit: 100, windowMs: 1_000 })));
 */
export function rateLimitMiddleware(limiter: RateLimiter): Middleware {
  return async function rateLimit(ctx, next) {
    await limiter.acquire({ signal: ctx.signal });
    return next();
  };
}
