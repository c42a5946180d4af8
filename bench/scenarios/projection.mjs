// Scenario: projection catch-up (issue 9, item 8, first bullet). A projection reads every stored
// event and upserts a read-model table in the same database, checkpointing with each batch;
// ours (defineProjection + sqliteTable/postgresTable, run by the processor runner to the head)
// against a hand-written loop doing the same reads, upserts and checkpoint writes in batches of
// the same size. Figures: events/s, and the worker's peak RSS in the detail.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInFreshProcess } from '../lib/spawn-run.mjs';
import { benchEvent } from '../lib/store-loops.mjs';
import { PG_URL, withAdmin } from './postgres-contenders.mjs';

const count = () =>
  Number(process.env.BENCH_PROJECTION_EVENTS ?? (process.env.BENCH_QUICK === '1' ? 50_000 : 1_000_000));
const BATCH = 500;
const STREAMS = 100;
const DATA_DIR = fileURLToPath(new URL('../results/data/', import.meta.url));
const sqliteFile = () => `${DATA_DIR}projection-${count()}.db`;
const pgSchema = () => `tidings_bench_projection_${count()}`;
const CONTENDERS = ['tidings projection', 'raw loop'];

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** The read model: per sku, the quantity and the number of events (1 000 skus). */
const SQLITE_TABLE = (t) =>
  `CREATE TABLE ${t} (sku TEXT PRIMARY KEY, quantity INTEGER NOT NULL, events INTEGER NOT NULL)`;
const SQLITE_UPSERT = (t) =>
  `INSERT INTO ${t} (sku, quantity, events) VALUES (?, ?, 1) ON CONFLICT (sku) DO UPDATE SET quantity = quantity + excluded.quantity, events = events + 1`;
const PG_TABLE = (t) => `create table ${t} (sku text primary key, quantity bigint not null, events bigint not null)`;
// One statement per batch on PostgreSQL (both contenders): the batch's deltas summed per sku.
const PG_UPSERT = (t) =>
  `insert into ${t} (sku, quantity, events) select sku, sum(q), count(*) from unnest($1::text[], $2::int[]) as u(sku, q) group by sku
   on conflict (sku) do update set quantity = ${t}.quantity + excluded.quantity, events = ${t}.events + excluded.events`;

async function fill(store) {
  const versions = new Array(STREAMS).fill(0n);
  for (let n = 0; n < count() / 100; n++) {
    const k = n % STREAMS;
    await store.append(
      `bench-${k}`,
      Array.from({ length: 100 }, (_, i) => benchEvent(n * 100 + i)),
      { expectedVersion: versions[k] },
    );
    versions[k] += 100n;
  }
}

