import type { Database, Statement } from 'better-sqlite3';
import {
  type ReadAllFilter,
  type ReadAllOptions,
  type ReadByTimeOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamInfo,
  type StreamMetadata,
} from 'tidings';
import {
  assertReadAllOptions,
  assertReadByTimeOptions,
  assertReadStreamOptions,
  assertStreamId,
} from 'tidings/store-kit';
import { withBusyRetry, type BusyRetry } from './busy.js';
import type { ResolvedOptions } from './options.js';
import { pageQuery } from './page-filter.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './rows.js';

interface StreamRow {
  readonly version: number;
  readonly truncated_before: number;
  readonly deleted: 'soft' | 'hard' | null;
  readonly metadata: string;
  readonly max_age: number | null;
  readonly max_count: number | null;
}

/** Visible events of a stream: version at least `fromVersion` and, with maxAge, recorded at or after `minTime`. */
interface Visibility {
  readonly fromVersion: number;
  readonly minTime: number;
}

const MAX_POSITION = Number.MAX_SAFE_INTEGER;

interface ScanRange {
  readonly from: number;
  readonly backward: boolean;
  readonly limit: number;
  readonly filter: ReadAllFilter | undefined;
  /** Exclusive upper bound on position (readByTime). */
  readonly endBefore: number | undefined;
}

/** Clamps a bigint cursor into the range SQLite integers and JS numbers share. */
function toNumber(value: bigint): number {
  return value > BigInt(MAX_POSITION) ? MAX_POSITION : Number(value);
}

/**
 * Every read of the store. Long reads are split into pages, each its own short read transaction,
 * so a slow consumer never pins a WAL snapshot (which would stop checkpoints and grow the WAL)
 * and never blocks a writer.
 */
export class Reads {
  private readonly statements = new Map<string, Statement>();
  private readonly eventStatements = new Map<string, Statement<unknown[], EventRow>>();

  constructor(
    private readonly db: Database,
    private readonly options: ResolvedOptions,
    private readonly retry: BusyRetry,
    private readonly guard: () => void,
  ) {}

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** A statement selecting EVENT_COLUMNS, returning raw rows with bigint integers (see EventRow). */
  private events(sql: string): Statement<unknown[], EventRow> {
    let s = this.eventStatements.get(sql);
    if (s === undefined) {
      s = (this.db.prepare(sql) as Statement<unknown[], EventRow>).raw(true).safeIntegers(true);
      this.eventStatements.set(sql, s);
    }
    return s;
  }

  /** One page: a single short read transaction, retried asynchronously if the file is momentarily locked. */
  private page<T>(fn: () => T): Promise<T> {
    this.guard();
    return withBusyRetry('Reading events', this.retry, () =>
      this.db.inTransaction ? fn() : this.db.transaction(fn).deferred(),
    );
  }

  private visibility(row: StreamRow | undefined): Visibility {
    if (row === undefined) return { fromVersion: 1, minTime: Number.NEGATIVE_INFINITY };
    let fromVersion = Math.max(1, row.truncated_before);
    if (row.max_count !== null) fromVersion = Math.max(fromVersion, row.version - row.max_count + 1);
    const minTime = row.max_age === null ? Number.NEGATIVE_INFINITY : this.options.clock.now() - row.max_age;
    return { fromVersion, minTime };
  }

  private streamRow(streamId: string): StreamRow | undefined {
    return this.stmt(
      'SELECT version, truncated_before, deleted, metadata, max_age, max_count FROM streams WHERE stream_id = ?',
    ).get(streamId) as StreamRow | undefined;
  }

  private decode(row: EventRow): RecordedEvent {
    return toRecordedEvent(row, this.options.codec, this.options.upcast);
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<RecordedEvent> {
    this.guard();
    assertStreamId(streamId);
    assertReadStreamOptions(options);
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    const backward = options.direction === 'backward';
    let cursor: number | bigint = options.from === undefined ? (backward ? MAX_POSITION : 1) : toNumber(options.from);
    const size = this.options.readPageSize;
    const sql = backward
      ? `SELECT ${EVENT_COLUMNS} FROM events e WHERE e.stream_id = ? AND e.version <= ? AND e.version >= ? AND e.recorded_at >= ? ORDER BY e.version DESC LIMIT ?`
      : `SELECT ${EVENT_COLUMNS} FROM events e WHERE e.stream_id = ? AND e.version >= max(?, ?) AND e.recorded_at >= ? ORDER BY e.version LIMIT ?`;
    while (remaining > 0) {
      const n = Math.min(size, remaining);
      const rows = await this.page(() => {
        const { fromVersion, minTime } = this.visibility(this.streamRow(streamId));
        return this.events(sql).all(streamId, cursor, fromVersion, minTime, n);
      });
      for (const row of rows) yield this.decode(row);
      remaining -= rows.length;
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < n) return;
      cursor = backward ? last[3] - 1n : last[3] + 1n;
    }
  }

  readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    return this.scan(() => {
      assertReadAllOptions(options);
      const backward = options.direction === 'backward';
      const from = options.from === undefined ? (backward ? MAX_POSITION : 0) : toNumber(options.from);
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      return Promise.resolve({ from, backward, limit, filter: options.filter, endBefore: undefined });
    });
  }

  readByTime(options: ReadByTimeOptions): AsyncGenerator<RecordedEvent> {
    return this.scan(async () => {
      assertReadByTimeOptions(options);
      const from = options.from.getTime();
      const to = options.to.getTime();
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      // recordedAt never decreases with position, so the time range is a position range: find it by bisection.
      const [start, end] = await this.page(() => [this.firstPositionAt(from), this.firstPositionAt(to)]);
      if (start >= end) return undefined;
      return { from: start, backward: false, limit, filter: options.filter, endBefore: end };
    });
  }

  /** The smallest position whose event was recorded at or after `time` (head + 1 when none). */
  private firstPositionAt(time: number): number {
    const probe = this.stmt('SELECT position, recorded_at FROM events WHERE position >= ? ORDER BY position LIMIT 1');
    let lo = 0;
    let hi = ((this.stmt('SELECT max(position) AS p FROM events').get() as { p: number | null }).p ?? 0) + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = probe.get(mid) as { position: number; recorded_at: number } | undefined;
      if (row === undefined || row.recorded_at >= time) hi = mid;
      else lo = row.position + 1;
    }
    return lo;
  }

  /**
   * Reads events in position order, page by page. `start` validates and resolves the range on the
   * first `next()` (so a bad option or a closed store fails on first use, like every read); the
   * scan is the only generator between the caller and the rows, because each extra `yield*`
   * level costs a promise per event.
   */
  private async *scan(start: () => Promise<ScanRange | undefined>): AsyncGenerator<RecordedEvent> {
    this.guard();
    const range = await start();
    if (range === undefined) return;
    const { from, backward, limit, filter, endBefore } = range;
    const types = filter?.types;
    const categories = filter?.categories;
    if ((types !== undefined && types.length === 0) || (categories !== undefined && categories.length === 0)) return;
    let cursor: number | bigint = from;
    let remaining = limit;
    const size = this.options.readPageSize;
    while (remaining > 0) {
      const n = Math.min(size, remaining);
      const rows = await this.page(() => {
        const restricted =
          (
            this.stmt(
              'SELECT EXISTS (SELECT 1 FROM streams WHERE max_age IS NOT NULL OR max_count IS NOT NULL) AS r',
            ).get() as { r: number }
          ).r === 1;
        const { sql, params } = pageQuery({
          cursor,
          n,
          backward,
          endBefore,
          types,
          categories,
          restricted,
          now: restricted ? this.options.clock.now() : 0,
        });
        return this.events(sql).all(params);
      });
      for (const row of rows) yield this.decode(row);
      remaining -= rows.length;
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < n) return;
      cursor = backward ? last[0] - 1n : last[0] + 1n;
    }
  }

  async streamInfo(streamId: string): Promise<StreamInfo> {
    assertStreamId(streamId);
    return this.page(() => {
      const row = this.streamRow(streamId);
      if (row === undefined) return { streamId, version: 0n, truncatedBefore: 0n, deleted: undefined, metadata: {} };
      return {
        streamId,
        version: BigInt(row.version),
        truncatedBefore: BigInt(row.truncated_before),
        deleted: row.deleted ?? undefined,
        metadata: JSON.parse(row.metadata) as StreamMetadata,
      };
    });
  }

  /** The highest position ever handed out (never goes down, even when the last events were deleted). */
  headPosition(): Promise<bigint> {
    return this.page(() => {
      const row = this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as
        { seq: number } | undefined;
      return BigInt(row?.seq ?? 0);
    });
  }
}
