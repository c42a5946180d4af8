import type { LazyEnvelope } from '../messages/envelope.js';
import { FanOutLimitError } from './bus-errors.js';

/** Messages a root message may cause by default, every generation counted (docs/decisions/0412). */
export const DEFAULT_MAX_DESCENDANTS = 10_000;

// How many messages each root message has caused so far. Keyed by the root envelope, which every
// descendant reaches through `parent`, so an entry lives exactly as long as some message of its
// tree; shared by the event, command and query buses, which count into one tree.
const caused = new WeakMap<LazyEnvelope, number>();

/**
 * Counts `envelope`, a message published or sent from a handler context, against the budget of
 * its root message; throws {@link FanOutLimitError} (counting nothing) past `limit`. Messages
 * published outside any handler are roots and are never counted: the emit hot path never gets here.
 */
export function countDescendant(envelope: LazyEnvelope, limit: number): void {
  let root = envelope.parent;
  if (root === undefined) return;
  while (root.parent !== undefined) root = root.parent;
  const count = (caused.get(root) ?? 0) + 1;
  if (count > limit) throw new FanOutLimitError(limit, envelope.chain(), root.id);
  caused.set(root, count);
}
