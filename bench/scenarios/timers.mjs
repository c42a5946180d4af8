// Scenario: durable timers fired per second (issue 11, benchmarks bullet): 100,000 timers all due
// at the same moment, fired by our timer poller (claim + delete + append in one transaction per
// batch) on the in-memory store, SQLite and PostgreSQL, with batch sizes 100 / 500 / 1000 and with
// two pollers in two processes; against a raw baseline doing the same work with the bare driver
// (per batch, one transaction: delete the due rows returning them, insert their events). Peak RSS
// of each worker in the detail. Every run checks the outcome: N events, one per timer, none pending.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { runInFreshProcess } from '../lib/spawn-run.mjs';
import { PG_URL, benchSchema, dropSchema, rawPg } from './postgres-contenders.mjs';
import { rawBetterSqlite } from './sqlite-contenders.mjs';

const CORE = '../../packages/tidings/dist/index.js';
const count = () => Number(process.env.BENCH_TIMERS ?? (process.env.BENCH_QUICK === '1' ? 20_000 : 100_000));
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** Every timer is due at this moment (in the past: all due when the run starts). */
const DUE_AT = Date.UTC(2026, 0, 1, 12);
const FILL_CHUNK = 5_000;

const message = (i) => JSON.stringify({ type: 'PaymentTimedOut', data: { order: i } });
// One stream per timer, as a saga's payment timeout targets its own order: the fired events
// create 100,000 streams (the costliest spread for the append).
const streamOf = (i) => `order-${i}`;

const POLLERS = ['poller b100', 'poller b500', 'poller b1000'];
const CONTENDERS = {
  memory: POLLERS,
  sqlite: [...POLLERS, '2 pollers b500', 'raw better-sqlite3 b500'],
  postgres: [...POLLERS, '2 pollers b500', 'raw pg b500'],
};
const batchOf = (contender) => Number(/b(\d+)$/.exec(contender)[1]);

// ---------------------------------------------------------------- fill (not timed)

async function fillSqliteTable(db, ids) {
  const insert = db.prepare('INSERT INTO timers (id, due_at, stream_id, message, scheduled_at) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < ids.length; i++) insert.run(ids[i], DUE_AT, streamOf(i), message(i), DUE_AT);
  })();
}

async function fillPgTable(query, table, ids) {
  for (let from = 0; from < ids.length; from += FILL_CHUNK) {
    const chunk = ids.slice(from, from + FILL_CHUNK);
    await query(
      `insert into ${table} (id, due_at, stream_id, message, scheduled_at)
       select u.id, $2, u.s, u.m, $2 from unnest($1::uuid[], $3::text[], $4::text[]) as u(id, s, m)`,
      [chunk, DUE_AT, chunk.map((_, k) => streamOf(from + k)), chunk.map((_, k) => message(from + k))],
    );
  }
}

async function timerIds() {
  const { uuidv7 } = await import(CORE);
  return Array.from({ length: count() }, () => uuidv7());
}

// ---------------------------------------------------------------- ours

