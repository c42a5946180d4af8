import type { EventStore } from '../store/types.js';
import type { FiredTimerMetadata, ScheduledTimer } from './timer-types.js';

/** Options of {@link fireDueTimers}. */
export interface FireDueTimersOptions {
  /** The time to fire at (the poller's clock). */
  readonly now: Date;
  /** Most timers fired in this transaction (1..10 000). */
  readonly limit: number;
}

/**
 * Fires due timers in ONE transaction: claims (deletes, under the claim lock) up to `limit` timers
 * due at `now` and appends each one's message to its stream with event id = timer id and
 * `metadata.timer` = { id, dueAt, firedAt, lateMs }. A timer therefore fires exactly once: a
 * competing transaction either skips the locked row or finds it deleted, and a rolled-back
 * transaction leaves both the row and the event unwritten. Returns the fired timers.
 *
 * @example
 * const fired = await fireDueTimers(store, { now: new Date(clock.now()), limit: 500 });
 */
export async function fireDueTimers(
  store: Pick<EventStore, 'transaction'>,
  options: FireDueTimersOptions,
): Promise<ScheduledTimer[]> {
  const { now, limit } = options;
  return store.transaction(async (tx) => {
    const due = await tx.timers.claimDue(now, limit);
    for (const timer of due) {
      const timerMeta: FiredTimerMetadata = {
        id: timer.id,
        dueAt: timer.dueAt.toISOString(),
        firedAt: now.toISOString(),
        lateMs: Math.max(0, now.getTime() - timer.dueAt.getTime()),
      };
      // Idempotent append: if an event with this id is already in the stream (the timer was
      // scheduled again after it fired), the store returns the original result and appends nothing.
      await tx.append(timer.streamId, [
        { ...timer.message, id: timer.id, metadata: { ...(timer.message.metadata ?? {}), timer: timerMeta } },
      ]);
    }
    return due;
  });
}
