import { AbortedError } from '../errors.js';

/** A scheduled wake-up. Cancelling twice, or after it fired, does nothing. */
export interface TimerHandle extends Disposable {
  cancel(): void;
}

/**
 * All time in Tidings goes through a Clock, so tests can replace it with {@link createFakeClock}
 * and a 15-minute timeout is tested in milliseconds.
 *
 * @example
 * const clock = systemClock;
 * const timer = clock.setTimeout(() => console.log('later'), 1000);
 * timer.cancel();
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once, `ms` milliseconds from now. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Resolves after `ms`; rejects with {@link AbortedError} when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Shared `sleep` on top of any clock's `setTimeout`. */
export function sleepOn(clock: Pick<Clock, 'setTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError('sleep', signal.reason));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(new AbortedError('sleep', signal?.reason));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real clock: `Date.now()` and the platform's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const id = globalThis.setTimeout(callback, Math.max(0, ms));
    const cancel = (): void => globalThis.clearTimeout(id);
    return { cancel, [Symbol.dispose]: cancel };
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};
