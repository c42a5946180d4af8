import { toError } from '../errors.js';
import type { Message } from '../messages/message.js';
import { StreamDeletedError } from '../store/errors.js';
import type { EventReader, RecordedEvent, Upcast } from '../store/types.js';
import { assertStreamId } from '../store/validation.js';
import { assertDecider, initialStateOf, type Decider } from './decider.js';
import { assertSnapshotOptions, snapshotMismatch, type SnapshotOptions } from './snapshot-policy.js';
import type { Snapshot } from './snapshot-store.js';

/** Options of {@link loadState}. */
export interface LoadStateOptions<S> {
  /** Start from the stream's snapshot when a usable one exists. */
  readonly snapshots?: SnapshotOptions<S> | undefined;
  /**
   * Applied to each event before `evolve`, for stores opened without their `upcast` option.
   * Applying an upcaster twice is harmless: an upcast event is already current.
   */
  readonly upcast?: Upcast | undefined;
}

/** A stream folded into a state. */
export interface LoadedState<S> {
  readonly state: S;
  /** The stream's version the state corresponds to: pass it as `expectedVersion` to append a decision. */
  readonly version: bigint;
  /** Version of the snapshot the load started from, or undefined when it replayed from the start. */
  readonly snapshotVersion: bigint | undefined;
  /** How many events were folded (after the snapshot, if any). */
  readonly eventsRead: number;
}

/** Internal: recognises the events a command appended earlier, by their derived ids. */
export interface OriginalLookup {
  readonly firstId: string;
  idAt(index: number): Promise<string>;
}

/** Internal: a load that also found the events of an already handled command. */
export interface LoadedWithOriginal<S> extends LoadedState<S> {
  readonly snapshotError: Error | undefined;
  /** Global position of the last event folded, when one was. */
  readonly lastPosition: bigint | undefined;
  readonly original: { readonly events: RecordedEvent[]; readonly state: S } | undefined;
}

/**
 * Loads the current state of a stream: the latest usable snapshot (when `snapshots` is given),
 * then every event after it folded with the decider's `evolve`. A snapshot of another schema
 * version, ahead of the stream, or older than what the stream still holds is ignored.
 *
 * @example
 * const { state, version } = await loadState(store, 'user-42', userDecider);
 */
export async function loadState<S, E extends Message>(
  store: EventReader,
  streamId: string,
  decider: Decider<S, Message, E>,
  options: LoadStateOptions<S> = {},
): Promise<LoadedState<S>> {
  const { state, version, snapshotVersion, eventsRead } = await loadWithOriginal(
    store,
    streamId,
    decider,
    options,
    undefined,
  );
  return { state, version, snapshotVersion, eventsRead };
}

/** Internal: {@link loadState} that also reports the original events of a command (see handleCommand). */
export async function loadWithOriginal<S, E extends Message>(
  store: EventReader,
  streamId: string,
  decider: Decider<S, Message, E>,
  options: LoadStateOptions<S>,
  lookup: OriginalLookup | undefined,
): Promise<LoadedWithOriginal<S>> {
  assertStreamId(streamId);
  assertDecider(decider, 'loadState');
  const snapshots = options.snapshots;
  if (snapshots !== undefined) assertSnapshotOptions(snapshots as SnapshotOptions<unknown>);

  // The snapshot is read before the stream's info, so a snapshot saved meanwhile is never ahead of it.
  let snapshot: Snapshot | undefined;
  let snapshotError: Error | undefined;
  if (snapshots !== undefined) {
    try {
      snapshot = await snapshots.store.load(streamId);
    } catch (error) {
      // A snapshot is only a shortcut: an unreadable one costs a full replay, not the command.
      snapshotError = toError(error);
      snapshots.onError?.(snapshotError, streamId);
    }
  }
  const info = await store.streamInfo(streamId);
  if (info.deleted === 'hard') throw new StreamDeletedError(streamId);
  let base =
    snapshot !== undefined &&
    snapshots !== undefined &&
    snapshotMismatch(snapshot, streamId, snapshots.version, info) === undefined
      ? snapshot
      : undefined;

  for (;;) {
    let state = base === undefined ? initialStateOf(decider) : (base.state as S);
    let last = base?.streamVersion ?? 0n;
    let eventsRead = 0;
    let lastPosition: bigint | undefined;
    let gap = false;
    let captured: RecordedEvent[] | undefined;
    let capturing = false;
    let nextId: string | undefined;
    let originalState: S | undefined;

    for await (const raw of store.readStream(
      streamId,
      base === undefined ? undefined : { from: base.streamVersion + 1n },
    )) {
      if (base !== undefined && eventsRead === 0 && raw.version !== base.streamVersion + 1n) {
        // Events right after the snapshot vanished between streamInfo and this read (truncation):
        // the snapshot no longer lines up with the stream, so replay without it.
        gap = true;
        break;
      }
      const event = options.upcast === undefined ? raw : options.upcast(raw);
      state = decider.evolve(state, event as unknown as E);
      last = raw.version;
      lastPosition = raw.position;
      eventsRead++;
      if (lookup !== undefined && (captured === undefined || capturing)) {
        const id = raw.id.toLowerCase();
        if (captured === undefined && id === lookup.firstId) {
          captured = [event];
          capturing = true;
        } else if (capturing && id === nextId) {
          captured!.push(event);
        } else {
          capturing = false;
        }
        if (capturing) {
          originalState = state;
          nextId = await lookup.idAt(captured!.length);
        }
      }
    }
    if (gap) {
      base = undefined;
      continue;
    }
    return {
      state,
      // A stream whose events are all hidden (truncated, soft-deleted) still has its version.
      version: info.version > last ? info.version : last,
      snapshotVersion: base?.streamVersion,
      eventsRead,
      snapshotError,
      lastPosition,
      original: captured === undefined ? undefined : { events: captured, state: originalState as S },
    };
  }
}
