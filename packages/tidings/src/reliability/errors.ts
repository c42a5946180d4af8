import { TidingsError } from '../errors.js';

/**
 * A circuit breaker refused the call without running it: the circuit is open (the dependency
 * failed too often recently) or half-open with every probe slot taken. Callers branch on it to
 * fall back or to retry later; `retryAfterMs` says when the breaker will admit a probe again.
 *
 * @example
 * try { await breaker.execute(callPayments) } catch (e) { if (e instanceof CircuitOpenError) return cached(); throw e; }
 */
export class CircuitOpenError extends TidingsError {
  /** Name of the breaker that refused the call. */
  readonly breaker: string;
  /** Milliseconds until the breaker admits a probe again; 0 when it is half-open with all probes busy. */
  readonly retryAfterMs: number;

  constructor(breaker: string, state: 'open' | 'half-open', retryAfterMs: number) {
    super(
      'CIRCUIT_OPEN',
      state === 'open'
        ? `Circuit breaker '${breaker}' is open: the call was not attempted. It admits a probe in ${retryAfterMs} ms; fall back or retry after that.`
        : `Circuit breaker '${breaker}' is half-open and every probe slot is taken: the call was not attempted. Retry once the probes have finished.`,
    );
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A bulkhead had every concurrent slot and every queue slot taken: the call was not attempted. */
export class BulkheadFullError extends TidingsError {
  /** Name of the bulkhead that refused the call. */
  readonly bulkhead: string;
  readonly maxConcurrent: number;
  readonly maxQueued: number;

  constructor(bulkhead: string, maxConcurrent: number, maxQueued: number) {
    super(
      'BULKHEAD_FULL',
      `Bulkhead '${bulkhead}' is full: ${maxConcurrent} calls running and ${maxQueued} queued (its limits). The call was not attempted; shed the load or retry later.`,
    );
    this.bulkhead = bulkhead;
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }
}

/** A rate limiter refused the call (in `reject` mode, or its wait queue was full). */
export class RateLimitedError extends TidingsError {
  /** Name of the rate limiter that refused the call. */
  readonly limiter: string;
  /** The earliest time, in milliseconds from now, at which a call could be admitted. */
  readonly retryAfterMs: number;

  constructor(limiter: string, retryAfterMs: number, detail: string) {
    super(
      'RATE_LIMITED',
      `Rate limiter '${limiter}' refused the call: ${detail}. Retry in ${retryAfterMs} ms or lower the call rate.`,
    );
    this.limiter = limiter;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Thrown by a handler to say "retrying cannot help" (bad input, a business rule, a permanent
 * refusal): {@link retry} stops at once and rethrows it, whatever its retryable predicate says.
 *
 * @example
 * if (!order) throw new UnrecoverableError(`Order ${id} does not exist`);
 */
export class UnrecoverableError extends TidingsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNRECOVERABLE', message, options);
  }
}
