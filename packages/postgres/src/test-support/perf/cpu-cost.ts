// CPU cost per append, store vs raw `pg`: the client's CPU time (process.cpuUsage) and the CPU
// time of the PostgreSQL backends serving it (utime + stime from /proc/<pid>/stat; the server must
// run on this host). Unlike appends per wall-clock second, CPU per append hardly moves when other
// jobs load the machine, so it is the figure to compare versions of the write path with on a
// shared box. Run it with `node packages/postgres/src/test-support/perf/run.mjs --script cpu-cost
// [--appends 3000] [--rounds 5] [--cases append-1,append-100,concurrent-8] [--sync off]`.
// Contenders alternate round by round; the medians over rounds are reported.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import type { EventToAppend } from 'tidings';
import { postgresEventStore } from '../../index.js';
import type { SynchronousCommit } from '../../connection.js';
import { rawSchemaSql, rawWriter } from './raw-contender.js';

const URL = process.env['TIDINGS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const appendsPerRound = Number(arg('appends', '3000'));
const rounds = Number(arg('rounds', '5'));
const cases = arg('cases', 'append-1,append-100,concurrent-8').split(',');
const sync = arg('sync', 'off') as SynchronousCommit;
const tag = Math.random().toString(36).slice(2, 8);
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

async function admin<R>(fn: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** CPU microseconds used so far by the backends whose application_name is `app`. */
async function backendCpu(app: string): Promise<number> {
  const pids = await admin(
    async (c) =>
      (await c.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [app])).rows,
  );
  let ticks = 0;
  for (const { pid } of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks * TICK_US;
}

const event = (n: number): EventToAppend => ({
  type: 'perf.item-added',
  data: { n, sku: `sku-${n % 97}`, quantity: 1 + (n % 5), note: 'an ordinary short note' },
});

type Append = (streamId: string, events: readonly EventToAppend[], expected: bigint) => Promise<unknown>;

interface Sample {
  clientUs: number;
  serverUs: number;
  wallUs: number;
}

async function measure(append: Append, app: string, id: string, writers: number, size: number): Promise<Sample> {
  const per = Math.ceil(appendsPerRound / writers);
  const loop = async (w: number, from: number, count: number): Promise<void> => {
    for (let i = from; i < from + count; i++) {
      await append(
        `perf-${id}-${w}`,
        Array.from({ length: size }, (_, k) => event(i * size + k)),
        BigInt(i * size),
      );
    }
  };
  // Warm up (connections opened, statements prepared), then measure.
  const warm = Math.max(2, Math.round(per / 10));
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w, 0, warm)));
  const server0 = await backendCpu(app);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w, warm, per)));
  const wallUs = (performance.now() - t0) * 1000;
  const client = process.cpuUsage(client0);
  const server1 = await backendCpu(app);
  const n = per * writers;
  return { clientUs: (client.user + client.system) / n, serverUs: (server1 - server0) / n, wallUs: wallUs / n };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const storeSchema = `perf_cpu_store_${tag}`;
const rawSchema = `perf_cpu_raw_${tag}`;
const storeApp = `tidings_perf_store_${tag}`;
const rawApp = `tidings_perf_raw_${tag}`;
const withApp = (app: string): string => `${URL}${URL.includes('?') ? '&' : '?'}application_name=${app}`;
const store = postgresEventStore({ connectionString: withApp(storeApp), schema: storeSchema, synchronousCommit: sync });
await store.migrate();
await admin((c) => c.query(rawSchemaSql(rawSchema)));
const raw1 = rawWriter(withApp(rawApp), rawSchema, 1, sync);
const raw8 = rawWriter(withApp(rawApp), rawSchema, 8, sync);
const shapes = [
  { name: 'append-1', writers: 1, size: 1, raw: raw1 },
  { name: 'append-100', writers: 1, size: 100, raw: raw1 },
  { name: 'concurrent-8', writers: 8, size: 1, raw: raw8 },
].filter((c) => cases.includes(c.name));
console.log(
  `CPU per append (µs), synchronous_commit=${sync}, ${appendsPerRound} appends per round, ${rounds} rounds, medians; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  'case          | store client | store server | store total | raw client | raw server | raw total | total ratio raw/store',
);
try {
  for (const shape of shapes) {
    const s: Sample[] = [];
    const r: Sample[] = [];
    for (let round = 0; round < rounds; round++) {
      const sides = [
        async () =>
          s.push(
            await measure(
              (id, ev, v) => store.append(id, ev, { expectedVersion: v }),
              storeApp,
              `${shape.name}-s${round}`,
              shape.writers,
              shape.size,
            ),
          ),
        async () =>
          r.push(
            await measure(
              (id, ev, v) => shape.raw.append(id, ev, v),
              rawApp,
              `${shape.name}-r${round}`,
              shape.writers,
              shape.size,
            ),
          ),
      ];
      if (round % 2 === 1) sides.reverse();
      for (const side of sides) await side();
    }
    const f = (xs: Sample[], k: keyof Sample): number => median(xs.map((x) => x[k]));
    const st = median(s.map((x) => x.clientUs + x.serverUs));
    const rt = median(r.map((x) => x.clientUs + x.serverUs));
    console.log(
      `${shape.name.padEnd(13)} | ${f(s, 'clientUs').toFixed(0).padStart(12)} | ${f(s, 'serverUs').toFixed(0).padStart(12)} | ${st.toFixed(0).padStart(11)} | ` +
        `${f(r, 'clientUs').toFixed(0).padStart(10)} | ${f(r, 'serverUs').toFixed(0).padStart(10)} | ${rt.toFixed(0).padStart(9)} | ${(rt / st).toFixed(2)}`,
    );
  }
} finally {
  await store.close();
  await raw1.close();
  await raw8.close();
  await admin((c) =>
    c.query(`drop schema if exists ${storeSchema} cascade; drop schema if exists ${rawSchema} cascade`),
  );
}
