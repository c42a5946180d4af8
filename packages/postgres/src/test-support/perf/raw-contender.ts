// The "raw pg" contender of the store-vs-raw measurement: the least a hand-written event table
// with the same guarantees per append (a version check, unique event ids, the same columns and
// the indexes the read paths need) costs, with none of the store's machinery (no head row, no
// idempotency answer, no group commit, no per-append outcomes).
import { createHash } from 'node:crypto';
import pg from 'pg';
import { categoryOf, uuidv7Generator } from 'tidings';
import type { EventToAppend } from 'tidings';

/**
 * The indexes every read path of the store needs, and nothing else (the same set the store's
 * migration creates, decision 0303):
 * - `position` primary key: `$all` keyset pages;
 * - unique `event_id`: duplicate ids must be refused (idempotent append);
 * - unique `(stream_id, version)`: stream reads, and no version written twice;
 * - `(type, position)`: `readByType` / `readAll({ filter: { types } })`;
 * - `(category, position)`: `readAll({ filter: { categories } })`;
 * - `correlation_id` and `causation_id`, partial (the design requires them indexed; rows without
 *   them cost nothing);
 * - `(recorded_at, position)`: `readByTime`.
 */
export const rawSchemaSql = (s: string): string => `
  create schema ${s};
  create sequence ${s}.events_position;
  create table ${s}.streams (stream_id text primary key, version bigint not null default 0, last_position bigint not null default 0);
  create table ${s}.events (
    position bigint primary key, event_id uuid not null unique, stream_id text not null, version bigint not null,
    category text not null, stream_hash integer not null,
    type text not null, data text not null, metadata text not null, correlation_id text, causation_id text,
    schema_version integer not null, recorded_at timestamptz not null, unique (stream_id, version));
  create index events_type on ${s}.events (type, position);
  create index events_category on ${s}.events (category, position);
  create index events_correlation on ${s}.events (correlation_id) where correlation_id is not null;
  create index events_causation on ${s}.events (causation_id) where causation_id is not null;
  create index events_recorded_at on ${s}.events (recorded_at, position);`;

// One statement: bump the stream row only at the expected version (or create it when 0 is
// expected), then insert the events after it. No row back means a conflict.
const versionCheck = (s: string): string => `
  with upd as (update ${s}.streams set version = version + $2 where stream_id = $1 and version = $3 returning version - $2 as base),
  ins as (insert into ${s}.streams (stream_id, version) select $1, $2 where $3 = 0 on conflict do nothing returning 0::bigint as base),
  b as (select base from upd union all select base from ins)`;

const singleSql = (s: string): string => `${versionCheck(s)}
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
  select nextval('${s}.events_position'), $4, $1, b.base + 1, $8, $9, $5, $6, $7, 1, now() from b`;

const unnestSql = (s: string): string => `${versionCheck(s)}
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
  select nextval('${s}.events_position'), u.id, $1, b.base + u.ord, $8, $9, u.type, u.data, u.metadata, 1, now()
  from b, unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) with ordinality as u(id, type, data, metadata, ord)`;

export interface RawWriter {
  append(streamId: string, events: readonly EventToAppend[], expectedVersion: bigint): Promise<void>;
  close(): Promise<void>;
}

/** Raw appends: one prepared statement per append, its own implicit transaction (one commit each). */
export function rawWriter(url: string, s: string, connections: number, synchronousCommit: string): RawWriter {
  const pool = new pg.Pool({
    connectionString: url,
    max: connections,
    options: `-c synchronous_commit=${synchronousCommit}`,
  });
  const nextId = uuidv7Generator();
  const single = { name: `raw-single-${s}`, text: singleSql(s) };
  const many = { name: `raw-unnest-${s}`, text: unnestSql(s) };
  return {
    async append(streamId, events, expectedVersion) {
      const n = events.length;
      const category = categoryOf(streamId);
      const hash = createHash('md5').update(streamId).digest().readInt32BE(0);
      const values =
        n === 1
          ? [
              streamId,
              1,
              expectedVersion.toString(),
              nextId(),
              events[0]!.type,
              JSON.stringify(events[0]!.data),
              JSON.stringify(events[0]!.metadata ?? {}),
              category,
              hash,
            ]
          : [
              streamId,
              n,
              expectedVersion.toString(),
              events.map(() => nextId()),
              events.map((e) => e.type),
              events.map((e) => JSON.stringify(e.data)),
              events.map((e) => JSON.stringify(e.metadata ?? {})),
              category,
              hash,
            ];
      const r = await pool.query({ ...(n === 1 ? single : many), values });
      if (r.rowCount !== n) throw new Error(`conflict on ${streamId}: expected version ${expectedVersion}`);
    },
    close: () => pool.end(),
  };
}

interface RawRow {
  position: string;
  event_id: string;
  stream_id: string;
  version: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: Date;
}

/**
 * Raw keyset pagination over a table: 1,000-row pages with a prepared statement on one connection,
 * each row turned into the same object shape the store yields (JSON parsed, bigints).
 */
export async function rawReadAll(url: string, table: string): Promise<{ count: number; checksum: bigint }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const page = {
      name: `raw-keyset-${table}`,
      text: `select position, event_id, stream_id, version, type, data, metadata, recorded_at from ${table} where position > $1 order by position limit 1000`,
    };
    let last = '0';
    let count = 0;
    let checksum = 0n;
    for (;;) {
      const { rows } = await client.query<RawRow>({ ...page, values: [last] });
      for (const row of rows) {
        const event = {
          id: row.event_id,
          type: row.type,
          data: JSON.parse(row.data) as unknown,
          metadata: JSON.parse(row.metadata) as unknown,
          streamId: row.stream_id,
          version: BigInt(row.version),
          position: BigInt(row.position),
          recordedAt: row.recorded_at,
        };
        count++;
        checksum += event.position;
      }
      if (rows.length < 1000) return { count, checksum };
      last = rows[rows.length - 1]!.position;
    }
  } finally {
    await client.end();
  }
}
