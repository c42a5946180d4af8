import type { DataCodec, Metadata, RecordedEvent, Upcast } from 'tidings';

/** The columns every read selects, in this order. */
export const EVENT_COLUMNS = 'e.position, e.id, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at';

export interface EventRow {
  readonly position: number;
  readonly id: string;
  readonly stream_id: string;
  readonly version: number;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recorded_at: number;
}

/** Turns a stored row into a RecordedEvent: parse, decode with the codec, then upcast. */
export function toRecordedEvent(
  row: EventRow,
  codec: DataCodec | undefined,
  upcast: Upcast | undefined,
): RecordedEvent {
  const metadata = JSON.parse(row.metadata) as Metadata;
  const stored: unknown = JSON.parse(row.data);
  const data =
    codec === undefined ? stored : codec.decode(stored, { type: row.type, streamId: row.stream_id, metadata });
  const recordedAt = new Date(row.recorded_at);
  const event: RecordedEvent = {
    id: row.id,
    type: row.type,
    data,
    metadata,
    streamId: row.stream_id,
    version: BigInt(row.version),
    position: BigInt(row.position),
    recordedAt,
    occurredAt: recordedAt,
  };
  return upcast === undefined ? event : upcast(event);
}
