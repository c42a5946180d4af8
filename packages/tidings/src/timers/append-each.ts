import type { AppendOptions, AppendResult, EventToAppend } from '../store/types.js';
import type { FiredMessage, FiredOutcome } from './timer-types.js';

const ANY: AppendOptions = { expectedVersion: 'any' };

/**
 * `tx.timers.appendFired` for a store whose appends inside a transaction are cheap one by one
 * (memory, SQLite): each message is its own `append`, and a refused one becomes its outcome. An
 * append refused for its own reasons leaves the transaction usable in every store (decision 0111);
 * when the store marked the transaction aborted, the next append throws and so does this.
 *
 * @example
 * // In a store's transaction: tx.timers.appendFired = (messages) => appendEach(append, () => open.abortCause, messages)
 * const outcomes = await appendEach(append, () => undefined, [{ streamId: 'order-1', event: { type: 'T', data: {} } }]);
 */
export async function appendEach(
  append: (streamId: string, events: readonly EventToAppend[], options: AppendOptions) => Promise<AppendResult>,
  aborted: () => unknown,
  messages: readonly FiredMessage[],
): Promise<FiredOutcome[]> {
  const outcomes: FiredOutcome[] = [];
  for (const m of messages) {
    try {
      await append(m.streamId, [m.event], ANY);
      outcomes.push({ ok: true });
    } catch (error) {
      if (aborted() !== undefined) throw error;
      outcomes.push({ ok: false, error });
    }
  }
  return outcomes;
}
