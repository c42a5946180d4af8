import type { EventStore } from '../store/types.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotStore } from './snapshot-store.js';

/** Event type of the snapshot events kept in companion streams. */
export const SNAPSHOT_EVENT_TYPE = 'tidings.snapshot';
/** Default prefix of companion snapshot streams: `$snapshot-order-42` holds the snapshot of `order-42`. */
export const SNAPSHOT_STREAM_PREFIX = '$snapshot-';

/** Options of {@link createStreamSnapshotStore}. */
export interface StreamSnapshotStoreOptions {
  /** Prefix of the companion stream ids. Default `'$snapshot-'`, which makes `$snapshot` their category. */
  readonly prefix?: string | undefined;
}

// Remembering which companion streams already carry `maxCount: 1` saves a metadata write per save;
// bounded so a process touching millions of streams does not grow it forever.
const MAX_REMEMBERED = 10_000;

/**
 * A {@link SnapshotStore} that keeps each stream's snapshot in a companion stream of the same
 * event store (`$snapshot-<streamId>`), using only the `EventStore` contract, so it works the same
 * on every store and snapshots are backed up with the events. Each save appends one
 * `tidings.snapshot` event; the companion stream carries `maxCount: 1`, so only the latest is kept
 * readable. Readers of `$all` see these events under the category `$snapshot`: filter by category
 * when that matters.
 *
 * @example
 * const snapshots = createStreamSnapshotStore(store);
 * await handleCommand(store, 'user-1', userDecider, command, { snapshots: { store: snapshots, every: 50, version: 1 } });
 */
export function createStreamSnapshotStore(
  store: Pick<EventStore, 'append' | 'readStream' | 'setStreamMetadata'>,
  options: StreamSnapshotStoreOptions = {},
): SnapshotStore {
  const prefix = options.prefix ?? SNAPSHOT_STREAM_PREFIX;
  const limited = new Set<string>();
  const companion = (streamId: string): string => `${prefix}${streamId}`;

  return {
    async load(streamId) {
      for await (const event of store.readStream(companion(streamId), { direction: 'backward', limit: 1 })) {
        return decodeSnapshot(streamId, event.data);
      }
      return undefined;
    },
    async save(snapshot) {
      const id = companion(snapshot.streamId);
      const result = await store.append(id, [{ type: SNAPSHOT_EVENT_TYPE, data: encodeSnapshot(snapshot) }], {
        expectedVersion: 'any',
      });
      // Set on the first save and once per process per stream after that, so a crash between the
      // first append and this call heals itself.
      if (result.nextVersion === 1n || !limited.has(id)) {
        await store.setStreamMetadata(id, { maxCount: 1 });
        if (limited.size >= MAX_REMEMBERED) limited.clear();
        limited.add(id);
      }
    },
  };
}
