import { StoreBusyError, type Clock } from 'tidings';

/** True for SQLite's "another connection holds the lock" errors (SQLITE_BUSY and its extended codes). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED')
  );
}

export interface BusyRetry {
  readonly clock: Clock;
  readonly random: () => number;
  /** Give up with StoreBusyError once this much time has passed since the first attempt. */
  readonly lockTimeoutMs: number;
}

/**
 * Runs a synchronous SQLite call, retrying on SQLITE_BUSY with jittered exponential backoff on
 * the clock. Each attempt blocks the event loop for at most the connection's short busy_timeout;
 * the waiting between attempts is asynchronous, so a writer stuck in another process never
 * freezes this one. `deadline` (clock time) lets a queue share one deadline across attempts.
 */
export async function withBusyRetry<T>(what: string, retry: BusyRetry, fn: () => T, deadline?: number): Promise<T> {
  const giveUpAt = deadline ?? retry.clock.now() + retry.lockTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const now = retry.clock.now();
      if (now >= giveUpAt) throw new StoreBusyError(what, retry.lockTimeoutMs, error);
      // Full jitter, capped: spreads competing processes apart without long idle gaps.
      const cap = Math.min(100, 2 * 2 ** Math.min(attempt, 6));
      const wait = Math.min(giveUpAt - now, 1 + retry.random() * cap);
      await retry.clock.sleep(wait);
    }
  }
}
