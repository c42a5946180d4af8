// Store vs raw better-sqlite3 on the same machine, in one process run: not a test, a measuring aid
// for tuning the store (the official figures come from `npm run bench`). Run through run.mjs.
//
// Equal work on both sides: the same file schema (the raw side opens a file our migration created),
// WAL + synchronous NORMAL, UUIDv7 ids from the same generator, JSON.stringify of data and
// metadata, a version check, one BEGIN IMMEDIATE transaction per call. Contenders alternate in
// order run by run, each run on fresh files; the medians of >= 5 runs are compared, and so is the
// median of the per-run ratios (paired, so a burst of load from other jobs hits both sides alike).
// Besides events per wall-clock second it reports events per CPU second of this process (user +
// system, which includes the write() calls of a commit): on a machine shared with other jobs, wall
// time mostly measures the queue for a core, CPU time far less so.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { uuidv7 } from 'tidings';
import { sqliteEventStore } from '../../store.js';

interface BenchEvent {
  readonly type: string;
  readonly data: { n: number; sku: string; quantity: number; note: string };
}

interface Contender {
  append(streamId: string, events: readonly BenchEvent[], expected: bigint): Promise<unknown>;
  close(): Promise<void>;
}

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i] ?? '', process.argv[i + 1] ?? '');
const RUNS = Number(args.get('--runs') ?? 5);
const MS = Number(args.get('--ms') ?? 1500);
const WARMUP_MS = Math.min(300, MS / 3);
const READ_COUNT = Number(args.get('--read') ?? 1_000_000);
const CASES = (args.get('--cases') ?? 'append-1,append-10,append-100,concurrent-8,readall').split(',');
const CONTENDERS = (args.get('--contenders') ?? 'store,raw').split(',') as ('store' | 'raw')[];
const STREAMS = 100;
/** Which contender goes first in run 0 (alternating after): lets several short invocations alternate too. */
const OFFSET = Number(args.get('--offset') ?? 0);

const event = (n: number): BenchEvent => ({
  type: 'bench.item-added',
  data: { n, sku: `sku-${n % 1000}`, quantity: 3, note: 'a short line of payload text' },
});

const now = (): number => performance.now();

async function store(file: string): Promise<Contender> {
  const s = await sqliteEventStore(file, { synchronous: 'normal' });
  return {
    append: (streamId, events, expectedVersion) => s.append(streamId, events, { expectedVersion }),
    close: () => s.close(),
  };
}

