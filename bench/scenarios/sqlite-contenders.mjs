// The SQLite append contenders. Each opens a fresh file and exposes
// `append(streamId, events, expectedVersion: bigint)` resolving once the append is committed, and `close()`.
// Expected versions are tracked by the caller, so every contender does the version check.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const OURS_SQLITE = '../../packages/sqlite/dist/index.js';
const OURS_CORE = '../../packages/tidings/dist/index.js';

/** Our store, from the built dist. */
async function tidings(file, synchronous) {
  const { sqliteEventStore } = await import(OURS_SQLITE);
  if (typeof sqliteEventStore !== 'function')
    throw new Error('packages/sqlite/dist does not export sqliteEventStore yet');
  const store = await sqliteEventStore(file, { synchronous });
  return {
    append: (streamId, events, expectedVersion) => store.append(streamId, events, { expectedVersion }),
    close: () => store.close(),
    store,
  };
}

// The same tables and indexes as @tidings/sqlite's migration 1 (packages/sqlite/src/migrations.ts),
// so the raw loop maintains exactly the indexes ours does.
const RAW_SCHEMA = `
  CREATE TABLE events (
    position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL,
    version INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
    recorded_at INTEGER NOT NULL, correlation_id TEXT, causation_id TEXT, schema_version INTEGER NOT NULL,
    stream_hash INTEGER NOT NULL, UNIQUE (stream_id, version));
  CREATE INDEX events_by_type ON events (type, position);
  CREATE INDEX events_by_correlation ON events (correlation_id) WHERE correlation_id IS NOT NULL;
  CREATE INDEX events_by_causation ON events (causation_id) WHERE causation_id IS NOT NULL;
  CREATE TABLE streams (
    stream_id TEXT PRIMARY KEY, version INTEGER NOT NULL, last_position INTEGER NOT NULL DEFAULT 0,
    truncated_before INTEGER NOT NULL DEFAULT 0, deleted TEXT, metadata TEXT NOT NULL DEFAULT '{}',
    max_age INTEGER, max_count INTEGER) WITHOUT ROWID;
`;

/**
 * Raw better-sqlite3 (the same driver and version as ours): one `BEGIN IMMEDIATE` transaction per
 * call holding the version check, the inserts and the stream row update; ids are UUIDv7 from the
 * same generator ours uses, data and metadata JSON-encoded the same way.
 */
export async function rawBetterSqlite(file, synchronous = 'normal') {
  const { default: Database } = await import('better-sqlite3');
  const { uuidv7 } = await import(OURS_CORE);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec(RAW_SCHEMA);
  const streamRow = db.prepare('SELECT version FROM streams WHERE stream_id = ?');
  const insert = db.prepare(
    'INSERT INTO events (id, stream_id, version, type, data, metadata, recorded_at, correlation_id, causation_id, schema_version, stream_hash) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1, 0)',
  );
  const upsert = db.prepare(
    'INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position',
  );
  const append = db.transaction((streamId, events, expectedVersion) => {
    const current = BigInt(streamRow.get(streamId)?.version ?? 0);
    if (current !== expectedVersion)
      throw new Error(`conflict on ${streamId}: expected ${expectedVersion}, found ${current}`);
    let version = Number(current);
    let position = 0;
    const at = Date.now();
    for (const e of events) {
      version += 1;
      position = insert.run(
        uuidv7(),
        streamId,
        version,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata ?? {}),
        at,
      ).lastInsertRowid;
    }
    upsert.run(streamId, version, position);
  });
  return {
    append: async (streamId, events, expectedVersion) => append.immediate(streamId, events, expectedVersion),
    close: () => db.close(),
    db,
  };
}

const EMMETT_DIR = fileURLToPath(new URL('../peers/emmett-sqlite/', import.meta.url));

/** Emmett's SQLite event store (node-sqlite3), installed in its own folder. */
export async function emmettSqlite(file) {
  const require = createRequire(`${EMMETT_DIR}package.json`);
  const { getSQLiteEventStore } = require('@event-driven-io/emmett-sqlite');
  const store = getSQLiteEventStore({ fileName: file });
  const stats = { retries: 0 };
  return {
    // Emmett 0.38.5 intermittently fails a COMMIT with SQLITE_BUSY "SQL statements in progress"
    // (a statement of its own connection not yet finalised); the append was rolled back, so the
    // bench retries it as a caller would, and counts the retries.
    append: async (streamId, events, expectedVersion) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await store.appendToStream(streamId, events, { expectedStreamVersion: expectedVersion });
          return;
        } catch (error) {
          if (error?.code !== 'SQLITE_BUSY' || attempt >= 5) throw error;
          stats.retries++;
        }
      }
    },
    close: () => {},
    stats,
  };
}

/** Emmett's connection settings, read the way its store opens a file: node-sqlite3 defaults plus WAL. */
export async function emmettPragmas(file) {
  const require = createRequire(`${EMMETT_DIR}package.json`);
  const sqlite3 = require('sqlite3');
  const db = new sqlite3.Database(file);
  const get = (sql) => new Promise((resolve, reject) => db.get(sql, (err, row) => (err ? reject(err) : resolve(row))));
  const journal = await get('PRAGMA journal_mode = WAL');
  const sync = await get('PRAGMA synchronous');
  await new Promise((resolve) => db.close(resolve));
  return {
    journal_mode: Object.values(journal)[0],
    synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][Object.values(sync)[0]],
  };
}

export const appendContenders = {
  tidings: (file) => tidings(file, 'normal'),
  'raw better-sqlite3': (file) => rawBetterSqlite(file, 'normal'),
  'tidings (synchronous FULL)': (file) => tidings(file, 'full'),
  'Emmett SQLite': (file) => emmettSqlite(file),
};