async function generateSqlite() {
  const tmp = `${sqliteFile()}.tmp-${process.pid}`;
  const { sqliteEventStore } = await import('../../packages/sqlite/dist/index.js');
  const store = await sqliteEventStore(tmp, { synchronous: 'normal' });
  await fill(store);
  await store.close();
  for (const suffix of ['-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
  renameSync(tmp, sqliteFile());
  return { value: count() };
}

async function generatePostgres() {
  const schema = pgSchema();
  await withAdmin((c) => c.query(`drop schema if exists ${schema} cascade`));
  const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
  const store = postgresEventStore({ connectionString: PG_URL, schema });
  await store.migrate();
  await fill(store);
  await store.close();
  await withAdmin((c) => c.query(`vacuum analyze ${schema}.events`));
  return { value: count() };
}

function checkTotals(rows) {
  const events = rows.reduce((s, r) => s + Number(r.events), 0);
  const quantity = rows.reduce((s, r) => s + Number(r.quantity), 0);
  if (events !== count() || quantity !== 3 * count())
    throw new Error(`read model holds ${events} events / quantity ${quantity}, expected ${count()} / ${3 * count()}`);
}

async function ours(store, readModel, handle) {
  const { defineProjection, createProcessorRunner } = await import('../../packages/tidings/dist/index.js');
  const projection = defineProjection({
    name: 'bench-projection',
    readModel,
    batch: { maxEvents: BATCH },
    handle,
  });
  const runner = createProcessorRunner(store, { processors: [projection.processor], pageSize: BATCH });
  const t0 = performance.now();
  await runner.start();
  await runner.catchUp({ timeoutMs: 3_600_000 });
  const ms = performance.now() - t0;
  await runner.stop();
  return ms;
}

async function measureSqlite(contender) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-projection-'));
  const file = path.join(dir, 'p.db');
  copyFileSync(sqliteFile(), file);
  try {
    let ms;
    let rows;
    if (contender === 'tidings projection') {
      const { sqliteEventStore, sqliteTable } = await import('../../packages/sqlite/dist/index.js');
      const store = await sqliteEventStore(file, { synchronous: 'normal' });
      const statements = new WeakMap();
      ms = await ours(
        store,
        sqliteTable({ name: 'items', create: (db, t) => db.exec(SQLITE_TABLE(t)) }),
        (events, { tx, target }) => {
          let upsert = statements.get(tx.connection);
          if (upsert === undefined)
            statements.set(tx.connection, (upsert = tx.connection.prepare(SQLITE_UPSERT(target))));
          for (const e of events) upsert.run(e.data.sku, e.data.quantity);
        },
      );
      rows = await store.transaction(async (tx) => tx.connection.prepare('SELECT quantity, events FROM items').all());
      await store.close();
    } else {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SQLITE_TABLE('items'));
      db.exec('CREATE TABLE raw_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
      const read = db.prepare('SELECT position, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?');
      const upsert = db.prepare(SQLITE_UPSERT('items'));
      const checkpoint = db.prepare(
        'INSERT INTO raw_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
      );
      const t0 = performance.now();
      let from = 0;
      for (;;) {
        const page = read.all(from, BATCH);
        if (page.length === 0) break;
        db.exec('BEGIN IMMEDIATE');
        for (const row of page) {
          const data = JSON.parse(row.data);
          upsert.run(data.sku, data.quantity);
        }
        from = page[page.length - 1].position;
        checkpoint.run('raw', from);
        db.exec('COMMIT');
      }
      ms = performance.now() - t0;
      rows = db.prepare('SELECT quantity, events FROM items').all();
      db.close();
    }
    checkTotals(rows);
    return { value: (count() * 1000) / ms, detail: { ms: Math.round(ms), peakRssMb: peakRssMb(), events: count() } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measurePostgres(contender) {
  const schema = pgSchema();
  let ms;
  let rows;
  if (contender === 'tidings projection') {
    const { postgresEventStore, postgresTable } = await import('../../packages/postgres/dist/index.js');
    const store = postgresEventStore({ connectionString: PG_URL, schema });
    await store.processing.deleteCheckpoints('bench-projection');
    await withAdmin((c) => c.query(`drop table if exists ${schema}.items`));
    ms = await ours(
      store,
      postgresTable({ name: 'items', schema, create: (c, t) => c.query(PG_TABLE(t)) }),
      (events, { tx, target }) =>
        tx.connection.query(PG_UPSERT(target), [events.map((e) => e.data.sku), events.map((e) => e.data.quantity)]),
    );
    rows = await store.transaction(
      async (tx) => (await tx.connection.query(`select quantity, events from ${schema}.items`)).rows,
    );
    await store.close();
  } else {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`drop table if exists ${schema}.raw_items; drop table if exists ${schema}.raw_checkpoints`);
      await client.query(PG_TABLE(`${schema}.raw_items`));
      await client.query(`create table ${schema}.raw_checkpoints (name text primary key, position bigint not null)`);
      const t0 = performance.now();
      let from = '0';
      for (;;) {
        const { rows: page } = await client.query({
          name: 'raw-read',
          text: `select position, type, data from ${schema}.events where position > $1 order by position limit $2`,
          values: [from, BATCH],
        });
        if (page.length === 0) break;
        // The store keeps data as JSON text: parse it as any reader must.
        const data = page.map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data));
        await client.query('begin');
        await client.query({
          name: 'raw-upsert',
          text: PG_UPSERT(`${schema}.raw_items`),
          values: [data.map((d) => d.sku), data.map((d) => d.quantity)],
        });
        from = page[page.length - 1].position;
        await client.query({
          name: 'raw-checkpoint',
          text: `insert into ${schema}.raw_checkpoints (name, position) values ('raw', $1) on conflict (name) do update set position = excluded.position`,
          values: [from],
        });
        await client.query('commit');
      }
      ms = performance.now() - t0;
      rows = (await client.query(`select quantity, events from ${schema}.raw_items`)).rows;
    } finally {
      await client.end();
    }
  }
  checkTotals(rows);
  return { value: (count() * 1000) / ms, detail: { ms: Math.round(ms), peakRssMb: peakRssMb(), events: count() } };
}

