// Scenario: the PostgreSQL event store against raw `pg` and Emmett's PostgreSQL store (issue 5, item 7).
import { fileURLToPath } from 'node:url';
import { runInFreshProcess, spawnNode } from '../lib/spawn-run.mjs';
import { keyOf, lagEvent, lagPhase, startFollower, wallNow } from '../lib/pg-follower.mjs';
import { benchEvent, storeSettings, timeBoxed } from '../lib/store-loops.mjs';
import { PG_URL, benchSchema, dropSchema, pgContenders, withAdmin } from './postgres-contenders.mjs';

const quick = () => process.env.BENCH_QUICK === '1';
const readAllCount = () => (quick() ? 100_000 : 1_000_000);
const APPEND_STREAMS = 100;
const WRITERS = 8;
const WORKER = fileURLToPath(new URL('../worker.mjs', import.meta.url));
const CONTENDERS = Object.keys(pgContenders);
/** How long the reader-lag phase that follows each write case's timed phase appends. */
const lagMs = () => (quick() ? 300 : 1000);
// Shown for every write case: the follower's lag and what it skipped (see lib/pg-follower.mjs).
const LAG_COLUMNS = [
  { key: 'lagP50Ms', label: 'Reader lag p50', format: 'ms' },
  { key: 'lagP99Ms', label: 'Reader lag p99', format: 'ms' },
  { key: 'skipped', label: 'Follower skipped', format: 'count' },
];

/** Runs `fn(subject, schema)` against a fresh schema of the contender, dropped afterwards. */
async function withSchema(contender, connections, fn) {
  const c = pgContenders[contender];
  const schema = benchSchema(contender === 'tidings' ? 't' : contender === 'raw pg' ? 'r' : 'e');
  try {
    await c.setup(schema);
    const subject = await c.open(schema, { connections });
    try {
      return await fn(subject, schema);
    } finally {
      await subject.close();
    }
  } finally {
    await dropSchema(schema);
  }
}

async function measureAppend(contender, size) {
  return withSchema(contender, 1, async (subject, schema) => {
    const versions = new Array(APPEND_STREAMS).fill(0n);
    let n = 0;
    const r = await timeBoxed(1, async () => {
      const k = n % APPEND_STREAMS;
      const events = Array.from({ length: size }, (_, i) => benchEvent(n * size + i));
      n++;
      await subject.append(`bench-${k}`, events, versions[k]);
      versions[k] += BigInt(size);
      return size;
    });
    const lag = await lagPhase(contender, schema, PG_URL, 1, lagMs(), async (caller, ack) => {
      const k = n % APPEND_STREAMS;
      const events = Array.from({ length: size }, (_, i) => lagEvent(benchEvent(n * size + i), caller, n * size + i));
      n++;
      await subject.append(`bench-${k}`, events, versions[k]);
      ack(events);
      versions[k] += BigInt(size);
    });
    return { value: r.rate, detail: { events: r.events, ms: r.ms, ...lag } };
  });
}

async function measureConcurrent(contender) {
  return withSchema(contender, WRITERS, async (subject, schema) => {
    const versions = new Array(WRITERS).fill(0n);
    let n = 0;
    const r = await timeBoxed(WRITERS, async (caller) => {
      await subject.append(`bench-${caller}`, [benchEvent(n++)], versions[caller]);
      versions[caller] += 1n;
      return 1;
    });
    const lag = await lagPhase(contender, schema, PG_URL, WRITERS, lagMs(), async (caller, ack) => {
      const i = n++;
      const events = [lagEvent(benchEvent(i), caller, i)];
      await subject.append(`bench-${caller}`, events, versions[caller]);
      ack(events);
      versions[caller] += 1n;
    });
    return { value: r.rate, detail: { events: r.events, ms: r.ms, ...lag } };
  });
}

/** One of the 8 writer processes: waits for the common start, then appends like one in-process caller. */
async function processWriter(contender) {
  const schema = process.env.BENCH_PG_SCHEMA;
  const caller = Number(process.env.BENCH_PG_CALLER);
  const subject = await pgContenders[contender].open(schema, { connections: 1 });
  try {
    const wait = Number(process.env.BENCH_START_AT) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    let version = 0n;
    let n = 0;
    const r = await timeBoxed(1, async () => {
      await subject.append(`bench-p${caller}`, [benchEvent(n++)], version);
      version += 1n;
      return 1;
    });
    // The lag phase starts at a common time, after every writer's timed phase, once the
    // coordinator's follower is reading (see measureProcesses).
    const lagWait = Number(process.env.BENCH_LAG_AT) - Date.now();
    if (lagWait > 0) await new Promise((resolve) => setTimeout(resolve, lagWait));
    const acks = [];
    const lagEnd = wallNow() + lagMs();
    while (wallNow() < lagEnd) {
      const i = n++;
      const events = [lagEvent(benchEvent(i), caller, i)];
      await subject.append(`bench-p${caller}`, events, version);
      acks.push([keyOf(events[0].data), wallNow()]);
      version += 1n;
    }
    return { value: r.rate, detail: { events: r.events, ms: r.ms, acks } };
  } finally {
    await subject.close();
  }
}

