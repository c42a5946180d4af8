// Scenario (issue 9, item 8): append-to-handler latency of a live store subscription at 1,000 events/s,
// with the writer in the same process and in another process, on SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentiles } from '../lib/latency.mjs';
import { spawnNode } from '../lib/spawn-run.mjs';
import { PG_URL, benchSchema, dropSchema, withAdmin } from './postgres-contenders.mjs';

const RATE = 1_000;
const WORKER = fileURLToPath(new URL('../worker.mjs', import.meta.url));
const quick = () => process.env.BENCH_QUICK === '1';
const sizes = () => (quick() ? { warmup: 300, measured: 2_000 } : { warmup: 1_000, measured: 10_000 });
const CONTENDERS = ['sqlite', 'postgres'];
// The stores' defaults, reported with the figures: how often other processes' commits are looked for.
const SQLITE_POLL_MS = 100; // sqliteEventStore pollIntervalMs (PRAGMA data_version)
const PG_HEAD_POLL_MS = 500; // postgresEventStore headPollMs (only while the LISTEN connection is down)
const SUBSCRIPTION_POLL_MS = 1_000; // store.subscribe pollIntervalMs (the safety net under wake-ups)
const STREAM = 'tick-1';

async function openStore(contender, target) {
  if (contender === 'sqlite') {
    const { sqliteEventStore } = await import('../../packages/sqlite/dist/index.js');
    return sqliteEventStore(target);
  }
  if (contender === 'postgres') {
    const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
    return postgresEventStore({ connectionString: PG_URL, schema: target });
  }
  throw new Error(`unknown contender ${contender}`);
}

/** A fresh SQLite file or PostgreSQL schema, migrated; `remove()` deletes it. */
async function freshTarget(contender) {
  if (contender === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-sub-'));
    return { target: join(dir, 'store.db'), remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = benchSchema('sub');
  const { postgresEventStore } = await import('../../packages/postgres/dist/index.js');
  const store = postgresEventStore({ connectionString: PG_URL, schema });
  await store.migrate();
  await store.close();
  return { target: schema, remove: () => dropSchema(schema) };
}

/** Resolves on the first event-loop turn at or after `deadline` (a `performance.now()` time). */
function turnsUntil(deadline) {
  return new Promise((resolve) => {
    const check = () => (performance.now() >= deadline ? resolve() : setImmediate(check));
    setImmediate(check);
  });
}

/**
 * Appends `total` one-event appends at RATE, each issued when due without waiting for the previous
 * one (a server taking requests: concurrent appends share commits through group commit; awaiting
 * each would cap the rate at one commit — one WAL flush on PostgreSQL — at a time). Every event
 * carries `process.hrtime.bigint()` taken just before its append. On Linux that clock is
 * CLOCK_MONOTONIC, shared by every process of the machine, so a subscriber in another process can
 * subtract it from its own reading. Also returns how long the appends themselves took (call to
 * resolution: the commit), for context.
 */
async function paced(store, total) {
  const msPerEvent = 1000 / RATE;
  const appendLatencies = new Float64Array(total);
  const pending = new Set();
  const errors = [];
  const start = performance.now();
  let i = 0;
  let maxPerTurn = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / msPerEvent) + 1);
    const before = i;
    while (i < due) {
      const k = i++;
      const t = process.hrtime.bigint();
      const p = store.append(STREAM, [{ type: 'bench.ticked', data: { i: k, t: String(t) } }]).then(
        () => {
          appendLatencies[k] = Number(process.hrtime.bigint() - t) / 1000;
          pending.delete(p);
        },
        (error) => {
          errors.push(error);
          pending.delete(p);
        },
      );
      pending.add(p);
    }
    if (i - before > maxPerTurn) maxPerTurn = i - before;
    if (i < total) await turnsUntil(start + i * msPerEvent);
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(pending);
  if (errors.length > 0) throw new Error(`${errors.length} appends failed, first: ${String(errors[0])}`);
  const a = percentiles(appendLatencies.sort());
  return { achievedRate: Math.round(total / seconds), maxPerTurn, appendP50: a.p50, appendP99: a.p99 };
}