/** The raw loop of the benchmark: what a careful hand-written append costs with the same driver. */
async function raw(file: string): Promise<Contender> {
  // Our migration creates the file, so both sides maintain exactly the same tables and indexes.
  await (await sqliteEventStore(file)).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const streamRow = db.prepare<[string], { version: number }>('SELECT version FROM streams WHERE stream_id = ?');
  const insert = db.prepare(
    'INSERT INTO events (id, stream_id, version, type, data, metadata, recorded_at, correlation_id, causation_id, schema_version, stream_hash) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1, 0)',
  );
  const upsert = db.prepare(
    'INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position',
  );
  const append = db.transaction((streamId: string, events: readonly BenchEvent[], expected: bigint) => {
    const current = BigInt(streamRow.get(streamId)?.version ?? 0);
    if (current !== expected) throw new Error(`conflict on ${streamId}: expected ${expected}, found ${current}`);
    let version = Number(current);
    let position: number | bigint = 0;
    const at = Date.now();
    for (const e of events) {
      version += 1;
      position = insert.run(
        uuidv7(),
        streamId,
        version,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify({}),
        at,
      ).lastInsertRowid;
    }
    upsert.run(streamId, version, position);
  });
  return {
    // async like the store's append, as in the benchmark: the caller awaits a promise either way.
    append: async (streamId, events, expected) => append.immediate(streamId, events, expected),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

const factories = { store, raw };

interface Rate {
  /** Events per wall-clock second. */
  readonly wall: number;
  /** Events per CPU second of this process. */
  readonly cpu: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timeBoxed(callers: number, step: (caller: number) => Promise<number>): Promise<Rate> {
  const phase = async (ms: number): Promise<{ events: number; elapsed: number; cpu: number }> => {
    const c0 = cpuMs();
    const t0 = now();
    const deadline = t0 + ms;
    const counts = await Promise.all(
      Array.from({ length: callers }, async (_, caller) => {
        let events = 0;
        while (now() < deadline) events += await step(caller);
        return events;
      }),
    );
    return { events: counts.reduce((a, b) => a + b, 0), elapsed: now() - t0, cpu: cpuMs() - c0 };
  };
  await phase(WARMUP_MS);
  const { events, elapsed, cpu } = await phase(MS);
  return { wall: (events * 1000) / elapsed, cpu: (events * 1000) / cpu };
}

async function withFile<T>(fn: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-sqlite-perf-'));
  try {
    return await fn(join(dir, 'perf.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function appendCase(size: number) {
  return (who: 'store' | 'raw'): Promise<Rate> =>
    withFile(async (file) => {
      const c = await factories[who](file);
      const versions = new Array<bigint>(STREAMS).fill(0n);
      let n = 0;
      try {
        return await timeBoxed(1, async () => {
          const k = n % STREAMS;
          const events = Array.from({ length: size }, (_, i) => event(n * size + i));
          n++;
          await c.append(`bench-${k}`, events, versions[k] ?? 0n);
          versions[k] = (versions[k] ?? 0n) + BigInt(size);
          return size;
        });
      } finally {
        await c.close();
      }
    });
}

function concurrentCase(callers: number) {
  return (who: 'store' | 'raw'): Promise<Rate> =>
    withFile(async (file) => {
      const c = await factories[who](file);
      const versions = new Array<bigint>(callers).fill(0n);
      let n = 0;
      try {
        return await timeBoxed(callers, async (caller) => {
          await c.append(`bench-${caller}`, [event(n++)], versions[caller] ?? 0n);
          versions[caller] = (versions[caller] ?? 0n) + 1n;
          return 1;
        });
      } finally {
        await c.close();
      }
    });
}

/** Fills a file with READ_COUNT events through the store: 100 streams, 100 events per append, group-committed. */
async function readFile(dir: string): Promise<string> {
  const file = join(dir, 'read.db');
  const s = await sqliteEventStore(file);
  let n = 0;
  for (let version = 0n; n < READ_COUNT; version += 100n) {
    await Promise.all(
      Array.from({ length: STREAMS }, (_, k) => {
        const events = Array.from({ length: 100 }, () => event(n++));
        return s.append(`bench-${k}`, events, { expectedVersion: version });
      }),
    );
  }
  await s.close();
  return file;
}

function readAllCase(file: string) {
  return async (who: 'store' | 'raw'): Promise<Rate> => {
    let count = 0;
    let sum = 0;
    const c0 = cpuMs();
    const t0 = now();
    if (who === 'store') {
      const s = await sqliteEventStore(file);
      for await (const e of s.readAll()) {
        const data = e.data as BenchEvent['data'];
        count++;
        sum += data.n + ((e.metadata as { schemaVersion?: number }).schemaVersion ?? 0);
      }
      await s.close();
    } else {
      const db = new Database(file, { readonly: true });
      const rows = db
        .prepare<[], { data: string; metadata: string }>(
          'SELECT position, id, stream_id, version, type, data, metadata, recorded_at FROM events ORDER BY position',
        )
        .iterate();
      for (const row of rows) {
        const data = JSON.parse(row.data) as BenchEvent['data'];
        const metadata = JSON.parse(row.metadata) as { schemaVersion?: number };
        count++;
        sum += data.n + (metadata.schemaVersion ?? 0);
      }
      db.close();
    }
    const ms = now() - t0;
    const cpu = cpuMs() - c0;
    const total = Math.ceil(READ_COUNT / 10_000) * 10_000;
    if (count !== total || sum !== (total * (total - 1)) / 2)
      throw new Error(`${who} read ${count} events, sum ${sum}`);
    return { wall: (count * 1000) / ms, cpu: (count * 1000) / cpu };
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};
const fmt = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-sqlite-perf-read-'));
  try {
    const cases: [string, (who: 'store' | 'raw') => Promise<Rate>][] = [];
    for (const name of CASES) {
      if (name.startsWith('append-')) cases.push([name, appendCase(Number(name.slice(7)))]);
      else if (name.startsWith('concurrent-')) cases.push([name, concurrentCase(Number(name.slice(11)))]);
      else if (name === 'readall') {
        const t0 = now();
        const file = await readFile(dir);
        console.log(`read file: ${READ_COUNT} events written in ${((now() - t0) / 1000).toFixed(1)} s`);
        cases.push([name, readAllCase(file)]);
      } else throw new Error(`unknown case ${name}`);
    }
    console.log(
      `runs=${RUNS} ms=${MS} warmup=${WARMUP_MS} read=${READ_COUNT}; WAL + synchronous NORMAL; events/s (wall) and events per CPU second (cpu); load ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    for (const [name, run] of cases) {
      const results: Record<string, Rate[]> = { store: [], raw: [] };
      for (let r = 0; r < RUNS; r++) {
        const order = (r + OFFSET) % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
        for (const who of order) results[who]?.push(await run(who));
      }
      for (const kind of ['wall', 'cpu'] as const) {
        const s = (results['store'] ?? []).map((x) => x[kind]);
        const w = (results['raw'] ?? []).map((x) => x[kind]);
        const paired = s.map((x, i) => x / (w[i] ?? NaN));
        console.log(
          `${name.padEnd(13)} ${kind.padEnd(4)} store ${fmt(median(s)).padStart(7)} raw ${fmt(median(w)).padStart(7)}  ratio of medians ${(median(s) / median(w)).toFixed(2)}  median paired ratio ${median(paired).toFixed(2)}  [store ${s.map(fmt).join(' ')} | raw ${w.map(fmt).join(' ')}]`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
