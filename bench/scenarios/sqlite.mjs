// Scenario: the SQLite event store against raw better-sqlite3 and Emmett's SQLite store (issue 4, item 7).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInFreshProcess } from '../lib/spawn-run.mjs';
import { benchEvent, storeSettings, timeBoxed } from '../lib/store-loops.mjs';
import { appendContenders, emmettPragmas } from './sqlite-contenders.mjs';

const quick = () => process.env.BENCH_QUICK === '1';
const readAllCount = () => (quick() ? 100_000 : 1_000_000);
const COMMAND_STREAM_EVENTS = 10_000;
const APPEND_STREAMS = 100;
const DATA_DIR = fileURLToPath(new URL('../results/data/', import.meta.url));
const readAllFile = () => `${DATA_DIR}sqlite-readall-${readAllCount()}.db`;

function appendCase(size) {
  return {
    id: `append-${size}`,
    title: `Append ${size} event${size === 1 ? '' : 's'} per call, one caller`,
    unit: 'events/s',
    contenders: Object.keys(appendContenders),
    reference: 'raw better-sqlite3',
    compareTo: ['Emmett SQLite'],
    targets: [
      { contender: 'tidings', versus: 'raw better-sqlite3', atLeast: 0.8 },
      // Emmett's connections run at synchronous FULL (node-sqlite3's default; its store offers no
      // setting), so the like-for-like comparison is ours at FULL.
      ...(size === 1
        ? [
            { contender: 'tidings (synchronous FULL)', versus: 'Emmett SQLite', atLeast: 20 },
            { contender: 'tidings', versus: 'Emmett SQLite', atLeast: 20, informative: true },
          ]
        : []),
    ],
  };
}

function freshDir() {
  return mkdtempSync(path.join(os.tmpdir(), 'tidings-bench-sqlite-'));
}

