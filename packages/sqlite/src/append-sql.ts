import type { Database, Statement } from 'better-sqlite3';
import {
  ConcurrencyError,
  resolveIdempotentAppend,
  StreamDeletedError,
  versionMatches,
  type AppendResult,
  type ExpectedVersion,
  type PreparedEvent,
} from 'tidings';
import { streamHash } from './stream-hash.js';

/** An append validated and encoded by `prepareAppend`, waiting for the write lock. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
}

interface StreamRow {
  readonly version: number;
  readonly last_position: number;
  readonly deleted: 'soft' | 'hard' | null;
}

interface ExistingRow {
  readonly id: string;
  readonly stream_id: string;
  readonly version: number;
  readonly position: number;
}

/**
 * The synchronous SQL of one append, run on the writer connection inside an open write
 * transaction. Every check happens before the first write, so a typed error leaves the
 * transaction (and the other appends of its batch) untouched.
 */
export class AppendSql {
  private readonly streamRow: Statement<[string], StreamRow>;
  private readonly existing: Statement<[string], ExistingRow>;
  private readonly existingOne: Statement<[string], ExistingRow>;
  private readonly lastRecordedAt: Statement<[], { recorded_at: number }>;
  private readonly insert: Statement<unknown[]>;
  private readonly upsertStream: Statement<[string, number, number | bigint]>;

  constructor(db: Database) {
    this.streamRow = db.prepare('SELECT version, last_position, deleted FROM streams WHERE stream_id = ?');
    this.existingOne = db.prepare('SELECT id, stream_id, version, position FROM events WHERE id = ?');
    this.existing = db.prepare(
      'SELECT id, stream_id, version, position FROM events WHERE id IN (SELECT value FROM json_each(?)) ORDER BY position',
    );
    this.lastRecordedAt = db.prepare('SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1');
    this.insert = db.prepare(
      `INSERT INTO events (id, stream_id, version, type, data, metadata, recorded_at, correlation_id, causation_id, schema_version, stream_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // A soft-deleted stream comes back when appended to; its old events stay hidden (truncated_before).
    this.upsertStream = db.prepare(
      `INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position,
         deleted = CASE WHEN deleted = 'soft' THEN NULL ELSE deleted END`,
    );
  }

  /** `recordedAt` for the next events: the clock, clamped so it never goes below the last stored event's. */
  recordedAt(now: number): number {
    const last = this.lastRecordedAt.get()?.recorded_at ?? Number.NEGATIVE_INFINITY;
    return Math.max(now, last);
  }

  /** Stored events having any of these ids: one index probe each for small appends, one statement for large ones. */
  private lookUp(ids: readonly string[]): ExistingRow[] {
    if (ids.length > 8) return this.existing.all(JSON.stringify(ids));
    const found: ExistingRow[] = [];
    for (const id of ids) {
      const row = this.existingOne.get(id);
      if (row !== undefined) found.push(row);
    }
    return found;
  }

  /** Appends or throws ConcurrencyError / DuplicateEventError / StreamDeletedError before writing anything. */
  apply(append: PreparedAppend, recordedAt: number): AppendResult {
    const { streamId, expectedVersion, events } = append;
    const stream = this.streamRow.get(streamId);
    if (stream?.deleted === 'hard') throw new StreamDeletedError(streamId);
    if (events.length > 0) {
      const ids = events.map((e) => e.id);
      const found = this.lookUp(ids);
      if (found.length > 0) {
        // Either the same append retried (its original result) or DuplicateEventError: one rule for every store.
        const original = resolveIdempotentAppend(
          streamId,
          expectedVersion,
          ids,
          found.map((r) => ({
            id: r.id,
            streamId: r.stream_id,
            version: BigInt(r.version),
            position: BigInt(r.position),
          })),
        );
        if (original !== undefined) return original;
      }
    }
    const current = stream?.version ?? 0;
    // A soft-deleted stream reads as absent for 'no-stream' / 'exists'; its versions continue.
    if (!versionMatches(expectedVersion, BigInt(current), stream?.deleted === 'soft')) {
      throw new ConcurrencyError(streamId, expectedVersion, BigInt(current));
    }
    if (events.length === 0) {
      return { nextVersion: BigInt(current), position: BigInt(stream?.last_position ?? 0) };
    }
    const hash = streamHash(streamId);
    let position: number | bigint = 0;
    let version = current;
    for (const e of events) {
      version += 1;
      position = this.insert.run(
        e.id,
        streamId,
        version,
        e.type,
        e.data,
        e.metadata,
        recordedAt,
        e.correlationId ?? null,
        e.causationId ?? null,
        e.schemaVersion,
        hash,
      ).lastInsertRowid;
    }
    this.upsertStream.run(streamId, version, position);
    return { nextVersion: BigInt(version), position: BigInt(position) };
  }
}
