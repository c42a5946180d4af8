import type { Database } from 'better-sqlite3';
import { IncompatibleStoreError, uuidv7 } from 'tidings';
import { withBusyRetry, type BusyRetry } from './busy.js';

/** `PRAGMA application_id` of every Tidings SQLite file: ASCII 'TDNG'. */
export const APPLICATION_ID = 0x54444e47;

interface Migration {
  readonly version: number;
  readonly sql: string;
}

// Append-only: a released migration is never edited, only followed by a new one.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE events (
        position       INTEGER PRIMARY KEY AUTOINCREMENT,
        id             TEXT    NOT NULL UNIQUE,
        stream_id      TEXT    NOT NULL,
        version        INTEGER NOT NULL,
        type           TEXT    NOT NULL,
        data           TEXT    NOT NULL,
        metadata       TEXT    NOT NULL,
        recorded_at    INTEGER NOT NULL,
        correlation_id TEXT,
        causation_id   TEXT,
        schema_version INTEGER NOT NULL,
        stream_hash    INTEGER NOT NULL,
        UNIQUE (stream_id, version)
      );
      CREATE INDEX events_by_type ON events (type, position);
      CREATE INDEX events_by_correlation ON events (correlation_id) WHERE correlation_id IS NOT NULL;
      CREATE INDEX events_by_causation ON events (causation_id) WHERE causation_id IS NOT NULL;
      CREATE TABLE streams (
        stream_id        TEXT    PRIMARY KEY,
        version          INTEGER NOT NULL,
        -- Position of the last event ever appended, kept after truncation and deletion.
        last_position    INTEGER NOT NULL DEFAULT 0,
        truncated_before INTEGER NOT NULL DEFAULT 0,
        deleted          TEXT CHECK (deleted IN ('soft', 'hard')),
        metadata         TEXT    NOT NULL DEFAULT '{}',
        max_age          INTEGER,
        max_count        INTEGER
      ) WITHOUT ROWID;
      -- Truncated and deleted events are removed; only retention hides stored rows. This lets readers
      -- ask "does any stream have retention?" in O(1) and skip the join when none does.
      CREATE INDEX streams_with_retention ON streams (stream_id) WHERE max_age IS NOT NULL OR max_count IS NOT NULL;
      CREATE TABLE store_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    // Processing state beside the events (decision 0620): checkpoints, leases, parked events, the inbox.
    version: 2,
    sql: `
      CREATE TABLE checkpoints (
        processor  TEXT    NOT NULL,
        partition  INTEGER NOT NULL,
        position   INTEGER NOT NULL,
        epoch      INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (processor, partition)
      ) WITHOUT ROWID;
      CREATE TABLE leases (
        processor  TEXT    NOT NULL,
        partition  INTEGER NOT NULL,
        -- '' once released: the row keeps the epoch, so the next holder gets a higher one.
        owner      TEXT    NOT NULL,
        epoch      INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (processor, partition)
      ) WITHOUT ROWID;
      CREATE TABLE parked (
        id              TEXT    PRIMARY KEY,
        processor       TEXT    NOT NULL,
        partition       INTEGER NOT NULL,
        event_id        TEXT    NOT NULL,
        position        INTEGER NOT NULL,
        stream_id       TEXT    NOT NULL,
        version         INTEGER NOT NULL,
        type            TEXT    NOT NULL,
        error           TEXT    NOT NULL,
        attempts        INTEGER NOT NULL,
        first_failed_at INTEGER NOT NULL,
        last_failed_at  INTEGER NOT NULL,
        blocking        INTEGER NOT NULL,
        UNIQUE (processor, event_id)
      ) WITHOUT ROWID;
      CREATE INDEX parked_by_position ON parked (position, id);
      CREATE TABLE inbox (
        processor TEXT    NOT NULL,
        event_id  TEXT    NOT NULL,
        position  INTEGER NOT NULL,
        PRIMARY KEY (processor, event_id)
      ) WITHOUT ROWID;
      -- Pruning at the checkpoint deletes by (processor, position).
      CREATE INDEX inbox_by_position ON inbox (processor, position);
    `,
  },
  {
    // Category-filtered reads and subscriptions (decision 0602): the expression is the one reads
    // use (page-filter.ts), character for character, or SQLite cannot match the index. Numbered 3:
    // version 2 is the processing tables of the storage branch (merged on main alongside this one).
    version: 3,
    sql: `
      CREATE INDEX events_by_category ON events (substr(stream_id, 1, instr(stream_id || '-', '-') - 1), position);
    `,
  },
  {
    // Durable timers (decision 0800): one row per pending timer; firing deletes it in the
    // transaction that appends its message. Times are epoch milliseconds of the store's clock.
    version: 4,
    sql: `
      CREATE TABLE timers (
        id TEXT PRIMARY KEY,
        due_at INTEGER NOT NULL,
        stream_id TEXT NOT NULL,
        message TEXT NOT NULL,
        scheduled_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX timers_by_due ON timers (due_at, id);
    `,
  },
  {
    // Parked timers (decision 1160): a timer whose message the store refused when it fell due is
    // kept as parked (when, and the error as JSON) instead of blocking its batch. Pending timers
    // are the rows with parked_at NULL; the due index covers only them.
    version: 5,
    sql: `
      ALTER TABLE timers ADD COLUMN parked_at INTEGER;
      ALTER TABLE timers ADD COLUMN error TEXT;
      DROP INDEX timers_by_due;
      CREATE INDEX timers_by_due ON timers (due_at, id) WHERE parked_at IS NULL;
      CREATE INDEX timers_parked ON timers (parked_at, id) WHERE parked_at IS NOT NULL;
    `,
  },
];

