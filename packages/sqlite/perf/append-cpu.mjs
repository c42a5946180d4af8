// Append cost in CPU time, for A/B runs on a shared machine (decision 1180):
//   node packages/sqlite/perf/append-cpu.mjs <repo root> <tidings|raw> <events per call> [seconds]
// One caller, appends round-robin to 100 streams with the exact expected version (as bench/ does),
// a fresh file in the OS temp directory. Prints events per second of this process's CPU time
// (user + system) and of wall time. `<repo root>` lets one script time two builds (before/after).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, contender, perCallArg, secondsArg] = process.argv.slice(2);
const perCall = Number(perCallArg ?? 1);
const seconds = Number(secondsArg ?? 3);
const at = (p) => pathToFileURL(path.resolve(root, p)).href;
const dir = mkdtempSync(path.join(os.tmpdir(), 'perfreg-'));
const file = path.join(dir, 'bench.db');

let append;
let close;
if (contender === 'tidings') {
  const { sqliteEventStore } = await import(at('packages/sqlite/dist/index.js'));
  const store = await sqliteEventStore(file, { synchronous: 'normal' });
  append = (s, events, expectedVersion) => store.append(s, events, { expectedVersion });
  close = () => store.close();
} else if (contender === 'raw-on-ours') {
  // The raw loop's statements on a file migrated by our store: separates what our schema costs
  // (the category index, the other tables) from what our code costs.
  const { sqliteEventStore } = await import(at('packages/sqlite/dist/index.js'));
  await (await sqliteEventStore(file)).close();
  const { default: Database } = await import('better-sqlite3');
  const { uuidv7 } = await import(at('packages/tidings/dist/index.js'));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const streamRow = db.prepare('SELECT version FROM streams WHERE stream_id = ?');
  const insert = db.prepare(
    'INSERT INTO events (id, stream_id, version, type, data, metadata, recorded_at, correlation_id, causation_id, schema_version, stream_hash) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1, 0)',
  );
  const upsert = db.prepare(
    'INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position',
  );
  const tx = db.transaction((streamId, events, expectedVersion) => {
    const current = BigInt(streamRow.get(streamId)?.version ?? 0);
    if (current !== expectedVersion) throw new Error(`conflict on ${streamId}`);
    let version = Number(current);
    let position = 0;
    const now = Date.now();
    for (const e of events) {
      version += 1;
      position = insert.run(
        uuidv7(),
        streamId,
        version,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata ?? {}),
        now,
      ).lastInsertRowid;
    }
    upsert.run(streamId, version, position);
  });
  append = async (s, events, v) => tx.immediate(s, events, v);
  close = () => db.close();
} else {
  const { rawBetterSqlite } = await import(at('bench/scenarios/sqlite-contenders.mjs'));
  const raw = await rawBetterSqlite(file, 'normal');
  // RAW_CATEGORY_INDEX=1: the raw loop also keeps the category index ours has had since migration 4.
  if (process.env.RAW_CATEGORY_INDEX === '1')
    raw.db.exec(
      "CREATE INDEX events_by_category ON events (substr(stream_id, 1, instr(stream_id || '-', '-') - 1), position)",
    );
  append = raw.append;
  close = raw.close;
}

const versions = new Array(100).fill(0n);
let n = 0;
const event = (i) => ({
  type: 'bench.item-added',
  data: { n: i, sku: `sku-${i % 1000}`, quantity: 3, note: 'a short line of payload text' },
});
async function step() {
  const s = n % 100;
  const events = [];
  for (let i = 0; i < perCall; i++) events.push(event(n * perCall + i));
  n++;
  await append(`stream-${s}`, events, versions[s]);
  versions[s] += BigInt(perCall);
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const wall = () => performance.now();
const warmEnd = wall() + 500;
while (wall() < warmEnd) await step();
const c0 = cpu();
const w0 = wall();
const n0 = n;
while (wall() - w0 < seconds * 1000) await step();
const events = (n - n0) * perCall;
const cpuMs = cpu() - c0;
const wallMs = wall() - w0;
await close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    contender,
    perCall,
    cpuRate: Math.round((events * 1000) / cpuMs),
    wallRate: Math.round((events * 1000) / wallMs),
  }),
);
