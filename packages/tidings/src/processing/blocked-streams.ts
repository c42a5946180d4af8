import { TidingsError } from '../errors.js';
import { categoryOf } from '../messages/names.js';
import { serializeError } from '../reliability/serialize-error.js';
import type { ParkedEvent, ParkRequest } from '../store/processing-types.js';
import type { EventStore, ReadAllFilter, RecordedEvent } from '../store/types.js';

/**
 * A stream of a block-stream processor that waits behind a parked event.
 *
 * - `'blocked'`: its events are held: counted done for the watermark, not handled. The parked
 *   entry makes that durable; `heldUpTo` is the highest position held so far (events of the
 *   stream after the parked version and at or below it are replayed when the stream resumes).
 * - `'replaying'`: the parked event was resolved and the held events are being handled in order;
 *   newly received events of the stream wait in the log until the replay finished.
 */
export interface BlockedStream {
  mode: 'blocked' | 'replaying';
  /** Version of the event the stream waits behind. */
  version: bigint;
  heldUpTo: bigint;
}

/** Code of the parked entry that marks where an interrupted replay resumes (see decision 0644). */
export const HELD_CODE = 'PROCESSOR_HELD_EVENT';

/** A parked entry written by the runner to mark the next held event of a replay, not a failure. */
export function isHeldMarker(entry: ParkedEvent): boolean {
  return entry.error.code === HELD_CODE;
}

/** The park request of a held-event marker. */
export function heldMarker(processor: string, partition: number, event: RecordedEvent, epoch: bigint): ParkRequest {
  const notice = new TidingsError(
    HELD_CODE,
    `Held: event ${event.id} (stream '${event.streamId}', version ${event.version}) waited behind a parked event that was resolved; the runner handles it next, in stream order (after a restart it resumes here by itself).`,
  );
  return {
    processor,
    partition,
    event: pick(event),
    error: serializeError(notice),
    attempts: 1,
    blocking: true,
    epoch,
  };
}

/** The fields of an event a parked entry keeps. */
export function pick(event: RecordedEvent): ParkRequest['event'] {
  return {
    id: event.id,
    position: event.position,
    streamId: event.streamId,
    version: event.version,
    type: event.type,
  };
}

export function matches(filter: ReadAllFilter | undefined, event: RecordedEvent): boolean {
  return (
    (filter?.types === undefined || filter.types.includes(event.type)) &&
    (filter?.categories === undefined || filter.categories.includes(categoryOf(event.streamId)))
  );
}

/**
 * The first event of `streamId` after `afterVersion` that the processor selects, if it lies at or
 * below `upTo` (held events only: later ones arrive through the subscription).
 */
export async function nextHeld(
  store: EventStore,
  filter: ReadAllFilter | undefined,
  streamId: string,
  afterVersion: bigint,
  upTo: bigint,
): Promise<RecordedEvent | undefined> {
  let from = afterVersion + 1n;
  for (;;) {
    let count = 0;
    for await (const event of store.readStream(streamId, { from, limit: 100 })) {
      count++;
      from = event.version + 1n;
      if (event.position > upTo) return undefined;
      if (matches(filter, event)) return event;
    }
    if (count < 100) return undefined;
  }
}

/** The parked event itself, read back from its stream (undefined when it was deleted or truncated away). */
export async function readParked(store: EventStore, entry: ParkedEvent): Promise<RecordedEvent | undefined> {
  for await (const event of store.readStream(entry.streamId, { from: entry.version, limit: 1 })) {
    if (event.id.toLowerCase() === entry.eventId.toLowerCase()) return event;
  }
  return undefined;
}
