import type { DataCodec, Metadata, RecordedEvent, Upcast } from 'tidings';

/** The columns every read selects, in this order (see {@link EventRow}). */
export const EVENT_COLUMNS = 'e.position, e.id, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at';

/**
 * One selected event as better-sqlite3 returns it in raw mode with safe integers: an array in
 * `EVENT_COLUMNS` order, integers as bigint. Arrays skip building a keyed object per row, and
 * bigint columns skip a Number-to-BigInt conversion for position and version — together the
 * larger part of a read's cost after JSON.parse (decision 0204).
 */
export type EventRow = readonly [
  position: bigint,
  id: string,
  streamId: string,
  version: bigint,
  type: string,
  data: string,
  metadata: string,
  recordedAt: bigint,
];

/** Turns a stored row into a RecordedEvent: parse, decode with the codec, then upcast. */
export function toRecordedEvent(
  row: EventRow,
  codec: DataCodec | undefined,
  upcast: Upcast | undefined,
): RecordedEvent {
  const type = row[4];
  const streamId = row[2];
  // Most events carry no metadata: '{}' needs no parser.
  const metadata = (row[6] === '{}' ? {} : JSON.parse(row[6])) as Metadata;
  const stored: unknown = JSON.parse(row[5]);
  const data = codec === undefined ? stored : codec.decode(stored, { type, streamId, metadata });
  const recordedAt = new Date(Number(row[7]));
  const event: RecordedEvent = {
    id: row[1],
    type,
    data,
    metadata,
    streamId,
    version: row[3],
    position: row[0],
    recordedAt,
    occurredAt: recordedAt,
  };
  return upcast === undefined ? event : upcast(event);
}
