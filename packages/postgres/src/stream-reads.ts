import type { PoolClient } from 'pg';
import { assertReadStreamOptions, assertStreamId } from 'tidings/store-kit';
import type { RecordedEvent, ReadStreamOptions, StreamInfo } from 'tidings';
import { EVENT_COLUMNS, paged, toStreamInfo } from './reads.js';
import type { EventRow, ReadContext, StreamRow, WithClient } from './reads.js';

export async function fetchStreamRow(
  client: PoolClient,
  s: string,
  streamId: string,
  lock = false,
): Promise<StreamRow | undefined> {
  const r = await client.query<StreamRow>(
    `select stream_id, version, last_position, truncated_before, deleted, metadata, max_count, max_age_ms
       from ${s}.streams where stream_id = $1${lock ? ' for update' : ''}`,
    [streamId],
  );
  return r.rows[0];
}

export async function streamInfo(withClient: WithClient, ctx: ReadContext, streamId: string): Promise<StreamInfo> {
  assertStreamId(streamId);
  const row = await withClient((c) => fetchStreamRow(c, ctx.s, streamId));
  return toStreamInfo(streamId, row);
}

/**
 * Reads one stream in version order (validation errors surface on iteration, as in every store).
 * Events below the stream's truncation point, beyond its `maxCount` or older than its `maxAge`
 * are not returned; a deleted stream reads as empty.
 */
export async function* readStream(
  withClient: WithClient,
  ctx: ReadContext,
  streamId: string,
  options: ReadStreamOptions | undefined,
): AsyncGenerator<RecordedEvent> {
  assertStreamId(streamId);
  assertReadStreamOptions(options);
  const forward = (options?.direction ?? 'forward') === 'forward';
  const row = await withClient((c) => fetchStreamRow(c, ctx.s, streamId));
  if (row === undefined) return;
  const version = BigInt(row.version);
  // Truncated and deleted events are physically gone; retention (maxCount, maxAge) hides the rest.
  let lower = BigInt(row.truncated_before);
  if (row.max_count !== null && version - BigInt(row.max_count) + 1n > lower)
    lower = version - BigInt(row.max_count) + 1n;
  const cutoff = row.max_age_ms === null ? null : new Date(ctx.now() - Number(row.max_age_ms));
  const start = forward
    ? options?.from !== undefined && options.from > lower
      ? options.from
      : lower
    : (options?.from ?? version);
  const text = `select ${EVENT_COLUMNS} from ${ctx.s}.events e
     where e.stream_id = $1 and e.version ${forward ? '>=' : '<='} $2 and e.version >= $3
       and ($4::timestamptz is null or e.recorded_at >= $4::timestamptz)
     order by e.version ${forward ? 'asc' : 'desc'} limit $5`;
  const fetch = (cursor: bigint, n: number): Promise<EventRow[]> =>
    withClient(
      async (c) => (await c.query<EventRow>(text, [streamId, cursor.toString(), lower.toString(), cutoff, n])).rows,
    );
  // No prefetch: this read may run on a caller's transaction, whose statements keep the caller's order.
  const read = {
    fetch,
    start,
    forward,
    limit: options?.limit,
    pageSize: ctx.pageSize,
    key: (r: EventRow) => BigInt(r.version),
  };
  yield* paged(() => read, ctx, false);
}
