import { assertSerializable } from '../messages/serializable.js';
import { InvalidSnapshotError } from './errors.js';

/** The folded state of a stream up to one version, saved so loading can skip the events before it. */
export interface Snapshot<S = unknown> {
  readonly streamId: string;
  /** Version of the last event folded into `state`. */
  readonly streamVersion: bigint;
  /** Version of the state's shape (`snapshots.version` of the code that took it). */
  readonly schemaVersion: number;
  readonly state: S;
  readonly takenAt: Date;
}

/**
 * Where snapshots live, one (the latest) per stream. Implementations must return what was saved
 * as JSON would (no shared mutable object), and may drop any snapshot: a missing snapshot only
 * costs a longer replay.
 */
export interface SnapshotStore {
  /** The latest snapshot of the stream, or undefined. Throws {@link InvalidSnapshotError} for an unreadable one. */
  load(streamId: string): Promise<Snapshot | undefined>;
  /** Replaces the stream's snapshot. `state` must be JSON. */
  save(snapshot: Snapshot): Promise<void>;
}

/** A snapshot as JSON-safe data (bigint and Date turned into strings). */
export interface EncodedSnapshot {
  readonly streamVersion: string;
  readonly schemaVersion: number;
  readonly state: unknown;
  readonly takenAt: string;
}

/** Encodes a snapshot for storage as JSON. */
export function encodeSnapshot(snapshot: Snapshot): EncodedSnapshot {
  return {
    streamVersion: snapshot.streamVersion.toString(),
    schemaVersion: snapshot.schemaVersion,
    state: snapshot.state,
    takenAt: snapshot.takenAt.toISOString(),
  };
}

/** Decodes what {@link encodeSnapshot} produced; throws {@link InvalidSnapshotError} on anything else. */
export function decodeSnapshot(streamId: string, value: unknown): Snapshot {
  if (typeof value !== 'object' || value === null)
    throw new InvalidSnapshotError(streamId, `expected an object, found ${value === null ? 'null' : typeof value}`);
  const v = value as Partial<Record<keyof EncodedSnapshot, unknown>>;
  if (typeof v.streamVersion !== 'string' || !/^[0-9]+$/.test(v.streamVersion)) {
    throw new InvalidSnapshotError(
      streamId,
      `streamVersion ${JSON.stringify(v.streamVersion)} is not a non-negative integer string`,
    );
  }
  if (typeof v.schemaVersion !== 'number' || !Number.isInteger(v.schemaVersion)) {
    throw new InvalidSnapshotError(streamId, `schemaVersion ${JSON.stringify(v.schemaVersion)} is not an integer`);
  }
  if (!('state' in v)) throw new InvalidSnapshotError(streamId, 'it has no state');
  const takenAt = new Date(typeof v.takenAt === 'string' ? v.takenAt : NaN);
  if (Number.isNaN(takenAt.getTime()))
    throw new InvalidSnapshotError(streamId, `takenAt ${JSON.stringify(v.takenAt)} is not a date`);
  return { streamId, streamVersion: BigInt(v.streamVersion), schemaVersion: v.schemaVersion, state: v.state, takenAt };
}

/** An in-memory {@link SnapshotStore} with the `clear` and `size` a test wants. */
export interface InMemorySnapshotStore extends SnapshotStore {
  /** Forgets every snapshot. */
  clear(): void;
  /** Number of streams with a snapshot. */
  readonly size: number;
}

/**
 * A {@link SnapshotStore} in a Map. Snapshots go through JSON on save, so state that would not
 * survive a real store (a Map, a Date, a bigint) fails here too, and a loaded state is never the
 * object that was saved.
 *
 * @example
 * await handleCommand(store, 'user-1', userDecider, command, { snapshots: { store: createInMemorySnapshotStore(), every: 100, version: 1 } });
 */
export function createInMemorySnapshotStore(): InMemorySnapshotStore {
  const snapshots = new Map<string, string>();
  return {
    load(streamId) {
      const json = snapshots.get(streamId);
      return Promise.resolve(json === undefined ? undefined : decodeSnapshot(streamId, JSON.parse(json)));
    },
    save(snapshot) {
      try {
        assertSerializable(snapshot.state, `snapshot of ${snapshot.streamId}`, 'state');
        snapshots.set(snapshot.streamId, JSON.stringify(encodeSnapshot(snapshot)));
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    clear: () => snapshots.clear(),
    get size() {
      return snapshots.size;
    },
  };
}