function spawnWriter(contender, env) {
  return new Promise((resolve) => {
    const child = spawnNode([WORKER, 'postgres', 'process-writer', contender], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      resolve(
        line
          ? JSON.parse(line.slice(7))
          : { error: `writer exited ${code}: ${err.trim().split('\n').slice(-2).join(' | ')}` },
      );
    });
  });
}

async function measureProcesses(contender) {
  const c = pgContenders[contender];
  const schema = benchSchema(`p${contender === 'tidings' ? 't' : contender === 'raw pg' ? 'r' : 'e'}`);
  try {
    await c.setup(schema);
    const startAt = Date.now() + 2000; // time for 8 processes to start and connect
    const s = storeSettings();
    // Every writer's timed phase is over well before this; the follower starts just before it.
    const lagAt = startAt + s.warmupMs + s.durationMs + 600;
    const running = Array.from({ length: WRITERS }, (_, i) =>
      spawnWriter(contender, {
        BENCH_PG_SCHEMA: schema,
        BENCH_PG_CALLER: String(i),
        BENCH_START_AT: String(startAt),
        BENCH_LAG_AT: String(lagAt),
      }),
    );
    const followerWait = lagAt - 200 - Date.now();
    if (followerWait > 0) await new Promise((resolve) => setTimeout(resolve, followerWait));
    const follower = await startFollower(contender, schema, PG_URL);
    const results = await Promise.all(running);
    const failed = results.find((r) => r.error !== undefined);
    if (failed) {
      await follower?.stop(new Map());
      throw new Error(failed.error);
    }
    const lag = await follower?.stop(new Map(results.flatMap((r) => r.detail.acks)));
    return {
      value: results.reduce((sum, r) => sum + r.value, 0),
      detail: { perProcess: results.map((r) => Math.round(r.value)), ...lag },
    };
  } finally {
    await dropSchema(schema);
  }
}

/** Fills the shared read-all schema with our store: 8 concurrent callers, 100-event appends. */
async function generateReadAll() {
  const schema = process.env.BENCH_PG_READALL_SCHEMA;
  await pgContenders.tidings.setup(schema);
  const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
  const store = postgresEventStore({ connectionString: PG_URL, schema });
  const count = readAllCount();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (;;) {
        const n = next++;
        if (n >= count / 100) return;
        const events = Array.from({ length: 100 }, (_, i) => benchEvent(n * 100 + i));
        await store.append(`bench-${n % APPEND_STREAMS}`, events, { expectedVersion: 'any' });
      }
    }),
  );
  await store.close();
  await withAdmin((c) => c.query(`vacuum analyze ${schema}.events`));
  return { value: count };
}

async function measureReadAll(contender) {
  const schema = process.env.BENCH_PG_READALL_SCHEMA;
  const expected = readAllCount();
  let count = 0;
  let sum = 0;
  const t0 = performance.now();
  if (contender === 'tidings') {
    const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
    const store = postgresEventStore({ connectionString: PG_URL, schema });
    for await (const event of store.readAll()) {
      count++;
      sum += event.data.n + (event.metadata.schemaVersion ?? 0);
    }
    await store.close();
  } else {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const page = {
      name: 'raw-keyset',
      text: `select position, event_id, stream_id, version, type, data, metadata, recorded_at from ${schema}.events where position > $1 order by position limit 1000`,
    };
    let after = '0';
    for (;;) {
      const { rows } = await client.query({ ...page, values: [after] });
      for (const row of rows) {
        const data = JSON.parse(row.data);
        const metadata = JSON.parse(row.metadata);
        count++;
        sum += data.n + (metadata.schemaVersion ?? 0);
      }
      if (rows.length < 1000) break;
      after = rows[rows.length - 1].position;
    }
    await client.end();
  }
  const ms = performance.now() - t0;
  if (count !== expected) throw new Error(`${contender} read ${count} events, expected ${expected}`);
  if (sum !== (expected * (expected - 1)) / 2)
    throw new Error(`${contender}: checksum ${sum} does not match the data written`);
  return { value: (count * 1000) / ms, detail: { ms: Math.round(ms) } };
}

