import { serializeError } from '../reliability/serialize-error.js';
import type { EventStore } from '../store/types.js';
import { TimerParkedError } from './timer-parked-error.js';
import type { FiredMessage, FiredTimerMetadata, ScheduledTimer } from './timer-types.js';

/** Options of {@link fireDueTimers}. */
export interface FireDueTimersOptions {
  /** The time to fire at (the poller's clock). */
  readonly now: Date;
  /** Most timers fired in this transaction (1..10 000). */
  readonly limit: number;
  /**
   * Called after the transaction committed, once per timer of the batch whose message the store
   * refused: it was parked (see `TimerParkedError`). Errors thrown by it are ignored.
   */
  readonly onParked?: ((error: TimerParkedError) => void) | undefined;
}

/** The fired event of a claimed timer: its message, id = timer id, `metadata.timer` added. */
function firedMessage(timer: ScheduledTimer, now: Date): FiredMessage {
  const timerMeta: FiredTimerMetadata = {
    id: timer.id,
    dueAt: timer.dueAt.toISOString(),
    firedAt: now.toISOString(),
    lateMs: Math.max(0, now.getTime() - timer.dueAt.getTime()),
  };
  return {
    streamId: timer.streamId,
    event: { ...timer.message, id: timer.id, metadata: { ...(timer.message.metadata ?? {}), timer: timerMeta } },
  };
}

/**
 * Fires due timers in ONE transaction: claims (deletes, under the claim lock) up to `limit` timers
 * due at `now` and appends each one's message to its stream with event id = timer id and
 * `metadata.timer` = { id, dueAt, firedAt, lateMs } (through `tx.timers.appendFired`: one append
 * per timer, set-based on PostgreSQL). A timer therefore fires exactly once: a competing
 * transaction either skips the locked row or finds it deleted, and a rolled-back transaction leaves
 * both the row and the event unwritten.
 *
 * A timer whose message the store refuses does not hold up the others: it is parked in the same
 * transaction (kept with its error, listed by `store.timers.listParked()`), and `onParked` is told
 * after the commit. A failure of the store itself (connection, lock timeout) rolls the whole batch
 * back and is thrown: every claimed timer is still pending. Returns the fired timers.
 *
 * @example
 * const fired = await fireDueTimers(store, { now: new Date(clock.now()), limit: 500 });
 */
export async function fireDueTimers(
  store: Pick<EventStore, 'transaction'>,
  options: FireDueTimersOptions,
): Promise<ScheduledTimer[]> {
  const { now, limit, onParked } = options;
  const parked: TimerParkedError[] = [];
  const fired = await store.transaction(async (tx) => {
    parked.length = 0; // a store that runs work again after a retryable failure starts afresh
    const due = await tx.timers.claimDue(now, limit);
    if (due.length === 0) return due;
    // Idempotent append: an event with this id already in the stream (the timer was scheduled
    // again after it fired) is the original result, nothing appended.
    const outcomes = await tx.timers.appendFired(due.map((timer) => firedMessage(timer, now)));
    const ok: ScheduledTimer[] = [];
    for (let i = 0; i < due.length; i++) {
      const timer = due[i]!;
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        ok.push(timer);
        continue;
      }
      await tx.timers.park(timer, serializeError(outcome.error));
      parked.push(new TimerParkedError(timer.id, timer.streamId, outcome.error));
    }
    return ok;
  });
  for (const error of parked) {
    try {
      onParked?.(error);
    } catch {
      // A reporting callback that throws must not undo a committed batch.
    }
  }
  return fired;
}
