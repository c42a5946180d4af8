// One measurement of attribution.mjs in a fresh process: one contender (the store, as bundled
// with the variant's module swaps, or raw pg), one case. Prints one JSON line: client CPU, server
// CPU (the contender's backends, from /proc), wall time, and round trips per append by kind.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import type { EventToAppend } from 'tidings';
import { postgresEventStore } from '../../index.js';
import { rawSchemaSql, rawWriter } from './raw-contender.js';

const URL = process.env['TIDINGS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const side = arg('side', 'store');
const kase = arg('case', 'append-1');
const appends = Number(arg('appends', '0'));
const tag = `${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
const app = `tidings_attr_${tag}`;
const schema = `perf_attr_${side}_${tag}`;
const { writers, size } = {
  'append-1': { writers: 1, size: 1 },
  'append-100': { writers: 1, size: 100 },
  'concurrent-8': { writers: 8, size: 1 },
}[kase]!;

// Round trips by kind, counted on every pg client of this process.
const counts: Record<string, number> = {};
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const q = args[0] as { name?: string; text?: string } | string;
  const text = typeof q === 'string' ? q : (q?.name ?? q?.text ?? '?');
  const kind = /pg_notify/.test(text)
    ? 'notify'
    : /batch_lean|batch_full/.test(text)
      ? 'batch'
      : /lone_/.test(text)
        ? 'lone'
        : /raw-/.test(text)
          ? 'raw'
          : 'other';
  counts[kind] = (counts[kind] ?? 0) + 1;
  return Reflect.apply(original, this, args) as unknown;
} as typeof original;

async function admin<R>(fn: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function backendCpu(): Promise<number> {
  const pids = await admin(
    async (c) =>
      (await c.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [app])).rows,
  );
  let ns = 0;
  for (const { pid } of pids) {
    // Nanoseconds on a CPU (schedstat), not 10 ms ticks: precise enough for a few hundred appends.
    ns += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return ns / 1000;
}

const event = (n: number): EventToAppend => ({
  type: 'perf.item-added',
  data: { n, sku: `sku-${n % 97}`, quantity: 1 + (n % 5), note: 'an ordinary short note' },
});
const withApp = `${URL}${URL.includes('?') ? '&' : '?'}application_name=${app}`;

let append: (streamId: string, events: readonly EventToAppend[], expected: bigint) => Promise<unknown>;
let close: () => Promise<void>;
if (side === 'raw') {
  await admin((c) => c.query(rawSchemaSql(schema)));
  const raw = rawWriter(withApp, schema, writers, 'on');
  append = (id, ev, v) => raw.append(id, ev, v);
  close = () => raw.close();
} else {
  const store = postgresEventStore({ connectionString: withApp, schema });
  await store.migrate();
  append = (id, ev, v) => store.append(id, ev, { expectedVersion: v });
  close = () => store.close();
}

const per = Math.ceil((appends || { 'append-1': 2000, 'append-100': 300, 'concurrent-8': 6000 }[kase]!) / writers);
const loop = async (w: number, from: number, count: number): Promise<void> => {
  for (let i = from; i < from + count; i++) {
    await append(
      `perf-${w}`,
      Array.from({ length: size }, (_, k) => event(i * size + k)),
      BigInt(i * size),
    );
  }
};
const warm = Math.max(20, Math.round(per / 5));
try {
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w, 0, warm)));
  await new Promise((r) => setTimeout(r, 20));
  for (const k of Object.keys(counts)) counts[k] = 0;
  const load0 = loadavg()[0]!;
  const server0 = await backendCpu();
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w, warm, per)));
  const wallUs = (performance.now() - t0) * 1000;
  const client = process.cpuUsage(client0);
  const server1 = await backendCpu();
  const n = per * writers;
  const perAppend: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) perAppend[k] = v / n;
  console.log(
    JSON.stringify({
      side,
      kase,
      clientUs: (client.user + client.system) / n,
      serverUs: (server1 - server0) / n,
      wallUs: wallUs / n,
      trips: perAppend,
      load: load0,
    }),
  );
} finally {
  await close();
  await admin((c) => c.query(`drop schema if exists ${schema} cascade`));
}
