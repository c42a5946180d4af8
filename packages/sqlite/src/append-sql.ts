import type { Database, Statement } from 'better-sqlite3';
import { ConcurrencyError, StreamDeletedError, type AppendResult, type ExpectedVersion } from 'tidings';
import { resolveIdempotentAppend, versionMatches, type PreparedEvent } from 'tidings/store-kit';
import { streamHash } from './stream-hash.js';

/** An append validated and encoded by `prepareAppend`, waiting for the write lock. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
  /**
   * Whether the caller supplied any event id. When every id was generated here (fresh UUIDv7s),
   * none can belong to a stored event, so the idempotency look-up is skipped; the UNIQUE index on
   * `events.id` still refuses a (practically impossible) collision with an error.
   */
  readonly idsGiven: boolean;
}

/** The stream row, plus (first read of a transaction only) the last stored event's recorded_at. */
interface StreamRow {
  readonly stream_id?: string;
  readonly version: number | null;
  readonly last_position: number | null;
  readonly deleted: 'soft' | 'hard' | null;
  readonly last_at?: number | null;
}

/** A stream's row as a batch sees it: read once under the lock, then kept current by the batch's own appends. */
interface StreamState {
  version: number;
  lastPosition: number;
  deleted: 'soft' | 'hard' | null;
  /** Appended to by this batch: its row is written by `finish()`. */
  dirty: boolean;
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
 *
 * A lone append costs one stream-row read (which also fetches the last `recorded_at`), an id
 * look-up only for caller-supplied ids, the inserts and the stream-row upsert. A batch of several
 * appends reads all its stream rows in one statement and writes them back in one statement at
 * `finish()`; in between, the batch's own appends keep them current, which is exact because
 * nothing else can write while the batch holds the write lock. Nothing is cached across
 * transactions: another process may have written the file in between, and reading the stream
 * rows under the lock is what makes the version checks safe.
 */
export class AppendSql {
  private readonly streamRow: Statement<[string], StreamRow>;
  private readonly firstStreamRow: Statement<[string], StreamRow>;
  private readonly existing: Statement<[string], ExistingRow>;
  private readonly existingOne: Statement<[string], ExistingRow>;
  private readonly insert: Statement<unknown[]>;
  private readonly upsertStream: Statement<[string, number, number | bigint]>;
  private readonly batchStreamRows: Statement<[string], StreamRow>;
  private readonly batchUpsertStreams: Statement<[string]>;
  /** Stream states of the current batch (several appends), or undefined for append-at-a-time. */
  private batch: Map<string, StreamState> | undefined;
  /** Clock time given to `begin`; the transaction's `recordedAt` once the first append has read the last one. */
  private now = 0;
  private recordedAt: number | undefined;