/** The schema version this code writes; a file with a higher `user_version` is refused. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

interface FileState {
  readonly applicationId: number;
  readonly userVersion: number;
  readonly objects: number;
}

function readState(db: Database): FileState {
  return {
    applicationId: db.pragma('application_id', { simple: true }) as number,
    userVersion: db.pragma('user_version', { simple: true }) as number,
    objects: (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n,
  };
}

/**
 * Reads the file's identity without writing anything and refuses what is not ours: a non-SQLite
 * or corrupt file, a SQLite file of another application, or one written by newer code.
 * Returns true when the file is a brand-new, empty database.
 */
export function checkFile(db: Database): boolean {
  let state: FileState;
  try {
    state = readState(db);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new IncompatibleStoreError(
        `'${db.name}' is not a readable SQLite database (${String(code)}). Expected a Tidings event store file or a path to a new file; point the store at another path. The file was not changed.`,
        error,
      );
    }
    throw error;
  }
  return assertOurs(db.name, state);
}

function assertOurs(name: string, state: FileState): boolean {
  if (state.applicationId === APPLICATION_ID) {
    if (state.userVersion > LATEST_VERSION) {
      throw new IncompatibleStoreError(
        `'${name}' has schema version ${state.userVersion}, newer than this @tidings/sqlite understands (${LATEST_VERSION}). It was written by a newer release: upgrade @tidings/sqlite. The file was not changed.`,
      );
    }
    return false;
  }
  if (state.applicationId === 0 && state.userVersion === 0 && state.objects === 0) return true;
  throw new IncompatibleStoreError(
    `'${name}' is a SQLite database of another application (application_id ${state.applicationId}, ${state.objects} schema objects); expected a Tidings store (application_id ${APPLICATION_ID}) or an empty file. Use a separate file for the event store. The file was not changed.`,
  );
}

/** Test hook: called inside each migration's transaction, before COMMIT. */
export type MigrationHook = (version: number) => void;

/**
 * Applies pending migrations, each in its own `BEGIN IMMEDIATE` transaction together with its
 * `user_version` bump, so a crash mid-migration leaves the previous version intact. State is
 * re-read under the write lock: another process may have migrated meanwhile.
 */
export async function migrate(db: Database, retry: BusyRetry, hook?: MigrationHook): Promise<void> {
  for (const migration of MIGRATIONS) {
    if ((db.pragma('user_version', { simple: true }) as number) >= migration.version) continue;
    await withBusyRetry(`Migrating '${db.name}'`, retry, () => db.exec('BEGIN IMMEDIATE'));
    try {
      const state = readState(db);
      assertOurs(db.name, state);
      if (state.userVersion < migration.version) {
        db.exec(migration.sql);
        if (migration.version === 1) {
          db.pragma(`application_id = ${APPLICATION_ID}`);
          db.prepare("INSERT INTO store_meta (key, value) VALUES ('store_id', ?)").run(uuidv7());
        }
        db.pragma(`user_version = ${migration.version}`);
        hook?.(migration.version);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}
