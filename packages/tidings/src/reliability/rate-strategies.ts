// The two admission rules behind createRateLimiter. Each answers "may one call pass now?" and
// "how long until one could?"; queueing, modes and errors live in rate-limiter.ts.

/** One admission rule, driven by the limiter's clock readings. */
export interface RateStrategy {
  /** Takes one permit if available at `now`. */
  tryTake(now: number): boolean;
  /** Milliseconds from `now` until a permit will be available (0 when one is). */
  waitMs(now: number): number;
  /** Permits available at `now` (fractional for a token bucket). */
  available(now: number): number;
}

// Floating-point refill can land a hair under a whole token at the very instant one is due.
const EPSILON = 1e-9;

/**
 * Token bucket: starts full with `capacity` tokens, refills continuously at `refillPerSecond`
 * (fractions accumulate, none is lost to rounding), each call takes one. Over any interval of
 * `t` seconds it admits at most `capacity + refillPerSecond * t` calls.
 */
export function tokenBucket(capacity: number, refillPerSecond: number, start: number): RateStrategy {
  let tokens = capacity;
  let last = start;
  const refill = (now: number): void => {
    if (now > last) {
      tokens = Math.min(capacity, tokens + ((now - last) * refillPerSecond) / 1000);
      last = now;
    }
  };
  return {
    tryTake(now) {
      refill(now);
      if (tokens + EPSILON < 1) return false;
      tokens = Math.max(0, tokens - 1);
      return true;
    },
    waitMs(now) {
      refill(now);
      if (tokens + EPSILON >= 1) return 0;
      return Math.ceil(((1 - tokens) * 1000) / refillPerSecond);
    },
    available(now) {
      refill(now);
      return tokens;
    },
  };
}

/**
 * Sliding log: at most `limit` calls in any window of `windowMs`. It keeps the admission times of
 * the calls still inside the window — never more than `limit` of them — so it is exact, with no
 * burst at a fixed-window boundary, and its memory is bounded by `limit`.
 */
export function slidingWindow(limit: number, windowMs: number): RateStrategy {
  const admitted: number[] = [];
  const prune = (now: number): void => {
    while (admitted.length > 0 && admitted[0]! <= now - windowMs) admitted.shift();
  };
  return {
    tryTake(now) {
      prune(now);
      if (admitted.length >= limit) return false;
      admitted.push(now);
      return true;
    },
    waitMs(now) {
      prune(now);
      if (admitted.length < limit) return 0;
      return admitted[0]! + windowMs - now;
    },
    available(now) {
      prune(now);
      return limit - admitted.length;
    },
  };
}
