import { ValidationError } from '../errors.js';
import type { RecordedEvent, StreamInfo } from '../store/types.js';
import type { Snapshot, SnapshotStore } from './snapshot-store.js';

/**
 * How `handleCommand` and `loadState` use snapshots.
 *
 * @example
 * const snapshots: SnapshotOptions<UserState> = { store: createStreamSnapshotStore(store), every: 100, version: 2 };
 */
export interface SnapshotOptions<S> {
  readonly store: SnapshotStore;
  /**
   * Version of the state's shape. Bump it whenever `evolve` or the state type changes: snapshots
   * taken under another version are ignored (the stream is replayed), never misapplied.
   */
  readonly version: number;
  /** Take a snapshot once at least this many events were appended since the one loaded. */
  readonly every?: number | undefined;
  /** Take a snapshot when this returns true for the new state and the events just appended. */
  readonly when?: ((state: S, events: readonly RecordedEvent[]) => boolean) | undefined;
  /**
   * Told when a snapshot cannot be loaded (then ignored) or saved (the command still succeeded).
   * Without it these errors are only visible in `HandleCommandResult.snapshot`.
   */
  readonly onError?: ((error: Error, streamId: string) => void) | undefined;
}

/** Throws a ValidationError for malformed snapshot options. */
export function assertSnapshotOptions(options: SnapshotOptions<unknown>): void {
  const fail = (path: string, why: string): never => {
    throw new ValidationError(`Invalid snapshots option: ${why}.`, [{ path: ['snapshots', path], message: why }], {
      code: 'INVALID_SNAPSHOT_OPTIONS',
    });
  };
  const store = options.store as Partial<SnapshotStore> | undefined;
  if (typeof store?.load !== 'function' || typeof store.save !== 'function')
    fail('store', 'store must be a SnapshotStore { load, save }');
  if (!Number.isSafeInteger(options.version) || options.version < 1) {
    fail(
      'version',
      `version must be a positive integer (the snapshot schema version), got ${JSON.stringify(options.version)}`,
    );
  }
  if (options.every !== undefined && (!Number.isSafeInteger(options.every) || options.every < 1)) {
    fail('every', `every must be a positive integer number of events, got ${JSON.stringify(options.every)}`);
  }
  if (options.when !== undefined && typeof options.when !== 'function')
    fail('when', 'when must be a function (state, events) => boolean');
  if (options.every === undefined && options.when === undefined) {
    fail('every', 'set every (a number of events) or when (a predicate), or snapshots are never taken');
  }
}

/**
 * Why a loaded snapshot may not be used for this stream, or undefined when it may. A snapshot is
 * used only when it was taken by this snapshot schema version, for this stream, at a version the
 * stream has reached, and the events after it are all still readable (its own last event included,
 * which also rules out a snapshot taken before a soft delete).
 */
export function snapshotMismatch(
  snapshot: Snapshot,
  streamId: string,
  version: number,
  info: StreamInfo,
): string | undefined {
  if (snapshot.streamId !== streamId) return `it belongs to '${snapshot.streamId}'`;
  if (snapshot.schemaVersion !== version)
    return `it has schema version ${snapshot.schemaVersion}, the code expects ${version}`;
  if (info.deleted !== undefined) return `the stream is ${info.deleted}-deleted`;
  if (snapshot.streamVersion > info.version)
    return `it is at version ${snapshot.streamVersion}, ahead of the stream (${info.version})`;
  if (snapshot.streamVersion < info.truncatedBefore) {
    return `it is at version ${snapshot.streamVersion}, but events before ${info.truncatedBefore} are no longer readable`;
  }
  return undefined;
}

/** Whether to snapshot after an append, per the `every` and `when` options. */
export function shouldSnapshot<S>(
  options: SnapshotOptions<S>,
  state: S,
  events: readonly RecordedEvent[],
  nextVersion: bigint,
  since: bigint,
): boolean {
  if (events.length === 0) return false;
  if (options.every !== undefined && nextVersion - since >= BigInt(options.every)) return true;
  return options.when?.(state, events) ?? false;
}
