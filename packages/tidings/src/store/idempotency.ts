import { DuplicateEventError } from './errors.js';
import type { AppendResult, ExpectedVersion } from './types.js';

/** Where an already stored event sits; what a store looks up for the ids of an append. */
export interface StoredEventRef {
  /** Lower-case UUID, as `prepareAppend` normalises it. */
  readonly id: string;
  readonly streamId: string;
  readonly version: bigint;
  readonly position: bigint;
}

/**
 * The single meaning of idempotent append (DESIGN.md §5, decision 0102), shared by every store.
 * `ids` are the (lower-case) ids of the append in order; `found` are the stored events having any
 * of those ids, in any order.
 *
 * - None found: returns `undefined`, append normally.
 * - All found, in `streamId`, at consecutive versions in the same order, and, when
 *   `expectedVersion` is a bigint, starting right after it: the append already happened; returns
 *   its original result (`nextVersion` = version of the last of them, `position` = its position).
 *   For `'any'`, `'no-stream'` and `'exists'` the run may start anywhere in the stream: its being
 *   stored proves the original append passed its check.
 * - Anything else (another stream, a partial overlap, another order or start): throws
 *   {@link DuplicateEventError}. Nothing is written.
 *
 * Call it after the tombstone check and before the expected-version check, under the write lock.
 *
 * @example
 * const found = lookUpIds(prepared.events.map((e) => e.id));
 * const original = resolveIdempotentAppend(streamId, expectedVersion, ids, found);
 * if (original !== undefined) return original;
 */
export function resolveIdempotentAppend(
  streamId: string,
  expectedVersion: ExpectedVersion,
  ids: readonly string[],
  found: readonly StoredEventRef[],
): AppendResult | undefined {
  if (found.length === 0) return undefined;
  const elsewhere = found.find((e) => e.streamId !== streamId);
  if (elsewhere !== undefined) {
    throw new DuplicateEventError(elsewhere.id, streamId, `in stream '${elsewhere.streamId}'`);
  }
  const byId = new Map(found.map((e) => [e.id, e]));
  const missing = ids.findIndex((id) => !byId.has(id));
  if (missing !== -1) {
    const stored = ids.find((id) => byId.has(id)) ?? found[0]!.id;
    throw new DuplicateEventError(
      stored,
      streamId,
      `in this stream at version ${byId.get(stored)?.version ?? '?'}, but event ${ids[missing]} of the same append does not: a retry must resend exactly the same ids`,
    );
  }
  const first = byId.get(ids[0]!)!;
  for (let i = 1; i < ids.length; i++) {
    const e = byId.get(ids[i]!)!;
    if (e.version !== first.version + BigInt(i)) {
      throw new DuplicateEventError(
        e.id,
        streamId,
        `in this stream at version ${e.version}, in another order or another append`,
      );
    }
  }
  if (typeof expectedVersion === 'bigint' && first.version !== expectedVersion + 1n) {
    throw new DuplicateEventError(
      first.id,
      streamId,
      `in this stream at version ${first.version}, appended after version ${first.version - 1n}, not ${expectedVersion}`,
    );
  }
  const last = byId.get(ids[ids.length - 1]!)!;
  return { nextVersion: last.version, position: last.position };
}