  constructor(db: Database) {
    this.streamRow = db.prepare('SELECT version, last_position, deleted FROM streams WHERE stream_id = ?');
    this.firstStreamRow = db.prepare(
      `SELECT s.version, s.last_position, s.deleted,
         (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1) AS last_at
       FROM (SELECT ? AS stream_id) AS q LEFT JOIN streams s ON s.stream_id = q.stream_id`,
    );
    this.existingOne = db.prepare('SELECT id, stream_id, version, position FROM events WHERE id = ?');
    this.existing = db.prepare(
      'SELECT id, stream_id, version, position FROM events WHERE id IN (SELECT value FROM json_each(?)) ORDER BY position',
    );
    this.insert = db.prepare(
      `INSERT INTO events (id, stream_id, version, type, data, metadata, recorded_at, correlation_id, causation_id, schema_version, stream_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // A soft-deleted stream comes back when appended to; its old events stay hidden (truncated_before).
    const onConflict = `ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position,
         deleted = CASE WHEN deleted = 'soft' THEN NULL ELSE deleted END`;
    this.upsertStream = db.prepare(
      `INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?) ${onConflict}`,
    );
    this.batchStreamRows = db.prepare(
      `SELECT q.value AS stream_id, s.version, s.last_position, s.deleted,
         (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1) AS last_at
       FROM json_each(?) AS q LEFT JOIN streams s ON s.stream_id = q.value`,
    );
    // 'WHERE true' keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
    this.batchUpsertStreams = db.prepare(
      `INSERT INTO streams (stream_id, version, last_position)
       SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true ${onConflict}`,
    );
  }

  /**
   * Starts a group of appends sharing one `recordedAt`: the clock (`now`), clamped so it never goes
   * below the last stored event's, read under the lock. With the stream ids of a batch of several
   * appends, reads their rows now in one statement; `finish()` must then run before the commit.
   */
  begin(now: number, batchStreamIds?: readonly string[]): void {
    this.now = now;
    this.recordedAt = undefined;
    this.batch = undefined;
    if (batchStreamIds === undefined || batchStreamIds.length < 2) return;
    const batch = new Map<string, StreamState>();
    let lastAt: number | null | undefined;
    for (const row of this.batchStreamRows.all(JSON.stringify(batchStreamIds))) {
      lastAt = row.last_at;
      batch.set(row.stream_id ?? '', {
        version: row.version ?? 0,
        lastPosition: row.last_position ?? 0,
        deleted: row.deleted,
        dirty: false,
      });
    }
    this.batch = batch;
    this.recordedAt = this.clamp(lastAt);
  }

  /** Writes the stream rows a batch changed, in one statement. Call after the batch's last apply, before COMMIT. */
  finish(): void {
    const batch = this.batch;
    this.batch = undefined;
    if (batch === undefined) return;
    const rows: [string, number, number][] = [];
    for (const [streamId, state] of batch) if (state.dirty) rows.push([streamId, state.version, state.lastPosition]);
    if (rows.length > 0) this.batchUpsertStreams.run(JSON.stringify(rows));
  }

  private clamp(lastAt: number | null | undefined): number {
    return lastAt === null || lastAt === undefined || lastAt < this.now ? this.now : lastAt;
  }

  /** The stream's state under the lock: from the batch, or read now (the first read also fetches the last recorded_at). */
  private state(streamId: string): StreamState {
    const known = this.batch?.get(streamId);
    if (known !== undefined) return known;
    let row: StreamRow | undefined;
    if (this.recordedAt === undefined) {
      row = this.firstStreamRow.get(streamId);
      this.recordedAt = this.clamp(row?.last_at);
    } else {
      row = this.streamRow.get(streamId);
    }
    const state: StreamState = {
      version: row?.version ?? 0,
      lastPosition: row?.last_position ?? 0,
      deleted: row?.deleted ?? null,
      dirty: false,
    };
    this.batch?.set(streamId, state);
    return state;
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
  apply(append: PreparedAppend): AppendResult {
    const { streamId, expectedVersion, events } = append;
    const stream = this.state(streamId);
    if (stream.deleted === 'hard') throw new StreamDeletedError(streamId);
    if (append.idsGiven && events.length > 0) {
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
    const current = stream.version;
    // A soft-deleted stream reads as absent for 'no-stream' / 'exists'; its versions continue.
    if (!versionMatches(expectedVersion, BigInt(current), stream.deleted === 'soft')) {
      throw new ConcurrencyError(streamId, expectedVersion, BigInt(current));
    }
    if (events.length === 0) {
      return { nextVersion: BigInt(current), position: BigInt(stream.lastPosition) };
    }
    const hash = streamHash(streamId);
    const recordedAt = this.recordedAt ?? this.now;
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
    if (this.batch === undefined) {
      this.upsertStream.run(streamId, version, position);
    } else {
      stream.version = version;
      stream.lastPosition = Number(position);
      if (stream.deleted === 'soft') stream.deleted = null;
      stream.dirty = true;
    }
    return { nextVersion: BigInt(version), position: BigInt(position) };
  }
}
