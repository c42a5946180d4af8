// A child process for the crash and multi-process tests, bundled by `build-child.ts` from these
// TypeScript sources (never from a possibly stale dist). Every line it prints is one fact:
//   ack <batch> <size> <position>   an append that was acknowledged (its promise resolved)
//   ready | locked | migrating <v> | committed | saw <n> <other> | error <message>
import Database from 'better-sqlite3';
import { createInterface } from 'node:readline';
import { openSqliteEventStore } from '../store.js';
import { rng } from './rng.js';

type Mode = 'atomic' | 'torn' | 'concurrent' | 'hold-lock' | 'migrate-hang';

const [mode, path, seedArg, name = 'w', countArg = '0', totalArg = '0'] = process.argv.slice(2) as [
  Mode,
  string,
  string,
  string?,
  string?,
  string?,
];
const random = rng(Number(seedArg));
const say = (line: string): void => {
  // Synchronous on pipes on Linux: once written, the parent has it even if we are killed next.
  process.stdout.write(`${line}\n`);
};

function batchOf(batch: string, size: number): { type: string; data: { b: string; i: number; k: number } }[] {
  return Array.from({ length: size }, (_, i) => ({ type: 'crash.appended', data: { b: batch, i, k: size } }));
}

/** Appends batches forever, a few in flight at a time so group commit coalesces them. */
async function atomicLoop(): Promise<void> {
  const store = await openSqliteEventStore(path, {}, {});
  say('ready');
  for (let n = 0; ; n += 4) {
    await Promise.all(
      [0, 1, 2, 3].map(async (j) => {
        const batch = `${name}.${n + j}`;
        const size = 1 + Math.floor(random() * 8);
        const r = await store.append(`crash-${(n + j) % 5}`, batchOf(batch, size));
        say(`ack ${batch} ${size} ${r.position}`);
      }),
    );
  }
}

/** The negative control: the same batches, but every event in its own autocommit statement. */
async function tornLoop(): Promise<void> {
  await (await openSqliteEventStore(path, {}, {})).close(); // create the schema the checker reads
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const version = db.prepare('SELECT coalesce(max(version), 0) AS v FROM events WHERE stream_id = ?').pluck();
  const insert = db.prepare(
    `INSERT INTO events (id, stream_id, version, type, data, metadata, recorded_at, schema_version, stream_hash)
     VALUES (lower(hex(randomblob(16))), ?, ?, 'crash.appended', ?, '{}', ?, 1, 0)`,
  );
  const pause = new Int32Array(new SharedArrayBuffer(4));
  say('ready');
  for (let n = 0; ; n++) {
    const batch = `${name}.${n}`;
    const size = 1 + Math.floor(random() * 8);
    const streamId = `crash-${n % 5}`;
    let position = 0n;
    for (const e of batchOf(batch, size)) {
      // A slow writer (1 ms between statements) widens the window a kill must hit to tear an append.
      if (position !== 0n) Atomics.wait(pause, 0, 0, 1);
      position = BigInt(
        insert.run(streamId, (version.get(streamId) as number) + 1, JSON.stringify(e.data), Date.now()).lastInsertRowid,
      );
    }
    say(`ack ${batch} ${size} ${position}`);
  }
}

/** Appends `count` batches of 2 events, then waits until it has seen `total` events in the store. */
async function concurrent(): Promise<void> {
  const store = await openSqliteEventStore(path, { pollIntervalMs: 10, lockTimeoutMs: 30_000 }, {});
  say('ready');
  const count = Number(countArg);
  for (let n = 0; n < count; n++) {
    const batch = `${name}.${n}`;
    const shared = n % 3 === 0;
    const r = await store.append(shared ? 'shared-1' : `own-${name}`, batchOf(batch, 2));
    say(`ack ${batch} 2 ${r.position}`);
  }
  const total = Number(totalArg);
  const seen = async (): Promise<[number, number]> => {
    let all = 0;
    let other = 0;
    for await (const e of store.readAll()) {
      all++;
      if (!(e.data as { b: string }).b.startsWith(`${name}.`)) other++;
    }
    return [all, other];
  };
  // The store's poll timer is unref'd (it never keeps a process alive by itself); this one does,
  // and bounds the wait.
  const keepAlive = setTimeout(() => say('error timed out waiting for the other process'), 30_000);
  let moved = 0;
  let wake: () => void = () => undefined;
  const sub = store.onHeadMoved(() => {
    moved++;
    wake();
  });
  let all = 0;
  let other = 0;
  for (;;) {
    const before = moved;
    [all, other] = await seen();
    if (all >= total) break;
    // Woken by data_version polling when the other process commits (unless it already moved meanwhile).
    if (moved === before) await new Promise<void>((resolve) => (wake = resolve));
  }
  sub[Symbol.dispose]();
  clearTimeout(keepAlive);
  say(`saw ${all} ${other}`);
  await store.close();
}

/** Opens a transaction, appends, reports `locked`, and commits only when told on stdin. */
async function holdLock(): Promise<void> {
  const store = await openSqliteEventStore(path, {}, {});
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  await store.transaction(async (tx) => {
    await tx.append('held-1', batchOf(`${name}.0`, 1));
    say('locked');
    await lines.next();
  });
  say('committed');
  await store.close();
  process.exit(0);
}

/** Starts migrating and blocks inside the migration's transaction, waiting to be killed. */
async function migrateHang(): Promise<void> {
  await openSqliteEventStore(
    path,
    {},
    {
      migrationHook: (version) => {
        say(`migrating ${version}`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      },
    },
  );
}

const modes: Record<Mode, () => Promise<void>> = {
  atomic: atomicLoop,
  torn: tornLoop,
  concurrent,
  'hold-lock': holdLock,
  'migrate-hang': migrateHang,
};
modes[mode]().catch((error: unknown) => {
  say(`error ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