export default {
  name: 'projection',
  title: 'Projection catch-up',
  peerFolders: [],
  cases: () => [
    {
      id: 'sqlite',
      title: `SQLite: project ${count().toLocaleString('en-US')} stored events into a read-model table`,
      unit: 'events/s',
      contenders: CONTENDERS,
      reference: 'raw loop',
      targets: [{ contender: 'tidings projection', versus: 'raw loop', atLeast: 0.7 }],
      note: `Batches of ${BATCH} events per transaction for both; peak RSS of each worker is in bench/results/projection.json (detail.peakRssMb). The raw loop reads a page with one SELECT, upserts row by row with one prepared statement and writes its checkpoint row, in one BEGIN IMMEDIATE transaction per page.`,
    },
    {
      id: 'postgres',
      title: `PostgreSQL: project ${count().toLocaleString('en-US')} stored events into a read-model table`,
      unit: 'events/s',
      contenders: CONTENDERS,
      reference: 'raw loop',
      targets: [{ contender: 'tidings projection', versus: 'raw loop', atLeast: 0.7 }],
      note: `Batches of ${BATCH} events per transaction for both, one set-based upsert statement per batch (unnest, grouped by sku) and a checkpoint row; the raw loop uses one pg client and prepared statements.`,
    },
  ],
  describe: () => [
    `Events: ${count().toLocaleString('en-US')} \`bench.item-added\` events in ${STREAMS} streams, written once by our store and reused (SQLite: a file copied per run; PostgreSQL: one schema, the read model dropped and the checkpoint deleted before each run). The read model is 1 000 rows (one per sku) of quantity and event count; both contenders must end with the same totals, checked.`,
    '`tidings projection` is `defineProjection({ readModel: sqliteTable(...) | postgresTable(...), batch: { maxEvents: 500 } })` run by `createProcessorRunner` (lease, page reads of 500, per-unit transaction with the fenced checkpoint) from `start()` until `catchUp()` returns.',
    "Emmett's projections are not in this round: its SQLite and PostgreSQL projection runners were not wired up here yet (a known gap of this scenario).",
  ],
  notes: () => [],
  async prepare({ log }) {
    mkdirSync(DATA_DIR, { recursive: true });
    const marker = `${sqliteFile()}.json`;
    if (!(existsSync(sqliteFile()) && existsSync(marker))) {
      log(`  generating ${count().toLocaleString('en-US')} events in SQLite (once; reused by later runs)...`);
      const r = await runInFreshProcess('projection', 'generate-sqlite', 'tidings', { timeoutMs: 1_800_000 });
      if (r.error !== undefined) log(`  could not generate the SQLite file: ${r.error}`);
      else writeFileSync(marker, JSON.stringify({ count: count(), createdAt: new Date().toISOString() }));
    }
    const exists = await withAdmin(
      async (c) =>
        (await c.query(`select to_regclass($1) as t`, [`${pgSchema()}.events`])).rows[0].t !== null &&
        Number((await c.query(`select count(*)::int as n from ${pgSchema()}.events`)).rows[0].n) === count(),
    ).catch(() => false);
    if (!exists) {
      log(`  generating ${count().toLocaleString('en-US')} events in PostgreSQL schema ${pgSchema()}...`);
      const r = await runInFreshProcess('projection', 'generate-postgres', 'tidings', { timeoutMs: 1_800_000 });
      if (r.error !== undefined) log(`  could not generate the PostgreSQL schema: ${r.error}`);
    }
    return {};
  },
  async measure(caseId, contender) {
    if (caseId === 'generate-sqlite') return generateSqlite();
    if (caseId === 'generate-postgres') return generatePostgres();
    if (caseId === 'sqlite') return measureSqlite(contender);
    if (caseId === 'postgres') return measurePostgres(contender);
    throw new Error(`unknown projection case ${caseId}`);
  },
};
