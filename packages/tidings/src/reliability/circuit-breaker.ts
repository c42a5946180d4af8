import { AbortedError } from '../errors.js';
import type { Middleware } from '../bus/middleware.js';
import { systemClock, type Clock } from '../time/clock.js';
import { BulkheadFullError, CircuitOpenError, RateLimitedError } from './errors.js';
import {
  clockOption,
  functionOption,
  integerOption,
  invalidOption,
  optionsObject,
  positiveOption,
  ratioOption,
  stringOption,
  type OptionKeys,
} from './options.js';
import { RollingWindow } from './rolling-window.js';
import { invoke } from './signals.js';

/** `closed`: calls flow. `open`: calls are refused. `half-open`: a few probe calls test the dependency. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** A transition of a {@link CircuitBreaker}, as told to its listeners. */
export interface CircuitStateChange {
  readonly breaker: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** Clock time of the transition, epoch ms. */
  readonly at: number;
  /** Why, in words: "5 consecutive failures", "reset timeout elapsed", "probe failed", ... */
  readonly reason: string;
}

/** Options of {@link createCircuitBreaker}. Count mode by default; setting `failureRate` selects rate mode. */
export interface CircuitBreakerOptions {
  /** Named in errors and state changes; default 'circuit-breaker'. */
  readonly name?: string;
  /** Count mode: consecutive failures that open the circuit. Integer >= 1; default 5. */
  readonly failureThreshold?: number;
  /** Rate mode: failure ratio over `windowMs` that opens the circuit, in (0, 1]. */
  readonly failureRate?: number;
  /** Rate mode: the sliding window, ms (kept as 10 buckets). > 0; default 60 000. */
  readonly windowMs?: number;
  /** Rate mode: calls the window must hold before the rate is judged. Integer >= 1; default 10. */
  readonly minimumCalls?: number;
  /** How long the circuit stays open before admitting probes, ms. > 0; default 30 000. */
  readonly resetTimeoutMs?: number;
  /** Probe calls admitted per half-open period; all must succeed to close. Integer >= 1; default 1. */
  readonly halfOpenProbes?: number;
  /**
   * How long a half-open probe may run before it counts as failed, ms: the circuit re-opens (and
   * probes again after `resetTimeoutMs`) instead of refusing every call while a probe hangs. The
   * probe's own call is not cancelled — bound it with `withTimeout` to free its caller.
   * > 0; default `resetTimeoutMs`.
   */
  readonly probeTimeoutMs?: number;
  /**
   * Whether an error counts against the dependency. Default: every error. An error this
   * rejects counts as a success (the dependency answered). Never counted either way, whatever
   * this says: `AbortedError` (the caller gave up) and the local refusals `BulkheadFullError`,
   * `RateLimitedError` and `CircuitOpenError` (the call never reached the dependency).
   */
  readonly isFailure?: (error: unknown) => boolean;
  /** A listener for every transition; see also {@link CircuitBreaker.onStateChange}. */
  readonly onStateChange?: (change: CircuitStateChange) => void;
  readonly clock?: Clock;
}

/** Counters of a {@link CircuitBreaker} since it was created. */
export interface CircuitBreakerStats {
  readonly state: CircuitState;
  /** Calls admitted (run). */
  readonly calls: number;
  readonly successes: number;
  readonly failures: number;
  /** Calls refused with {@link CircuitOpenError}. */
  readonly rejected: number;
  /** Times the circuit opened. */
  readonly opened: number;
  /** Current run of consecutive failures (count mode's trigger). */
  readonly consecutiveFailures: number;
  /** Calls and failures in the current window (rate mode's trigger). */
  readonly windowCalls: number;
  readonly windowFailures: number;
  /** Probes running now (half-open only). */
  readonly probesInFlight: number;
  /** Probes that did not settle within `probeTimeoutMs` (each re-opened the circuit). */
  readonly probesTimedOut: number;
}

/** A registered listener; `unsubscribe()` or `using` removes it. */
export interface ListenerHandle extends Disposable {
  unsubscribe(): void;
}

/** A circuit breaker; see {@link createCircuitBreaker}. */
export interface CircuitBreaker {
  readonly name: string;
  /** The current state. Reading it moves an open circuit whose reset timeout elapsed to half-open. */
  readonly state: CircuitState;
  /** Runs `fn` if the circuit admits it; otherwise rejects with {@link CircuitOpenError} without running it. */
  execute<T>(fn: () => T | PromiseLike<T>): Promise<T>;
  stats(): CircuitBreakerStats;
  onStateChange(listener: (change: CircuitStateChange) => void): ListenerHandle;
  /** Forces the circuit closed and clears its failure counts (an operator's override). */
  reset(): void;
}

