import { AbortedError, type Clock, type TimerHandle } from 'tidings';

/** A clock that runs `factor` times faster than the wall clock (the demo's 15 minutes pass in seconds). */
export interface ScaledClock extends Clock {
  readonly factor: number;
}

/**
 * Core's `Clock` on a sped-up time line: `now()` starts at the real time and advances `factor`
 * times faster; `setTimeout(cb, ms)` and `sleep(ms)` wait `ms / factor` real milliseconds. Every
 * part of the app (timer poller, processors, store timestamps) reads the same time line.
 */
export function scaledClock(factor: number, start = Date.now()): ScaledClock {
  if (!(Number.isFinite(factor) && factor >= 1)) {
    throw new RangeError(`scaledClock(factor): expected a finite number >= 1, got ${String(factor)}.`);
  }
  const origin = performance.now();
  const real = (ms: number): number => Math.max(0, ms) / factor;
  const clock: ScaledClock = {
    factor,
    now: () => Math.floor(start + (performance.now() - origin) * factor),
    setTimeout(callback, ms): TimerHandle {
      const id = setTimeout(callback, real(ms));
      const cancel = (): void => clearTimeout(id);
      return { cancel, [Symbol.dispose]: cancel };
    },
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(new AbortedError('sleep', signal.reason));
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          clearTimeout(id);
          reject(new AbortedError('sleep', signal?.reason));
        };
        const id = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, real(ms));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
  return clock;
}
