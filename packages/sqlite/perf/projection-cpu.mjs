// Projection catch-up in CPU time, for A/B runs (decision 1180):
//   node packages/sqlite/perf/projection-cpu.mjs <repo root> <tidings|raw> <events file>
// The same work as bench/scenarios/projection.mjs (case sqlite): a copy of a file of stored
// `bench.item-added` events (make one with `BENCH_PROJECTION_EVENTS=200000 node bench/worker.mjs
// projection generate-sqlite tidings`), projected into a 1,000-row read model in batches of 500.
// Prints events per second of this process's CPU time and of wall time over the catch-up only.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, contender, source] = process.argv.slice(2);
const at = (p) => pathToFileURL(path.resolve(root, p)).href;
const BATCH = 500;
const TABLE = (t) => `CREATE TABLE ${t} (sku TEXT PRIMARY KEY, quantity INTEGER NOT NULL, events INTEGER NOT NULL)`;
const UPSERT = (t) =>
  `INSERT INTO ${t} (sku, quantity, events) VALUES (?, ?, 1) ON CONFLICT (sku) DO UPDATE SET quantity = quantity + excluded.quantity, events = events + 1`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'perfreg-projection-'));
const file = path.join(dir, 'p.db');
copyFileSync(source, file);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let c0;
let w0;
let rows;
if (contender === 'tidings') {
  const { sqliteEventStore, sqliteTable } = await import(at('packages/sqlite/dist/index.js'));
  const { defineProjection, createProcessorRunner } = await import(at('packages/tidings/dist/index.js'));
  const store = await sqliteEventStore(file, { synchronous: 'normal' });
  const statements = new WeakMap();
  const projection = defineProjection({
    name: 'bench-projection',
    readModel: sqliteTable({ name: 'items', create: (db, t) => db.exec(TABLE(t)) }),
    batch: { maxEvents: BATCH },
    handle: (events, { tx, target }) => {
      let upsert = statements.get(tx.connection);
      if (upsert === undefined) statements.set(tx.connection, (upsert = tx.connection.prepare(UPSERT(target))));
      if (process.env.NOOP_HANDLER === '1') return;
      for (const e of events) upsert.run(e.data.sku, e.data.quantity);
    },
  });
  const runner = createProcessorRunner(store, { processors: [projection.processor], pageSize: BATCH });
  c0 = cpu();
  w0 = performance.now();
  await runner.start();
  await runner.catchUp({ timeoutMs: 3_600_000 });
  var cpuMs = cpu() - c0;
  var wallMs = performance.now() - w0;
  await runner.stop();
  rows = await store.transaction(async (tx) => tx.connection.prepare('SELECT quantity, events FROM items').all());
  await store.close();
} else {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(TABLE('items'));
  db.exec('CREATE TABLE raw_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
  const read = db.prepare('SELECT position, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?');
  const upsert = db.prepare(UPSERT('items'));
  const checkpoint = db.prepare(
    'INSERT INTO raw_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  );
  c0 = cpu();
  w0 = performance.now();
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
  var cpuMs = cpu() - c0;
  var wallMs = performance.now() - w0;
  rows = db.prepare('SELECT quantity, events FROM items').all();
  db.close();
}
rmSync(dir, { recursive: true, force: true });
const events = process.env.NOOP_HANDLER === '1' ? 200000 : rows.reduce((s, r) => s + Number(r.events), 0);
if (process.env.NOOP_HANDLER !== '1' && rows.reduce((s, r) => s + Number(r.quantity), 0) !== 3 * events)
  throw new Error('read model totals are wrong');
console.log(
  JSON.stringify({
    contender,
    events,
    cpuRate: Math.round((events * 1000) / cpuMs),
    wallRate: Math.round((events * 1000) / wallMs),
  }),
);