const BREAKER_KEYS = {
  name: true,
  failureThreshold: true,
  failureRate: true,
  windowMs: true,
  minimumCalls: true,
  resetTimeoutMs: true,
  halfOpenProbes: true,
  probeTimeoutMs: true,
  isFailure: true,
  onStateChange: true,
  clock: true,
} satisfies OptionKeys<CircuitBreakerOptions>;

/** Errors that say nothing about the dependency: the caller gave up, or the call was refused locally. */
function neverCounted(error: unknown): boolean {
  return (
    error instanceof AbortedError ||
    error instanceof BulkheadFullError ||
    error instanceof RateLimitedError ||
    error instanceof CircuitOpenError
  );
}

/**
 * Creates a circuit breaker. Closed, it runs calls and counts failures; past the threshold
 * (consecutive failures, or a failure rate over a sliding window once `minimumCalls` were seen)
 * it opens and refuses calls for `resetTimeoutMs`; then it turns half-open and admits exactly
 * `halfOpenProbes` calls: if all succeed it closes, if one fails it opens again. Outcomes of calls
 * admitted before the last transition no longer count (a slow call that started while closed
 * cannot close or reopen a half-open circuit).
 *
 * @example
 * const payments = createCircuitBreaker({ name: 'payments', failureRate: 0.5, windowMs: 10_000, resetTimeoutMs: 5_000 });
 * payments.onStateChange((c) => log.warn(`${c.breaker}: ${c.from} -> ${c.to} (${c.reason})`));
 * const receipt = await payments.execute(() => gateway.charge(order));
 */
