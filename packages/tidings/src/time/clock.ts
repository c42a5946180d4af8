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

/** Node and browsers fire a timer longer than this at once (with a warning), so longer waits go in legs. */
const MAX_TIMER_MS = 2_147_483_647;

/** The real clock: `Date.now()` and the platform's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    // A 30-day saga timeout must not fire now: wait in legs of at most MAX_TIMER_MS. `Infinity` never fires.
    let remaining = Math.max(0, ms);
    let id: ReturnType<typeof globalThis.setTimeout> | undefined;
    const arm = (): void => {
      const leg = Math.min(remaining, MAX_TIMER_MS);
      remaining -= leg;
      id = globalThis.setTimeout(remaining > 0 ? arm : callback, leg);
    };
    arm();
    const cancel = (): void => globalThis.clearTimeout(id);
    return { cancel, [Symbol.dispose]: cancel };
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};