async function serverSettings() {
  return withAdmin(async (c) => {
    const show = async (name) => (await c.query(`show ${name}`)).rows[0][name];
    return {
      version: await show('server_version'),
      synchronous_commit: await show('synchronous_commit'),
      fsync: await show('fsync'),
      wal_sync_method: await show('wal_sync_method'),
      commit_delay: await show('commit_delay'),
    };
  });
}

export default {
  name: 'postgres',
  title: 'PostgreSQL event store',
  peerFolders: ['emmett-postgresql'],
  cases: () => [
    {
      id: 'append-1',
      title: '1 writer, 1 event per append',
      unit: 'events/s',
      contenders: CONTENDERS,
      reference: 'raw pg',
      compareTo: ['Emmett PostgreSQL'],
      targets: [{ contender: 'tidings', versus: 'raw pg', atLeast: 0.9 }],
      detailColumns: LAG_COLUMNS,
    },
    {
      id: 'concurrent-8',
      title: '8 concurrent writers in one process, 1 event per append, each to its own stream',
      unit: 'events/s',
      contenders: CONTENDERS,
      reference: 'raw pg',
      compareTo: ['Emmett PostgreSQL'],
      targets: [
        { contender: 'tidings', versus: 'Emmett PostgreSQL', atLeast: 4.0 },
        { contender: 'tidings', versus: 'raw pg', atLeast: 1.8 },
      ],
      note: 'Raw pg uses a pool of 8 connections, one statement (one commit) per append. Ours coalesces concurrent appends into one transaction and one commit (group commit). Emmett gets one store object shared by the 8 writers.',
      detailColumns: LAG_COLUMNS,
    },
    {
      id: 'processes-8',
      title: '8 writer processes, one writer each, 1 event per append',
      unit: 'events/s',
      contenders: CONTENDERS,
      reference: 'raw pg',
      compareTo: ['Emmett PostgreSQL'],
      targets: [{ contender: 'tidings', versus: 'raw pg', atLeast: 0.9 }],
      note: 'Group commit coalesces within a process, so across processes each of ours commits on its own, and every append also updates the one-row `head` (the position counter that keeps the global order gap-free), so appends from different processes serialise on that row lock for the length of their commit (WAL flush included). Raw pg takes positions from a sequence (no serialisation, but a reader following positions can miss a transaction that commits late); Emmett serialises per stream only. The 8 processes start together and each runs the same time box; the figure is the sum of their rates. Reader lag: the follower runs in the coordinating process and the 8 writers’ lag phases start together after their timed phases; this is where the raw pg row (a plain sequence followed by position) skips events: the negative control.',
      detailColumns: LAG_COLUMNS,
    },
    {
      id: 'append-100',
      title: '1 writer, 100 events per append',
      unit: 'events/s',
      contenders: CONTENDERS,
      reference: 'raw pg',
      compareTo: ['Emmett PostgreSQL'],
      targets: [{ contender: 'tidings', versus: 'raw pg', atLeast: 0.9 }],
      note: 'Raw pg: the same one-statement version check followed by `insert … select … from unnest($ids, $types, $data, $metadata) with ordinality`.',
      detailColumns: LAG_COLUMNS,
    },
    {
      id: 'readall',
      title: `Read all ${readAllCount().toLocaleString('en-US')} events`,
      unit: 'events/s',
      contenders: ['tidings', 'raw keyset pages'],
      reference: 'raw keyset pages',
      targets: [{ contender: 'tidings', versus: 'raw keyset pages', atLeast: 0.8 }],
      note: 'One schema filled once per bench run by our store (8 concurrent callers, 100-event appends to 100 streams) and dropped at the end. `tidings` is `for await (const e of store.readAll())` (full `RecordedEvent`s); the raw contender reads `where position > $last order by position limit 1000` pages with a prepared statement on one connection and parses `data` and `metadata`. Both check the count and a checksum.',
    },
  ],
  describe: () => {
    const s = storeSettings();
    return [
      'Each run creates its own schema (dropped at the end of the run). Every contender appends the same events (`{ type, data: { n, sku, quantity, note } }`) with the exact expected version, so each performs the version check.',
      '`raw pg` (`pg` 8.23.1, the driver ours uses) has the same columns, generated columns and indexes as our schema, with positions from a sequence; one append is one statement in its own implicit transaction: a CTE bumps the stream row only at the expected version (or creates it when 0 is expected) and inserts the events after it; zero rows back means a conflict. UUIDv7 ids from the same generator as ours.',
      "`Emmett PostgreSQL` is `getPostgreSQLEventStore(url)` from `@event-driven-io/emmett-postgresql@0.42.0` (with `@event-driven-io/pongo@0.16.11`, `@event-driven-io/dumbo@0.12.7`), installed in `bench/peers/emmett-postgresql`; its unqualified tables are kept in the run's schema with `search_path` set in the connection string; the schema is migrated before timing.",
      `Per process: ${s.warmupMs} ms warm-up, then appends for ${s.durationMs} ms; the figure is events per second over that window. Read-all: one timed pass per process.`,
      `Reader lag (every write case): after the timed phase, the same writers append for another ${lagMs()} ms while a follower reads the global order the way a subscriber does — the next page after the last position it saw (ours: \`store.readAll({ from })\` on its own store instance; raw pg: \`where position > $last order by position limit 1000\`), polling every millisecond when it is at the end. Lag is the time from an append being acknowledged (committed) to the follower first seeing its event (0 when it saw it first); p50/p99 over the events of the lag phase, median over runs. "Follower skipped" counts acknowledged events the follower never saw although it caught up with the table: the raw pg rows are the negative control — a plain sequence hands out positions at insert, so a follower that has passed position p never returns for a transaction holding p - 1 that commits later (visible in the multi-writer cases). Emmett is not followed (its own consumer resumes by global position filtered by \`pg_snapshot_xmin\`; not measured here). The lag phase does not count toward the throughput figures.`,
    ];
  },
  notes: () => [
    'Store figures are wall-clock rates on a shared 2-core virtual machine whose disk is shared too; at `synchronous_commit = on` every commit waits for a WAL flush (fdatasync), so the flush latency of this disk bounds every 1-event case, and the min/max columns show how far single runs move. Compare the medians of one run; differences within the min/max ranges are not conclusive.',
    'PostgreSQL itself shares one WAL flush among backends that commit at the same moment, so the raw loop with 8 connections also gets a form of group commit (compare its 8-writer and 1-writer rows): coalescing in the client saves round trips and transactions, but not flushes, against that baseline.',
    'Wall-clock ratios on this shared machine move with its load (see the min/max columns and the load averages above). The load-robust figures are CPU time per append of the client and of its PostgreSQL backends, store against raw pg, with parts of the store switched off one at a time: `node packages/postgres/src/test-support/perf/attribution.mjs`, results and the attribution of each gap in docs/decisions/0312-postgres-write-path-gap.md.',
  ],
  async settings() {
    try {
      const s = await serverSettings();
      return [
        `PostgreSQL ${s.version} on 127.0.0.1 (the same server for every contender): \`synchronous_commit = ${s.synchronous_commit}\` (server default, also what our store sets per session), \`fsync = ${s.fsync}\`, \`wal_sync_method = ${s.wal_sync_method}\`, \`commit_delay = ${s.commit_delay}\`. Every acknowledged append of every contender has been flushed to the WAL.`,
      ];
    } catch (error) {
      return [`PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, '//…@')} could not be reached: ${error.message}`];
    }
  },
  async prepare({ log }) {
    const schema = benchSchema('readall');
    process.env.BENCH_PG_READALL_SCHEMA = schema;
    log(`  generating ${readAllCount().toLocaleString('en-US')} events in schema ${schema} for the read-all case...`);
    const r = await runInFreshProcess('postgres', 'generate', 'tidings', { timeoutMs: 900_000 });
    if (r.error !== undefined) log(`  could not generate the read-all schema: ${r.error}`);
    return { schema };
  },
  async cleanup({ schema }) {
    if (schema !== undefined) await dropSchema(schema).catch(() => {});
  },
  async measure(caseId, contender) {
    if (caseId === 'generate') return generateReadAll();
    if (caseId === 'process-writer') return processWriter(contender);
    if (!(contender in pgContenders) && caseId !== 'readall') throw new Error(`unknown contender ${contender}`);
    if (caseId === 'append-1') return measureAppend(contender, 1);
    if (caseId === 'append-100') return measureAppend(contender, 100);
    if (caseId === 'concurrent-8') return measureConcurrent(contender);
    if (caseId === 'processes-8') return measureProcesses(contender);
    if (caseId === 'readall') return measureReadAll(contender);
    throw new Error(`unknown postgres case ${caseId}`);
  },
};
