import { AbortedError, type Clock, type TimerHandle } from 'tidings';

/** A clock that runs `factor` times faster than the wall clock (the demo's 15 minutes pass in seconds). */
export interface ScaledClock extends Clock {
  readonly factor: number;
}

/**
 * Core's `Clock` on a sped-up time line: `now()` is `origin` at the real time `origin` and
 * advances `factor` times faster; `setTimeout(cb, ms)` and `sleep(ms)` wait `ms / factor` real
 * milliseconds. Every part of the app (timer poller, processors, store timestamps) reads the same
 * time line. Two processes given the same `origin` share it (the crash test's restarts do).
 */
export function scaledClock(factor: number, origin = Date.now()): ScaledClock {
  if (!(Number.isFinite(factor) && factor >= 1)) {
    throw new RangeError(`scaledClock(factor): expected a finite number >= 1, got ${String(factor)}.`);
  }
  const real = (ms: number): number => Math.max(0, ms) / factor;
  const clock: ScaledClock = {
    factor,
    now: () => Math.floor(origin + (Date.now() - origin) * factor),
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

/**
 * Settings of the sale's store and processors on a sped-up clock: every duration they take is on
 * the app clock, so a real 50 ms poll is `50 * factor` there. `realLeaseTtlMs` bounds how long a
 * restarted process waits for a killed one's leases.
 */
export function scaledSettings(clock: ScaledClock, realLeaseTtlMs = 1_000) {
  const real = (ms: number): number => Math.min(Math.round(ms * clock.factor), 2 ** 31 - 1);
  return {
    store: { clock, lockTimeoutMs: real(5_000) },
    runner: {
      pollIntervalMs: real(50),
      leaseTtlMs: real(realLeaseTtlMs),
      startTimeoutMs: real(30_000),
      stopTimeoutMs: real(30_000),
    },
    timers: { pollIntervalMs: real(100) },
    crmRetry: { maxAttempts: 3, baseDelayMs: real(20) },
    // A transient failure (a lock wait on a loaded machine) is retried over real time, not at once.
    retry: { maxAttempts: 8, baseDelayMs: real(20), maxDelayMs: real(1_000) },
    settleTimeoutMs: real(30_000),
    // Conflicts on a hot stock stream: the backoff between attempts must be real time too.
    conflictRetry: { maxRetries: 50, initialDelayMs: real(2), maxDelayMs: real(100) },
  };
}
