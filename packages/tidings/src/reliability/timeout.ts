import { AbortedError, TimeoutError } from '../errors.js';
import type { Middleware } from '../bus/middleware.js';
import { systemClock, type Clock } from '../time/clock.js';
import { clockOption, optionsObject, positiveOption, signalOption, stringOption, type OptionKeys } from './options.js';
import { invoke, linkController, rejectWith } from './signals.js';

/** Options of {@link withTimeout}. */
export interface TimeoutOptions {
  /** An outer cancellation: aborting it aborts the work too, and the call rejects with `AbortedError`. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Named in the error message; default 'operation'. */
  readonly name?: string;
}

const TIMEOUT_KEYS = { signal: true, clock: true, name: true } satisfies OptionKeys<TimeoutOptions>;
const TIMEOUT_MIDDLEWARE_KEYS = { clock: true } satisfies OptionKeys<Pick<TimeoutOptions, 'clock'>>;

interface Limiter {
  run<T>(
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    outer: AbortSignal | undefined,
    name: () => string,
  ): Promise<T>;
}

function createLimiter(component: string, ms: number, clock: Clock): Limiter {
  const limit = positiveOption(component, 'ms', ms);
  return {
    run(fn, outer, name) {
      const link = linkController(outer);
      const { controller } = link;
      if (outer?.aborted) {
        link.dispose();
        return Promise.reject(new AbortedError(name(), outer.reason));
      }
      return new Promise((resolve, reject) => {
        let settled = false;
        const finish = (): boolean => {
          if (settled) return false;
          settled = true;
          timer.cancel();
          link.dispose();
          controller.signal.removeEventListener('abort', onOuterAbort);
          return true;
        };
        const onOuterAbort = (): void => {
          if (finish()) reject(new AbortedError(name(), outer?.reason));
        };
        const timer = clock.setTimeout(() => {
          if (!finish()) return;
          const error = new TimeoutError(`${name()} did not finish within ${limit} ms; its signal was aborted.`, limit);
          controller.abort(error);
          reject(error);
        }, limit);
        // The linked controller aborts only through the outer signal until the timer fires, and
        // the timer path calls finish() first, so this listener only ever sees an outer abort.
        controller.signal.addEventListener('abort', onOuterAbort, { once: true });
        invoke(() => fn(controller.signal)).then(
          (value) => {
            if (finish()) resolve(value);
          },
          (error: unknown) => {
            if (finish()) reject(error);
          },
        );
      });
    },
  };
}

/**
 * Runs `fn` with a time limit. When `ms` elapses first, the signal given to `fn` is aborted (its
 * reason is the {@link TimeoutError}) and the call rejects with that `TimeoutError` at once,
 * without waiting for `fn` to notice. The timer is cleared however the call ends.
 *
 * @example
 * const rates = await withTimeout((signal) => fetch(url, { signal }).then((r) => r.json()), 2_000);
 */
export function withTimeout<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  ms: number,
  options: TimeoutOptions = {},
): Promise<T> {
  let limiter: Limiter;
  try {
    optionsObject('withTimeout', options, TIMEOUT_KEYS);
    signalOption('withTimeout', 'signal', options.signal);
    clockOption('withTimeout', 'clock', options.clock);
    stringOption('withTimeout', 'name', options.name);
    limiter = createLimiter('withTimeout', ms, options.clock ?? systemClock);
  } catch (error) {
    return rejectWith(error);
  }
  const name = options.name ?? 'operation';
  return limiter.run(fn, options.signal, () => name);
}

/**
 * Timeout as middleware: for the rest of the chain `ctx.signal` is a signal that aborts after
 * `ms` (or when the outer `ctx.signal` aborts); the previous signal is restored afterwards. Put
 * it outside `retry` to bound all attempts together, inside to bound each attempt. A handler should
 * read `ctx.signal` when it starts: after the limit the chain unwinds and the old signal is back.
 *
 * @example
 * commandBus.use(timeoutMiddleware(5_000));
 */
export function timeoutMiddleware(ms: number, options: Pick<TimeoutOptions, 'clock'> = {}): Middleware {
  optionsObject('timeoutMiddleware', options, TIMEOUT_MIDDLEWARE_KEYS);
  clockOption('timeoutMiddleware', 'clock', options.clock);
  const limiter = createLimiter('timeoutMiddleware', ms, options.clock ?? systemClock);
  return function timeout(ctx, next) {
    const outer = ctx.signal;
    // Built only when an error needs it: the hot path allocates no string.
    const name = (): string =>
      `${ctx.kind} of '${ctx.message.type}'${ctx.handler === undefined ? '' : ` by '${ctx.handler}'`}`;
    return limiter
      .run(
        (signal) => {
          ctx.signal = signal;
          return next();
        },
        outer,
        name,
      )
      .finally(() => {
        ctx.signal = outer;
      });
  };
}
