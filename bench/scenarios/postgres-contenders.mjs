// The PostgreSQL append contenders. Each works in a schema created for the run (dropped afterwards)
// and exposes `append(streamId, events, expectedVersion: bigint)` and `close()`.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const PG_URL = process.env.TIDINGS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EMMETT_DIR = fileURLToPath(new URL('../peers/emmett-postgresql/', import.meta.url));

/** A schema name unique to this process (and caller-chosen suffix). */
export function benchSchema(what) {
  return `tidings_bench_${what}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
}

/** Runs `fn(client)` on a short-lived admin connection. */
export async function withAdmin(fn) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const dropSchema = (schema) => withAdmin((c) => c.query(`drop schema if exists ${schema} cascade`));

/** Our store, from the built dist, in its own schema (migrated by `setup`). */
export const tidings = {
  async setup(schema) {
    const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
    const store = postgresEventStore({ connectionString: PG_URL, schema });
    await store.migrate();
    await store.close();
  },
  async open(schema) {
    const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
    if (typeof postgresEventStore !== 'function')
      throw new Error('packages/postgres/dist does not export postgresEventStore yet');
    const store = postgresEventStore({ connectionString: PG_URL, schema });
    return {
      append: (streamId, events, expectedVersion) => store.append(streamId, events, { expectedVersion }),
      close: () => store.close(),
      store,
    };
  },
};

// The same columns and indexes as @tidings/postgres's schema (migration 2: `category` and
// `stream_hash` are plain columns the client fills, as the store does), with a plain sequence for
// positions instead of its head row.
const rawSchemaSql = (s) => `
  create schema ${s};
  create sequence ${s}.events_position;
  create table ${s}.streams (stream_id text primary key, version bigint not null default 0, last_position bigint not null default 0);
  create table ${s}.events (
    position bigint primary key, event_id uuid not null unique, stream_id text not null, version bigint not null,
    category text not null,
    stream_hash integer not null,
    type text not null, data text not null, metadata text not null, correlation_id text, causation_id text,
    schema_version integer not null, recorded_at timestamptz not null, unique (stream_id, version));
  create index events_type on ${s}.events (type, position);
  create index events_category on ${s}.events (category, position);
  create index events_recorded_at on ${s}.events (recorded_at, position);
  create index events_correlation on ${s}.events (correlation_id) where correlation_id is not null;
  create index events_causation on ${s}.events (causation_id) where causation_id is not null;`;

// One statement: bump the stream's version only if it is the expected one (or create the stream
// when 0 is expected), then insert the events at the versions after it. No row means a conflict.
const versionCheck = (s) => `
  with upd as (update ${s}.streams set version = version + $2 where stream_id = $1 and version = $3 returning version - $2 as base),
  ins as (insert into ${s}.streams (stream_id, version) select $1, $2 where $3 = 0 on conflict do nothing returning 0::bigint as base),
  b as (select base from upd union all select base from ins)`;

const singleInsertSql = (s) => `${versionCheck(s)}
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
  select nextval('${s}.events_position'), $4, $1, b.base + 1, $8, $9, $5, $6, $7, 1, now() from b`;

const unnestInsertSql = (s) => `${versionCheck(s)}
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
  select nextval('${s}.events_position'), u.id, $1, b.base + u.ord, $8, $9, u.type, u.data, u.metadata, 1, now()
  from b, unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) with ordinality as u(id, type, data, metadata, ord)`;

/**
 * Raw `pg`: one statement per append (its own implicit transaction, so one commit per append), with
 * the version check above. One event: scalar parameters; several: `insert … select from unnest(…)`.
 * Ids are UUIDv7 from the same generator ours uses; data and metadata JSON-encoded the same way.
 */
export const rawPg = {
  async setup(schema) {
    await withAdmin((c) => c.query(rawSchemaSql(schema)));
  },
  async open(schema, { connections = 1 } = {}) {
    const { default: pg } = await import('pg');
    const { uuidv7 } = await import('../../packages/tidings/dist/index.js');
    const pool = new pg.Pool({ connectionString: PG_URL, max: connections });
    const single = { name: `raw-single-${schema}`, text: singleInsertSql(schema) };
    const many = { name: `raw-unnest-${schema}`, text: unnestInsertSql(schema) };
    return {
      async append(streamId, events, expectedVersion) {
        const n = events.length;
        const values =
          n === 1
            ? [
                streamId,
                1,
                expectedVersion.toString(),
                uuidv7(),
                events[0].type,
                JSON.stringify(events[0].data),
                JSON.stringify(events[0].metadata ?? {}),
                categoryOf(streamId),
                hashOf(streamId),
              ]
            : [
                streamId,
                n,
                expectedVersion.toString(),
                events.map(() => uuidv7()),
                events.map((e) => e.type),
                events.map((e) => JSON.stringify(e.data)),
                events.map((e) => JSON.stringify(e.metadata ?? {})),
                categoryOf(streamId),
                hashOf(streamId),
              ];
        const r = await pool.query({ ...(n === 1 ? single : many), values });
        if (r.rowCount !== n) throw new Error(`conflict on ${streamId}: expected version ${expectedVersion}`);
      },
      close: () => pool.end(),
    };
  },
};

// Computed client-side once per append, as the store does (same definitions as its SQL formulas).
const categoryOf = (streamId) => streamId.split('-', 1)[0];
const hashOf = (streamId) => createHash('md5').update(streamId, 'utf8').digest().readInt32BE(0);

function emmettModule() {
  const require = createRequire(`${EMMETT_DIR}package.json`);
  return require('@event-driven-io/emmett-postgresql');
}

// Emmett writes to unqualified tables (current_schema()); a search_path in the connection string
// keeps each run in its own schema.
const emmettUrl = (schema) =>
  `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

/** Emmett's PostgreSQL event store (`@event-driven-io/emmett-postgresql@0.42.0`), from its own folder. */
export const emmettPg = {
  async setup(schema) {
    await withAdmin((c) => c.query(`create schema ${schema}`));
    const store = emmettModule().getPostgreSQLEventStore(emmettUrl(schema));
    await store.schema.migrate();
    await store.close();
  },
  async open(schema) {
    const store = emmettModule().getPostgreSQLEventStore(emmettUrl(schema), { schema: { autoMigration: 'None' } });
    return {
      append: async (streamId, events, expectedVersion) => {
        await store.appendToStream(streamId, events, { expectedStreamVersion: expectedVersion });
      },
      close: () => store.close(),
    };
  },
};

export const pgContenders = {
  tidings: tidings,
  'raw pg': rawPg,
  'Emmett PostgreSQL': emmettPg,
};