/** Runs one poller until `fired` reaches `target` or the store has no pending timer; resolves the poller. */
async function runPoller(store, batchSize, until) {
  const { createTimerPoller } = await import(CORE);
  const errors = [];
  const poller = createTimerPoller(store, { batchSize, pollIntervalMs: 50, onError: (e) => errors.push(e) });
  poller.start();
  while (!(await until(poller))) {
    if (errors.length > 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await poller.stop();
  if (errors.length > 0) throw errors[0];
  return poller;
}

/** The fired events, checked: one per timer id, each with metadata.timer. */
async function checkFired(store, ids) {
  let n = 0;
  const seen = new Set(ids);
  for await (const e of store.readAll()) {
    if (e.metadata.timer?.id !== e.id || !seen.delete(e.id)) throw new Error(`unexpected event ${e.id}`);
    n++;
  }
  if (n !== ids.length || seen.size !== 0) throw new Error(`${n} events for ${ids.length} timers`);
  const pending = await store.timers.count();
  if (pending !== 0) throw new Error(`${pending} timers still pending`);
}

async function openOurs(kind, where) {
  if (kind === 'memory') {
    const { createInMemoryEventStore } = await import(CORE);
    return createInMemoryEventStore();
  }
  if (kind === 'sqlite') {
    const { sqliteEventStore } = await import('../../packages/sqlite/dist/index.js');
    return sqliteEventStore(where, { synchronous: 'normal' });
  }
  const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
  return postgresEventStore({ connectionString: PG_URL, schema: where });
}

async function fillOurs(kind, store, schema, ids) {
  if (kind === 'memory') {
    for (let from = 0; from < ids.length; from += FILL_CHUNK) {
      await store.transaction(async (tx) => {
        for (let i = from; i < Math.min(ids.length, from + FILL_CHUNK); i++) {
          await tx.timers.schedule({ id: ids[i], streamId: streamOf(i), at: DUE_AT, message: JSON.parse(message(i)) });
        }
      });
    }
  } else if (kind === 'sqlite') {
    await store.transaction(async (tx) => fillSqliteTable(tx.connection, ids));
  } else {
    await store.migrate();
    await store.transaction((tx) => fillPgTable((t, v) => tx.connection.query(t, v), `${schema}.timers`, ids));
  }
}

async function measureOurs(kind, contender) {
  const dir = kind === 'sqlite' ? mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-timers-')) : undefined;
  const where = kind === 'sqlite' ? path.join(dir, 't.db') : benchSchema('timers');
  const store = await openOurs(kind, where);
  try {
    const ids = await timerIds();
    await fillOurs(kind, store, where, ids);
    let ms;
    const detail = { timers: ids.length };
    if (contender.startsWith('2 pollers')) {
      const startAt = Date.now() + 2_000;
      const results = await Promise.all(
        [1, 2].map(() =>
          runInFreshProcess('timers', 'poll-child', `${kind}|${where}|${batchOf(contender)}|${startAt}`),
        ),
      );
      for (const r of results) if (r.error !== undefined) throw new Error(`poller process: ${r.error}`);
      ms = Math.max(...results.map((r) => r.detail.endAt)) - startAt;
      detail.perPoller = results.map((r) => r.value);
      detail.pollerPeakRssMb = results.map((r) => r.detail.peakRssMb);
      if (results.some((r) => r.value === 0)) throw new Error(`one poller fired nothing: ${detail.perPoller}`);
    } else {
      const t0 = performance.now();
      await runPoller(store, batchOf(contender), async (p) => p.fired >= ids.length);
      ms = performance.now() - t0;
    }
    await checkFired(store, ids);
    return {
      value: (ids.length * 1000) / ms,
      detail: { ...detail, ms: Math.round(ms), peakRssMb: peakRssMb() },
    };
  } finally {
    await store.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    else if (kind === 'postgres') await dropSchema(where);
  }
}

/** One of the two poller processes: waits for `startAt`, fires until nothing is pending. */
async function pollChild(arg) {
  const [kind, where, batch, startAt] = arg.split('|');
  const store = await openOurs(kind, where);
  try {
    await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
    const poller = await runPoller(store, Number(batch), async () => (await store.timers.count()) === 0);
    return { value: poller.fired, detail: { endAt: Date.now(), peakRssMb: peakRssMb() } };
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------- raw baselines

/** The fired event's fields, computed as ours does (message parsed, metadata.timer added). */
function firedFields(row, now) {
  const m = JSON.parse(row.message);
  const dueAt = Number(row.due_at);
  const timer = {
    id: row.id,
    dueAt: new Date(dueAt).toISOString(),
    firedAt: new Date(now).toISOString(),
    lateMs: Math.max(0, now - dueAt),
  };
  return { type: m.type, data: JSON.stringify(m.data), metadata: JSON.stringify({ ...(m.metadata ?? {}), timer }) };
}

async function measureRawSqlite(batch) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-timers-raw-'));
  const raw = await rawBetterSqlite(path.join(dir, 'raw.db'), 'normal');
  const db = raw.db;
  try {
    // The same timers table and due index as our migrations 4 and 5.
    db.exec(`CREATE TABLE timers (id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, stream_id TEXT NOT NULL,
      message TEXT NOT NULL, scheduled_at INTEGER NOT NULL, parked_at INTEGER, error TEXT) WITHOUT ROWID;
      CREATE INDEX timers_by_due ON timers (due_at, id) WHERE parked_at IS NULL;`);
    const ids = await timerIds();
    await fillSqliteTable(db, ids);
    const claim = db.prepare(
      'DELETE FROM timers WHERE id IN (SELECT id FROM timers WHERE parked_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?) RETURNING *',
    );
    const streamRow = db.prepare('SELECT version FROM streams WHERE stream_id = ?');
    const insert = db.prepare(
      'INSERT INTO events (id, stream_id, version, type, data, metadata, recorded_at, correlation_id, causation_id, schema_version, stream_hash) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1, 0)',
    );
    const upsert = db.prepare(
      'INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position',
    );
    const fire = db.transaction((now) => {
      const rows = claim.all(now, batch);
      for (const row of rows) {
        const f = firedFields(row, now);
        const version = (streamRow.get(row.stream_id)?.version ?? 0) + 1;
        const position = insert.run(row.id, row.stream_id, version, f.type, f.data, f.metadata, now).lastInsertRowid;
        upsert.run(row.stream_id, version, position);
      }
      return rows.length;
    });
    const t0 = performance.now();
    let fired = 0;
    for (;;) {
      const n = fire.immediate(Date.now());
      fired += n;
      if (n === 0) break;
    }
    const ms = performance.now() - t0;
    const events = db.prepare('SELECT count(DISTINCT id) AS n FROM events').get().n;
    if (fired !== ids.length || events !== ids.length) throw new Error(`raw fired ${fired}, stored ${events}`);
    return {
      value: (ids.length * 1000) / ms,
      detail: { timers: ids.length, ms: Math.round(ms), peakRssMb: peakRssMb() },
    };
  } finally {
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Per batch, one statement for all the fired events (any number of streams): each stream's
// version is bumped by its count (created when new), its events numbered after the old version.
const rawFireSql = (s) => `
  with u as (
    select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])
      with ordinality as u(id, stream_id, type, data, metadata, category, hash, ord)),
  g as (select stream_id, count(*) as n from u group by stream_id),
  s as (insert into ${s}.streams (stream_id, version) select stream_id, n from g
        on conflict (stream_id) do update set version = ${s}.streams.version + excluded.version
        returning stream_id, version)
  insert into ${s}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
  select nextval('${s}.events_position'), u.id, u.stream_id,
         s.version - g.n + row_number() over (partition by u.stream_id order by u.ord),
         u.category, u.hash, u.type, u.data, u.metadata, 1, now()
  from u join g using (stream_id) join s using (stream_id)`;

async function measureRawPg(batch) {
  const schema = benchSchema('timers_raw');
  await rawPg.setup(schema);
  const { default: pg } = await import('pg');
  const { createHash } = await import('node:crypto');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`create table ${schema}.timers (id uuid primary key, due_at bigint not null,
      stream_id text not null, message text not null, scheduled_at bigint not null, parked_at bigint, error text);
      create index timers_by_due on ${schema}.timers (due_at, id) where parked_at is null`);
    const ids = await timerIds();
    await fillPgTable((t, v) => client.query(t, v), `${schema}.timers`, ids);
    await client.query(`analyze ${schema}.timers`);
    const claim = {
      name: 'raw-claim',
      text: `delete from ${schema}.timers where id in (select id from ${schema}.timers where parked_at is null and due_at <= $1
             order by due_at, id limit $2 for update skip locked) returning *`,
    };
    const fireSql = { name: 'raw-fire', text: rawFireSql(schema) };
    const category = (id) => id.split('-', 1)[0];
    const hash = (id) => createHash('md5').update(id, 'utf8').digest().readInt32BE(0);
    const t0 = performance.now();
    let fired = 0;
    for (;;) {
      const now = Date.now();
      await client.query('begin');
      const { rows } = await client.query({ ...claim, values: [now, batch] });
      if (rows.length > 0) {
        const f = rows.map((r) => firedFields(r, now));
        await client.query({
          ...fireSql,
          values: [
            rows.map((r) => r.id),
            rows.map((r) => r.stream_id),
            f.map((x) => x.type),
            f.map((x) => x.data),
            f.map((x) => x.metadata),
            rows.map((r) => category(r.stream_id)),
            rows.map((r) => hash(r.stream_id)),
          ],
        });
      }
      await client.query('commit');
      fired += rows.length;
      if (rows.length === 0) break;
    }
    const ms = performance.now() - t0;
    const events = Number((await client.query(`select count(*) as n from ${schema}.events`)).rows[0].n);
    if (fired !== ids.length || events !== ids.length) throw new Error(`raw fired ${fired}, stored ${events}`);
    return {
      value: (ids.length * 1000) / ms,
      detail: { timers: ids.length, ms: Math.round(ms), peakRssMb: peakRssMb() },
    };
  } finally {
    await client.end();
    await dropSchema(schema);
  }
}

// ---------------------------------------------------------------- scenario

const TITLES = { memory: 'in-memory store', sqlite: 'SQLite', postgres: 'PostgreSQL' };
const FLOORS = {
  sqlite: [
    { contender: 'poller b500', metric: 'value', atLeast: 5_000, label: 'issue 11: ≥ 5,000 timers/s (poller b500)' },
  ],
  postgres: [
    { contender: 'poller b500', metric: 'value', atLeast: 2_000, label: 'issue 11: ≥ 2,000 timers/s (poller b500)' },
  ],
};

export default {
  name: 'timers',
  title: 'Durable timers fired per second',
  peerFolders: [],
  cases: () =>
    Object.entries(CONTENDERS).map(([kind, contenders]) => ({
      id: kind,
      title: `${TITLES[kind]}: fire ${count().toLocaleString('en-US')} timers due at the same moment`,
      unit: 'timers/s',
      contenders,
      reference: contenders.find((c) => c.startsWith('raw')) ?? 'poller b500',
      floors: FLOORS[kind] ?? [],
      detailColumns: [{ key: 'peakRssMb', label: 'Peak RSS (MB)', format: 'count' }],
      note:
        kind === 'memory'
          ? 'One poller per run (nothing else can share an in-memory store); batch size = timers per transaction.'
          : `Target of issue 11: ≥ ${kind === 'sqlite' ? '5,000' : '2,000'} timers/s. "2 pollers" are two processes on the same ${kind === 'sqlite' ? 'file' : 'schema'}, timed from a common start to the last one done; the raw row does the same claim and inserts with the bare driver, one transaction per batch of 500.`,
    })),
  describe: () => [
    `Each run: ${count().toLocaleString('en-US')} pending timers, all due at the same past moment, each targeting its own stream (\`order-<i>\`, as a saga's payment timeout does), are written before timing (a set-based insert, not timed); the run ends when every timer fired. Checked after every run: one event per timer id with \`metadata.timer\`, nothing pending (raw rows: event count).`,
    '`poller bN` is `createTimerPoller(store, { batchSize: N })`: per batch one transaction claims (deletes) N due timers and appends their messages with `tx.timers.appendFired` (PostgreSQL: one set-based batch statement; SQLite and memory: one prepared append per timer), parking any refused one.',
    'The raw baselines do the same work with the bare driver, per batch of 500 in one transaction: the same `DELETE … RETURNING` claim on the same table and partial index (PostgreSQL with `FOR UPDATE SKIP LOCKED`), the message parsed and `metadata.timer` added as ours does, then the events inserted with stream versions (SQLite: prepared statements row by row; PostgreSQL: one `insert … select from unnest` for the batch with the stream rows upserted in the same statement). No idempotency look-up and positions from a plain sequence (decision 0901).',
    'Peak RSS (`process.resourceUsage().maxRSS`) of each worker is in bench/results/timers.json (`detail.peakRssMb`; `pollerPeakRssMb` for the two poller processes).',
  ],
  notes: () => [],
  async measure(caseId, contender) {
    if (caseId === 'poll-child') return pollChild(contender);
    if (contender === 'raw better-sqlite3 b500') return measureRawSqlite(500);
    if (contender === 'raw pg b500') return measureRawPg(500);
    if (!CONTENDERS[caseId]?.includes(contender)) throw new Error(`unknown timers case ${caseId} / ${contender}`);
    return measureOurs(caseId, contender);
  },
};
