import type { PoolClient } from 'pg';
import { ConcurrencyError, StreamDeletedError } from 'tidings';
import { assertStreamId, encodeStreamMetadata, versionMatches } from 'tidings/store-kit';
import type { DeleteMode, ExpectedVersion, StreamMetadata } from 'tidings';
import { fetchStreamRow } from './stream-reads.js';

/**
 * Before a stream's last events are removed, the position of its last event is kept in the row:
 * an empty append reports it (decision 0104), and the appends no longer keep it current (0310).
 */
const recordLastPosition = (s: string): string => `last_position = greatest(last_position,
  coalesce((select e.position from ${s}.events e where e.stream_id = $1 order by e.version desc limit 1), 0))`;

/** Replaces a stream's metadata. A hard-deleted stream refuses it. */
export async function setStreamMetadata(
  client: PoolClient,
  s: string,
  streamId: string,
  metadata: StreamMetadata,
): Promise<void> {
  assertStreamId(streamId);
  const text = encodeStreamMetadata(streamId, metadata);
  const maxCount = metadata.maxCount ?? null;
  const maxAge = metadata.maxAge ?? null;
  const r = await client.query(
    `insert into ${s}.streams as t (stream_id, metadata, max_count, max_age_ms) values ($1, $2, $3, $4)
       on conflict (stream_id) do update set metadata = excluded.metadata, max_count = excluded.max_count, max_age_ms = excluded.max_age_ms
       where t.deleted is distinct from 'hard'
     returning 1`,
    [streamId, text, maxCount, maxAge],
  );
  if (r.rowCount === 0) throw new StreamDeletedError(streamId);
}

/**
 * Removes events below `before` for good. The bound is capped at the current version + 1, so a
 * truncation never hides events appended later; the stream's version never restarts.
 */
export async function truncateBefore(client: PoolClient, s: string, streamId: string, before: bigint): Promise<void> {
  const row = await fetchStreamRow(client, s, streamId, true);
  if (row?.deleted === 'hard') throw new StreamDeletedError(streamId);
  if (row === undefined || row.version === '0') return;
  const cap = BigInt(row.version) + 1n;
  const bound = before < cap ? before : cap;
  if (bound <= BigInt(row.truncated_before)) return;
  await client.query(`update ${s}.streams set truncated_before = $2, ${recordLastPosition(s)} where stream_id = $1`, [
    streamId,
    bound.toString(),
  ]);
  await client.query(`delete from ${s}.events where stream_id = $1 and version < $2`, [streamId, bound.toString()]);
}

/**
 * Soft delete: the stream's events are removed and it reads as empty; appending again continues
 * its versions ('no-stream' matches a soft-deleted stream). Hard delete: the same, its metadata is
 * cleared and the id is tombstoned (appends fail with StreamDeletedError forever); deleting it
 * again succeeds. Hard-deleting an unknown stream tombstones its id. Same rules as the memory store.
 */
export async function deleteStream(
  client: PoolClient,
  s: string,
  streamId: string,
  mode: DeleteMode,
  expected: ExpectedVersion,
): Promise<void> {
  const row = await fetchStreamRow(client, s, streamId, true);
  // Already gone for good: a retried delete succeeds.
  if (row?.deleted === 'hard') return;
  const version = row === undefined ? 0n : BigInt(row.version);
  if (!versionMatches(expected, version, row?.deleted === 'soft'))
    throw new ConcurrencyError(streamId, expected, version);
  if (mode === 'soft' && version === 0n) return;
  if (row === undefined) {
    await client.query(`insert into ${s}.streams (stream_id, deleted, truncated_before) values ($1, 'hard', 1)`, [
      streamId,
    ]);
    return;
  }
  await client.query(
    mode === 'hard'
      ? `update ${s}.streams set deleted = 'hard', truncated_before = version + 1, metadata = '{}', max_count = null, max_age_ms = null where stream_id = $1`
      : `update ${s}.streams set deleted = 'soft', truncated_before = version + 1, ${recordLastPosition(s)} where stream_id = $1`,
    [streamId],
  );
  await client.query(`delete from ${s}.events where stream_id = $1`, [streamId]);
}