/** Runs the writer of the other-process case: `node worker.mjs subscriptions writer <contender>`. */
async function writer(contender) {
  const store = await openStore(contender, process.env.BENCH_SUB_TARGET);
  try {
    return { value: 0, detail: await paced(store, Number(process.env.BENCH_SUB_TOTAL)) };
  } finally {
    await store.close();
  }
}

function spawnWriter(contender, target, total) {
  return new Promise((resolve) => {
    const child = spawnNode([WORKER, 'subscriptions', 'writer', contender], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_SUB_TARGET: target, BENCH_SUB_TOTAL: String(total) },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      resolve(line ? JSON.parse(line.slice(7)) : { error: `writer exited ${code}: ${err.trim().slice(-300)}` });
    });
  });
}

async function measureLatency(caseId, contender) {
  const { warmup, measured } = sizes();
  const total = warmup + measured;
  const { target, remove } = await freshTarget(contender);
  const store = await openStore(contender, target);
  try {
    const latencies = new Float64Array(total);
    const deliveries = new Uint8Array(total);
    let count = 0;
    let outOfOrder = 0;
    let last = -1;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    // From the next position: every event the writer appends is delivered, whenever it starts.
    const from = (await store.headPosition()) + 1n;
    const sub = store.subscribe({ from }, (e) => {
      const at = process.hrtime.bigint();
      const { i, t } = e.data;
      latencies[i] = Number(at - BigInt(t)) / 1000;
      deliveries[i]++;
      if (i !== last + 1) outOfOrder++;
      last = i;
      if (++count === total) done();
    });
    const bound = (total / RATE) * 1000 + 60_000;
    // A ref'd timer: the store's own timers never keep a process alive (decision 0202), so without
    // it a subscriber waiting only for another process's events would let Node exit.
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${count} of ${total} events arrived within ${bound} ms`)), bound);
    });
    let run;
    if (caseId === 'same-process') {
      run = await paced(store, total);
      await Promise.race([finished, timeout]);
    } else {
      const [w] = await Promise.all([spawnWriter(contender, target, total), Promise.race([finished, timeout])]);
      if (w.error !== undefined) throw new Error(w.error);
      run = w.detail;
    }
    clearTimeout(timer);
    await sub.close();
    await sub.done;
    if (outOfOrder > 0) throw new Error(`${outOfOrder} events out of order`);
    for (let i = 0; i < total; i++)
      if (deliveries[i] !== 1) throw new Error(`event ${i} was delivered ${deliveries[i]} times, expected once`);
    const p = percentiles(latencies.slice(warmup).sort());
    return {
      value: p.p99,
      detail: {
        ...p,
        events: measured,
        achievedRate: run.achievedRate,
        maxPerTurn: run.maxPerTurn,
        appendP50: run.appendP50,
        appendP99: run.appendP99,
        pollIntervalMs: contender === 'sqlite' ? SQLITE_POLL_MS : PG_HEAD_POLL_MS,
      },
    };
  } finally {
    await store.close();
    await remove();
  }
}

const floor = (contender, ms, label) => ({ contender, metric: 'p99', below: ms * 1000, label });

export default {
  name: 'subscriptions',
  title: 'Store subscriptions: append-to-handler latency of a live subscriber at 1,000 events/s',
  cases: () => {
    const { measured } = sizes();
    const n = measured.toLocaleString('en-US');
    return [
      {
        id: 'same-process',
        kind: 'latency',
        title: `Writer in the subscriber's process (${n} events at ${RATE.toLocaleString('en-US')}/s)`,
        unit: 'µs p99',
        contenders: CONTENDERS,
        floors: [
          floor('sqlite', 5, 'SQLite, same process: p99 < 5 ms (issue 9)'),
          floor('postgres', 5, 'PostgreSQL, same process: p99 < 5 ms (issue 9)'),
        ],
        note: 'The subscriber is woken by the store itself (the head notifier, on a microtask after the commit); no poll is involved.',
      },
      {
        id: 'other-process',
        kind: 'latency',
        title: `Writer in another process (${n} events at ${RATE.toLocaleString('en-US')}/s)`,
        unit: 'µs p99',
        contenders: CONTENDERS,
        floors: [
          floor(
            'sqlite',
            150,
            `SQLite, another process: p99 < 150 ms at the default poll interval (${SQLITE_POLL_MS} ms)`,
          ),
          floor('postgres', 25, 'PostgreSQL, another process: p99 < 25 ms (LISTEN/NOTIFY)'),
        ],
        note: `SQLite notices another process's commits by polling \`PRAGMA data_version\` every \`pollIntervalMs\` (default ${SQLITE_POLL_MS} ms, used here), so its latency is about half the interval on average and up to the interval. PostgreSQL's writer sends one NOTIFY per committed batch after the commit; the subscriber's store LISTENs on a dedicated connection (the head poll, \`headPollMs\` ${PG_HEAD_POLL_MS} ms, runs only while that connection is down).`,
      },
    ];
  },
  describe: () => {
    const { warmup, measured } = sizes();
    return [
      `Each run uses a fresh SQLite file (WAL, \`synchronous=NORMAL\`, the defaults) or a fresh PostgreSQL schema (\`synchronous_commit=on\`), with every store option at its default. The subscriber is \`store.subscribe({ from: head + 1 }, handler)\` (subscription \`pollIntervalMs\` ${SUBSCRIPTION_POLL_MS} ms, the default safety net). The writer issues one-event \`store.append()\` calls paced at ${RATE.toLocaleString('en-US')}/s without waiting for the previous one (as a server handling concurrent requests does; group commit lets them share commits), one per event-loop turn when due, catching up after a stall; ${warmup.toLocaleString('en-US')} warm-up events (discarded), then ${measured.toLocaleString('en-US')} measured.`,
      "Latency is the time from `process.hrtime.bigint()` taken just before the append call (carried in the event) to the same clock read first thing in the handler; on Linux it is CLOCK_MONOTONIC, shared by all processes, so the other-process figures compare two processes' readings of one clock. It includes the commit (group commit, the WAL flush on PostgreSQL), the wake-up, and the subscriber's reads (head, then the page); the result files also keep the appends' own call-to-resolution p50/p99 (\`appendP50\`, \`appendP99\`, µs), the part of the latency that is the commit. Each run checks that every event was delivered once and in order. Same process: writer and subscriber share one event loop and one store object. Another process: a second Node process with its own store object on the same file or schema.",
    ];
  },
  notes: () => [
    'Wall-clock figures on a shared machine: a descheduled process shows as latency, mostly in the max column.',
  ],
  async settings() {
    try {
      const version = await withAdmin(async (c) => (await c.query('show server_version')).rows[0].server_version);
      return [
        `SQLite: poll interval for other processes' commits (\`pollIntervalMs\`) ${SQLITE_POLL_MS} ms (the default). PostgreSQL ${version}: LISTEN/NOTIFY, head poll fallback (\`headPollMs\`) ${PG_HEAD_POLL_MS} ms (the default).`,
      ];
    } catch (error) {
      return [`PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, '//…@')} could not be reached: ${error.message}`];
    }
  },
  async measure(caseId, contender) {
    if (caseId === 'writer') return writer(contender);
    if (!CONTENDERS.includes(contender)) throw new Error(`unknown subscriptions contender ${contender}`);
    if (caseId !== 'same-process' && caseId !== 'other-process')
      throw new Error(`unknown subscriptions case ${caseId}`);
    return measureLatency(caseId, contender);
  },
};
