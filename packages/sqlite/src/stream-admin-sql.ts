import type { Database, Statement } from 'better-sqlite3';
import {
  ConcurrencyError,
  StreamDeletedError,
  type DeleteMode,
  type ExpectedVersion,
  type StreamMetadata,
} from 'tidings';
import { versionMatches } from 'tidings/store-kit';

interface StreamRow {
  readonly version: number;
  readonly truncated_before: number;
  readonly deleted: 'soft' | 'hard' | null;
}

/**
 * Synchronous SQL for stream retention and deletion, run inside a write transaction. Truncation
 * and deletion remove the hidden rows physically (the space is reused, a deleted stream's data is
 * really gone); the stream row keeps its version, so versions never restart, and AUTOINCREMENT
 * keeps positions from ever being reused.
 */
export class StreamAdminSql {
  private readonly row: Statement<[string], StreamRow>;
  private readonly removeBefore: Statement<[string, number | bigint]>;
  private readonly setTruncated: Statement<[string, number | bigint]>;
  private readonly setDeleted: Statement<[string, string, number]>;
  private readonly setMetadata: Statement<[string, string, number | null, number | null]>;

  constructor(db: Database) {
    this.row = db.prepare('SELECT version, truncated_before, deleted FROM streams WHERE stream_id = ?');
    this.removeBefore = db.prepare('DELETE FROM events WHERE stream_id = ? AND version < ?');
    this.setTruncated = db.prepare(
      `INSERT INTO streams (stream_id, version, truncated_before) VALUES (?, 0, ?)
       ON CONFLICT (stream_id) DO UPDATE SET truncated_before = max(truncated_before, excluded.truncated_before)`,
    );
    this.setDeleted = db.prepare(
      `INSERT INTO streams (stream_id, version, deleted, truncated_before) VALUES (?, 0, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET deleted = excluded.deleted, truncated_before = max(truncated_before, excluded.truncated_before)`,
    );
    this.setMetadata = db.prepare(
      `INSERT INTO streams (stream_id, version, metadata, max_age, max_count) VALUES (?, 0, ?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET metadata = excluded.metadata, max_age = excluded.max_age, max_count = excluded.max_count`,
    );
  }

  truncateBefore(streamId: string, before: bigint): void {
    const row = this.row.get(streamId);
    if (row?.deleted === 'hard') throw new StreamDeletedError(streamId);
    if (row === undefined || row.version === 0) return;
    // Capped at the next version: truncation never hides events not yet written (decision 0103).
    const next = BigInt(row.version) + 1n;
    const effective = before > next ? next : before;
    if (effective <= BigInt(row.truncated_before)) return;
    this.setTruncated.run(streamId, effective);
    this.removeBefore.run(streamId, effective);
  }

  delete(streamId: string, mode: DeleteMode, expectedVersion: ExpectedVersion): void {
    const row = this.row.get(streamId);
    if (row?.deleted === 'hard') return; // already gone for good: a retried delete succeeds
    const version = row?.version ?? 0;
    if (!versionMatches(expectedVersion, BigInt(version), row?.deleted === 'soft')) {
      throw new ConcurrencyError(streamId, expectedVersion, BigInt(version));
    }
    if (mode === 'soft' && version === 0) return; // nothing to hide
    this.setDeleted.run(streamId, mode, version + 1);
    this.removeBefore.run(streamId, version + 1);
    // A tombstone keeps no user metadata and no retention.
    if (mode === 'hard') this.setMetadata.run(streamId, '{}', null, null);
  }

  setStreamMetadata(streamId: string, metadata: StreamMetadata, json: string): void {
    const row = this.row.get(streamId);
    if (row?.deleted === 'hard') throw new StreamDeletedError(streamId);
    this.setMetadata.run(streamId, json, metadata.maxAge ?? null, metadata.maxCount ?? null);
  }
}