export function createCircuitBreaker(input?: CircuitBreakerOptions): CircuitBreaker {
  const component = 'createCircuitBreaker';
  const options = optionsObject(component, input, BREAKER_KEYS);
  stringOption(component, 'name', options.name);
  clockOption(component, 'clock', options.clock);
  const name = options.name ?? 'circuit-breaker';
  const rateMode = options.failureRate !== undefined;
  if (rateMode && options.failureThreshold !== undefined) {
    throw invalidOption(
      component,
      'failureThreshold',
      options.failureThreshold,
      'unset when failureRate is set (choose count mode or rate mode)',
    );
  }
  const failureThreshold = integerOption(component, 'failureThreshold', options.failureThreshold ?? 5, 1);
  const failureRate = rateMode ? ratioOption(component, 'failureRate', options.failureRate ?? 1) : 1;
  const windowMs = positiveOption(component, 'windowMs', options.windowMs ?? 60_000);
  const minimumCalls = integerOption(component, 'minimumCalls', options.minimumCalls ?? 10, 1);
  const resetTimeoutMs = positiveOption(component, 'resetTimeoutMs', options.resetTimeoutMs ?? 30_000);
  const halfOpenProbes = integerOption(component, 'halfOpenProbes', options.halfOpenProbes ?? 1, 1);
  const probeTimeoutMs = positiveOption(component, 'probeTimeoutMs', options.probeTimeoutMs ?? resetTimeoutMs);
  functionOption(component, 'isFailure', options.isFailure);
  functionOption(component, 'onStateChange', options.onStateChange);
  const isFailure = options.isFailure ?? (() => true);
  const clock = options.clock ?? systemClock;
  const window = new RollingWindow(windowMs);
  const listeners = new Set<(change: CircuitStateChange) => void>();
  if (options.onStateChange !== undefined) listeners.add(options.onStateChange);

  let state: CircuitState = 'closed';
  // Bumped on every transition; a call's outcome counts only in the generation that admitted it.
  let generation = 0;
  let openedAt = 0;
  let consecutiveFailures = 0;
  let probesAdmitted = 0;
  let probesSucceeded = 0;
  let probesInFlight = 0;
  // Admission times of the probes of this half-open period still running, by probe number.
  const probeStarts = new Map<number, number>();
  let probeCount = 0;
  let probesTimedOut = 0;
  let calls = 0;
  let successes = 0;
  let failures = 0;
  let rejected = 0;
  let opened = 0;

  // `at` is when the transition took effect: now, except for a probe timeout noticed later.
  const transition = (to: CircuitState, reason: string, at = clock.now()): void => {
    const from = state;
    if (from === to) return;
    state = to;
    generation += 1;
    probesAdmitted = 0;
    probesSucceeded = 0;
    probesInFlight = 0;
    probeStarts.clear();
    if (to === 'open') {
      openedAt = at;
      opened += 1;
    }
    if (to === 'closed') {
      consecutiveFailures = 0;
      window.clear();
    }
    const change: CircuitStateChange = { breaker: name, from, to, at, reason };
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // A broken listener must not break the breaker or the call that triggered the change.
      }
    }
  };

  // Lazy, like open -> half-open: no timer keeps the process alive (decision 0402). A probe that
  // outlived probeTimeoutMs re-opens the circuit as of its deadline, so a breaker nobody asked for
  // a while may go straight on to half-open and admit a fresh probe.
  const refresh = (): CircuitState => {
    if (state === 'half-open' && probeStarts.size > 0) {
      let deadline = Number.POSITIVE_INFINITY;
      for (const started of probeStarts.values()) deadline = Math.min(deadline, started + probeTimeoutMs);
      if (clock.now() >= deadline) {
        probesTimedOut += 1;
        transition('open', `a half-open probe did not settle within ${probeTimeoutMs} ms (probeTimeoutMs)`, deadline);
      }
    }
    if (state === 'open' && clock.now() - openedAt >= resetTimeoutMs) transition('half-open', 'reset timeout elapsed');
    return state;
  };

  // `probe` is the probe's number, or 0 for a call admitted while closed.
  const onSuccess = (admittedIn: number, probe: number): void => {
    successes += 1;
    if (admittedIn !== generation) return;
    if (probe !== 0) {
      probeStarts.delete(probe);
      probesInFlight -= 1;
      probesSucceeded += 1;
      if (probesSucceeded >= halfOpenProbes) transition('closed', `${halfOpenProbes} probe(s) succeeded`);
      return;
    }
    consecutiveFailures = 0;
    if (rateMode) window.record(clock.now(), false);
  };

  const onFailure = (admittedIn: number, probe: number): void => {
    failures += 1;
    if (admittedIn !== generation) return;
    if (probe !== 0) {
      probeStarts.delete(probe);
      probesInFlight -= 1;
      transition('open', 'a half-open probe failed');
      return;
    }
    consecutiveFailures += 1;
    if (!rateMode) {
      if (consecutiveFailures >= failureThreshold) transition('open', `${consecutiveFailures} consecutive failures`);
      return;
    }
    const now = clock.now();
    window.record(now, true);
    const totals = window.totals(now);
    if (totals.calls >= minimumCalls && totals.failures / totals.calls >= failureRate) {
      transition('open', `failure rate ${totals.failures}/${totals.calls} over ${windowMs} ms reached ${failureRate}`);
    }
  };

  // The caller gave up or the call was refused locally: says nothing about the dependency, but
  // frees the probe slot for another probe.
  const onIgnored = (admittedIn: number, probe: number): void => {
    if (admittedIn !== generation || probe === 0) return;
    probeStarts.delete(probe);
    probesInFlight -= 1;
    probesAdmitted -= 1;
  };

  const breaker: CircuitBreaker = {
    name,
    get state() {
      return refresh();
    },
    execute<T>(fn: () => T | PromiseLike<T>): Promise<T> {
      const current = refresh();
      if (current === 'open' || (current === 'half-open' && probesAdmitted >= halfOpenProbes)) {
        rejected += 1;
        const retryAfterMs = current === 'open' ? Math.max(0, openedAt + resetTimeoutMs - clock.now()) : 0;
        return Promise.reject(new CircuitOpenError(name, current, retryAfterMs));
      }
      let probe = 0;
      if (current === 'half-open') {
        probe = ++probeCount;
        probeStarts.set(probe, clock.now());
        probesAdmitted += 1;
        probesInFlight += 1;
      }
      calls += 1;
      const admittedIn = generation;
      return invoke(fn).then(
        (value) => {
          onSuccess(admittedIn, probe);
          return value;
        },
        (error: unknown) => {
          if (neverCounted(error)) onIgnored(admittedIn, probe);
          else if (isFailure(error)) onFailure(admittedIn, probe);
          else onSuccess(admittedIn, probe);
          throw error;
        },
      );
    },
    stats() {
      const totals = window.totals(clock.now());
      return {
        state: refresh(),
        calls,
        successes,
        failures,
        rejected,
        opened,
        consecutiveFailures,
        windowCalls: totals.calls,
        windowFailures: totals.failures,
        probesInFlight,
        probesTimedOut,
      };
    },
    onStateChange(listener) {
      listeners.add(listener);
      const unsubscribe = (): void => {
        listeners.delete(listener);
      };
      return { unsubscribe, [Symbol.dispose]: unsubscribe };
    },
    reset() {
      transition('closed', 'reset by the application');
      consecutiveFailures = 0;
      window.clear();
    },
  };
  return breaker;
}

/**
 * A circuit breaker as middleware: the rest of the chain runs through `breaker.execute`. Share
 * one breaker per dependency, not per message type, so every caller of a failing dependency
 * backs off together.
 *
 * @example
 * commandBus.use(circuitBreakerMiddleware(createCircuitBreaker({ name: 'payments' })));
 */
export function circuitBreakerMiddleware(breaker: CircuitBreaker): Middleware {
  return function circuitBreaker(_ctx, next) {
    return breaker.execute(next);
  };
}