async function withFreshFile(fn) {
  const dir = freshDir();
  try {
    return await fn(path.join(dir, 'bench.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureAppend(contender, size) {
  return withFreshFile(async (file) => {
    const subject = await appendContenders[contender](file);
    const versions = new Array(APPEND_STREAMS).fill(0n);
    let n = 0;
    try {
      const r = await timeBoxed(1, async () => {
        const k = n % APPEND_STREAMS;
        const events = Array.from({ length: size }, (_, i) => benchEvent(n * size + i));
        n++;
        await subject.append(`bench-${k}`, events, versions[k]);
        versions[k] += BigInt(size);
        return size;
      });
      return { value: r.rate, detail: { events: r.events, ms: r.ms, ...subject.stats } };
    } finally {
      await subject.close();
    }
  });
}

async function measureConcurrent(contender, callers) {
  return withFreshFile(async (file) => {
    const subject = await appendContenders[contender](file);
    const versions = new Array(callers).fill(0n);
    let n = 0;
    try {
      const r = await timeBoxed(callers, async (caller) => {
        await subject.append(`bench-${caller}`, [benchEvent(n++)], versions[caller]);
        versions[caller] += 1n;
        return 1;
      });
      return { value: r.rate, detail: { events: r.events, ms: r.ms } };
    } finally {
      await subject.close();
    }
  });
}

/** Fills the shared read-all file with our store (100 streams, 100-event appends); reused across runs. */
async function generateReadAllFile() {
  const count = readAllCount();
  const target = readAllFile();
  const tmp = `${target}.tmp-${process.pid}`;
  const { sqliteEventStore } = await import('../../packages/sqlite/dist/index.js');
  const store = await sqliteEventStore(tmp, { synchronous: 'normal' });
  const versions = new Array(APPEND_STREAMS).fill(0n);
  for (let n = 0; n < count / 100; n++) {
    const k = n % APPEND_STREAMS;
    await store.append(
      `bench-${k}`,
      Array.from({ length: 100 }, (_, i) => benchEvent(n * 100 + i)),
      { expectedVersion: versions[k] },
    );
    versions[k] += 100n;
  }
  await store.close();
  for (const suffix of ['-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
  renameSync(tmp, target);
  return { value: count };
}

async function measureReadAll(contender) {
  const expected = readAllCount();
  let count = 0;
  let sum = 0;
  const t0 = performance.now();
  if (contender === 'tidings') {
    const { sqliteEventStore } = await import('../../packages/sqlite/dist/index.js');
    const store = await sqliteEventStore(readAllFile(), { synchronous: 'normal' });
    for await (const event of store.readAll()) {
      count++;
      sum += event.data.n + (event.metadata.schemaVersion ?? 0);
    }
    await store.close();
  } else {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(readAllFile(), { readonly: true });
    const rows = db
      .prepare(
        'SELECT position, id, stream_id, version, type, data, metadata, recorded_at FROM events ORDER BY position',
      )
      .iterate();
    for (const row of rows) {
      const data = JSON.parse(row.data);
      const metadata = JSON.parse(row.metadata);
      count++;
      sum += data.n + (metadata.schemaVersion ?? 0);
    }
    db.close();
  }
  const ms = performance.now() - t0;
  if (count !== expected) throw new Error(`${contender} read ${count} events, expected ${expected}`);
  if (sum !== (expected * (expected - 1)) / 2)
    throw new Error(`${contender}: checksum ${sum} does not match the data written`);
  return { value: (count * 1000) / ms, detail: { ms: Math.round(ms) } };
}

async function measureHandleCommand(contender) {
  const core = await import('../../packages/tidings/dist/index.js');
  const { handleCommand, createStreamSnapshotStore } = core;
  if (typeof handleCommand !== 'function') throw new Error('tidings does not export handleCommand yet');
  if (typeof createStreamSnapshotStore !== 'function')
    throw new Error('tidings does not export createStreamSnapshotStore yet');
  const { sqliteEventStore } = await import('../../packages/sqlite/dist/index.js');
  return withFreshFile(async (file) => {
    const store = await sqliteEventStore(file, { synchronous: 'normal' });
    try {
      const streamId = 'account-1';
      for (let v = 0; v < COMMAND_STREAM_EVENTS; v += 100) {
        const events = Array.from({ length: 100 }, () => ({ type: 'account.deposited', data: { amount: 1 } }));
        await store.append(streamId, events, { expectedVersion: BigInt(v) });
      }
      // A counter: every command deposits 1; the state is the running balance.
      const decider = {
        initialState: () => ({ balance: 0 }),
        decide: (command) => ({ type: 'account.deposited', data: { amount: command.data.amount } }),
        evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
      };
      const withSnapshot = contender.includes('with snapshot');
      const options = withSnapshot
        ? { snapshots: { store: createStreamSnapshotStore(store), every: 100, version: 1 } }
        : {};
      if (withSnapshot) {
        // Take the first snapshot at the stream's head, as a long-lived stream would have one.
        await handleCommand(
          store,
          streamId,
          decider,
          { type: 'account.deposit', data: { amount: 1 } },
          { snapshots: { ...options.snapshots, every: 1 } },
        );
      }
      let last;
      const r = await timeBoxed(1, async () => {
        last = await handleCommand(store, streamId, decider, { type: 'account.deposit', data: { amount: 1 } }, options);
        return 1;
      });
      if (last.newState.balance !== Number(last.nextVersion))
        throw new Error(
          `balance ${last.newState.balance} != version ${last.nextVersion}: the state was folded wrongly`,
        );
      return { value: r.rate, detail: { commands: r.events, finalVersion: Number(last.nextVersion) } };
    } finally {
      await store.close();
    }
  });
}

export default {
  name: 'sqlite',
  title: 'SQLite event store',
  peerFolders: ['emmett-sqlite'],
  cases: () => [
    appendCase(1),
    appendCase(10),
    appendCase(100),
    {
      id: 'concurrent-8',
      title: '8 concurrent callers, 1 event per append, each to its own stream',
      unit: 'events/s',
      contenders: Object.keys(appendContenders),
      reference: 'raw better-sqlite3',
      compareTo: ['Emmett SQLite'],
      targets: [{ contender: 'tidings', versus: 'raw better-sqlite3', atLeast: 2.0 }],
      note: "The raw loop is one transaction per append: better-sqlite3 is synchronous, so 8 in-process callers take turns. Ours coalesces the appends that arrive while a write is pending into one transaction (group commit), each with its own version check and outcome. Emmett SQLite gets the same 8 callers on one store object, as an application would share it; it shares one connection among concurrent calls and closes it when the first call finishes, so it fails (error shown in its row). Eight separate Emmett store objects on one file were tried too: node-sqlite3 sets no busy timeout, so they fail their transactions with SQLITE_BUSY and 'cannot rollback - no transaction is active' (about 1 append/s got through in a 2 s trial), which is not a figure worth tabulating.",
    },
    {
      id: 'readall',
      title: `Read all ${readAllCount().toLocaleString('en-US')} events`,
      unit: 'events/s',
      contenders: ['tidings', 'raw iterate()'],
      reference: 'raw iterate()',
      targets: [{ contender: 'tidings', versus: 'raw iterate()', atLeast: 0.7 }],
      note: 'One file, written once by our store (100 streams, 100-event appends) and reused. `tidings` is `for await (const e of store.readAll())`, which yields full `RecordedEvent`s (bigint version and position, `Date`) and reads in short transactions of `readPageSize` (default 500) rows so the WAL can be checkpointed meanwhile; the raw contender is one `SELECT … ORDER BY position` `.iterate()` that parses `data` and `metadata`. Both check the count and a checksum of the data.',
    },
    {
      id: 'handle-command',
      title: `handleCommand on a ${COMMAND_STREAM_EVENTS.toLocaleString('en-US')}-event stream`,
      unit: 'commands/s',
      contenders: ['handleCommand, no snapshot', 'handleCommand, with snapshot'],
      reference: 'handleCommand, no snapshot',
      targets: [],
      note: `A counter decider; the stream starts with ${COMMAND_STREAM_EVENTS.toLocaleString('en-US')} events and each command appends one. Without a snapshot every command replays the whole stream; with \`snapshots: { store: createStreamSnapshotStore(store), every: 100 }\` (primed at the head) it loads the snapshot plus at most 100 events and saves a new snapshot every 100 commands. Commands carry no id (no duplicate lookup).`,
    },
  ],
  describe: () => {
    const s = storeSettings();
    return [
      `Each run uses a fresh file in the OS temp directory (${os.tmpdir()}), except the read-all file. Appends go round-robin to ${APPEND_STREAMS} streams (8 callers: one stream each), always with the exact expected version, so every contender performs the version check. Every contender appends the same events (\`{ type, data: { n, sku, quantity, note } }\`, ~80 bytes of JSON) with UUIDv7 ids (ours generate them; Emmett uses its own v4 ids).`,
      `\`raw better-sqlite3\` is the same driver build our store uses, with the same tables and indexes, WAL, \`synchronous=NORMAL\`: \`BEGIN IMMEDIATE\`, read the stream's version, check it, insert the events, upsert the stream row, \`COMMIT\` — one transaction per call. It skips what ours adds: the idempotency lookup of the event ids, the \`recordedAt\` clamp, the stream hash and the asynchronous write queue.`,
      "`Emmett SQLite` is `getSQLiteEventStore({ fileName })` from `@event-driven-io/emmett-sqlite@0.38.5` on node-sqlite3 5.1.7, installed in `bench/peers/emmett-sqlite`. It opens and closes a connection for every call and runs at synchronous FULL (see settings); it offers no durability setting, so `tidings (synchronous FULL)` is the like-for-like row. Its appends intermittently fail at COMMIT with SQLITE_BUSY ('cannot commit transaction - SQL statements in progress'); the append is rolled back, and the bench retries it (up to 5 attempts), as a caller would — the retries are counted in bench/results/sqlite.json.",
      `Per process: ${s.warmupMs} ms warm-up, then appends for ${s.durationMs} ms; the figure is events (or commands) per second over that window. Read-all: one timed pass per process.`,
    ];
  },
  notes: () => [
    'Store figures are wall-clock rates on a shared 2-core virtual machine, and its disk is shared too: the min/max columns show how far single runs move, the rows at synchronous FULL most of all (each commit waits for an fsync whose cost depends on what else is writing). Compare medians of the same run; differences within the min/max ranges are not conclusive.',
  ],
  async settings() {
    const lines = [
      'tidings and raw better-sqlite3: `journal_mode=WAL`, `synchronous=NORMAL` (an acknowledged append survives a process crash; an OS crash may lose the last commits). `tidings (synchronous FULL)`: WAL, `synchronous=FULL` (fsync per commit).',
    ];
    try {
      const p = await withFreshFile((file) => emmettPragmas(file));
      lines.push(
        `Emmett SQLite (as its store opens a file, read back from the connection): \`journal_mode=${p.journal_mode}\`, \`synchronous=${p.synchronous}\`.`,
      );
    } catch (error) {
      lines.push(`Emmett SQLite settings could not be read: ${error.message}`);
    }
    return lines;
  },
  async prepare({ log }) {
    mkdirSync(DATA_DIR, { recursive: true });
    const marker = `${readAllFile()}.json`;
    const ok =
      existsSync(readAllFile()) &&
      existsSync(marker) &&
      JSON.parse(readFileSync(marker, 'utf8')).count === readAllCount();
    if (ok) return {};
    log(
      `  generating ${readAllCount().toLocaleString('en-US')} events for the read-all case (once; reused by later runs)...`,
    );
    rmSync(readAllFile(), { force: true });
    const r = await runInFreshProcess('sqlite', 'generate', 'tidings', { timeoutMs: 900_000 });
    if (r.error !== undefined) {
      log(`  could not generate the read-all file: ${r.error}`);
      return {};
    }
    writeFileSync(marker, JSON.stringify({ count: readAllCount(), createdAt: new Date().toISOString() }));
    return {};
  },
  async measure(caseId, contender) {
    if (caseId === 'generate') return generateReadAllFile();
    if (caseId.startsWith('append-')) return measureAppend(contender, Number(caseId.slice('append-'.length)));
    if (caseId === 'concurrent-8') return measureConcurrent(contender, 8);
    if (caseId === 'readall') {
      if (!existsSync(readAllFile())) throw new Error('the read-all file was not generated (see the log)');
      return measureReadAll(contender);
    }
    if (caseId === 'handle-command') return measureHandleCommand(contender);
    throw new Error(`unknown sqlite case ${caseId}`);
  },
};
