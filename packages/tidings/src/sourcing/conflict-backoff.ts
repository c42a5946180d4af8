import { ValidationError } from '../errors.js';

/** How `handleCommand` waits between attempts after a conflict. */
export interface ConflictRetryOptions {
  /** Retries after the first attempt. Default 5; 0 lets the first `ConcurrencyError` surface. */
  readonly maxRetries?: number | undefined;
  /** Upper bound of the first delay, in ms. Default 10. */
  readonly initialDelayMs?: number | undefined;
  /** Cap of any delay, in ms. Default 500. */
  readonly maxDelayMs?: number | undefined;
  /** Uniform numbers in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/** Resolved conflict-retry settings. */
export interface ConflictBackoff {
  readonly maxRetries: number;
  /** Delay before retry number `retry` (1-based): full jitter, uniform in [0, min(max, initial * 2^(retry-1))]. */
  delay(retry: number): number;
}

/** Validates the options and applies the defaults. */
export function conflictBackoff(options: ConflictRetryOptions = {}): ConflictBackoff {
  const maxRetries = options.maxRetries ?? 5;
  const initial = options.initialDelayMs ?? 10;
  const max = options.maxDelayMs ?? 500;
  const random = options.random ?? Math.random;
  const check = (name: string, value: number, integer: boolean): void => {
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isSafeInteger(value))) {
      throw new ValidationError(
        `Invalid retry option ${name}=${JSON.stringify(value)}: expected a non-negative ${integer ? 'integer' : 'number'}.`,
        [{ path: ['retry', name], message: 'invalid' }],
        { code: 'INVALID_RETRY_OPTIONS' },
      );
    }
  };
  check('maxRetries', maxRetries, true);
  check('initialDelayMs', initial, false);
  check('maxDelayMs', max, false);
  if (typeof random !== 'function') check('random', NaN, false);
  return {
    maxRetries,
    // Full jitter spreads writers that collided at the same moment, so they do not collide again.
    delay: (retry) => Math.floor(random() * Math.min(max, initial * 2 ** (retry - 1))),
  };
}
