// Store vs raw `pg`, in one run, on dedicated schemas (dropped at the end). Not a test and not
// the official benchmark (bench/): a quick, honest A/B for work on the store's write and read
// paths. Run it with `node packages/postgres/src/test-support/perf/run.mjs --help`.
//
// Fairness: both sides generate UUIDv7 ids and JSON-encode the same events, append with the
// exact expected version, and write the same columns under the indexes the read paths need
// (raw-contender.ts). Contenders alternate within each run (store first in even runs, raw first
// in odd ones) so a load spike on this shared machine hits both; figures are medians over runs
// plus the median of the per-run ratios (paired, so slow drifts in load cancel out).
import { loadavg } from 'node:os';
import pg from 'pg';
import type { EventToAppend } from 'tidings';
import { postgresEventStore } from '../../index.js';
import type { PostgresEventStore } from '../../index.js';
import type { SynchronousCommit } from '../../connection.js';
import { rawReadAll, rawSchemaSql, rawWriter } from './raw-contender.js';
import type { RawWriter } from './raw-contender.js';

const URL = process.env['TIDINGS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
if (process.argv.includes('--help')) {
  console.log(
    'options: --sync on,off  --runs 5  --ms 2000 (per contender per run)  --read 200000 (events)  --cases append-1,append-100,concurrent-8,readall',
  );
  process.exit(0);
}
const syncs = arg('sync', 'on,off').split(',') as SynchronousCommit[];
const runs = Number(arg('runs', '5'));
const ms = Number(arg('ms', '2000'));
const readCount = Number(arg('read', '200000'));
const cases = arg('cases', 'append-1,append-100,concurrent-8,readall').split(',');
const tag = Math.random().toString(36).slice(2, 8);

async function admin<R>(fn: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const event = (n: number): EventToAppend => ({
  type: 'perf.item-added',
  data: { n, sku: `sku-${n % 97}`, quantity: 1 + (n % 5), note: 'an ordinary short note' },
});
const eventsOf = (count: number, from: number): EventToAppend[] =>
  Array.from({ length: count }, (_, i) => event(from + i));

type Append = (streamId: string, events: readonly EventToAppend[], expected: bigint) => Promise<unknown>;

/** `writers` loops append `size`-event batches to their own streams for `ms`; returns appends/s. */
async function timeAppends(append: Append, id: string, writers: number, size: number): Promise<number> {
  const warmUntil = Date.now() + Math.min(300, ms / 4);
  let counting = false;
  let end = 0;
  let appends = 0;
  const loop = async (w: number): Promise<void> => {
    let version = 0n;
    for (let i = 0; ; i++) {
      const now = Date.now();
      if (!counting && now >= warmUntil) {
        counting = true;
        appends = 0;
        end = now + ms;
      }
      if (counting && now >= end) return;
      await append(`perf-${id}-${w}`, eventsOf(size, i * size), version);
      version += BigInt(size);
      appends++;
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w)));
  return (appends * 1000) / ms;
}

interface Row {
  store: number[];
  raw: number[];
  unit: string;
}
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function report(title: string, rows: Map<string, Row>): void {
  console.log(`\n${title}`);
  console.log(
    'case            | store median | raw median | ratio of medians | median paired ratio | store runs / raw runs',
  );
  for (const [name, r] of rows) {
    const paired = r.store.map((v, i) => v / r.raw[i]!);
    console.log(
      `${name.padEnd(15)} | ${median(r.store).toFixed(0).padStart(8)} ${r.unit} | ${median(r.raw).toFixed(0).padStart(6)} ${r.unit} | ` +
        `${(median(r.store) / median(r.raw)).toFixed(2).padStart(16)} | ${median(paired).toFixed(2).padStart(19)} | ` +
        `${r.store.map((v) => v.toFixed(0)).join(' ')} / ${r.raw.map((v) => v.toFixed(0)).join(' ')}`,
    );
  }
}

async function appendCases(sync: SynchronousCommit): Promise<Map<string, Row>> {
  const storeSchema = `perf_store_${tag}_${sync}`;
  const rawSchema = `perf_raw_${tag}_${sync}`;
  const store = postgresEventStore({ connectionString: URL, schema: storeSchema, synchronousCommit: sync });
  let raw1: RawWriter | undefined;
  let raw8: RawWriter | undefined;
  try {
    await store.migrate();
    await admin((c) => c.query(rawSchemaSql(rawSchema)));
    raw1 = rawWriter(URL, rawSchema, 1, sync);
    raw8 = rawWriter(URL, rawSchema, 8, sync);
    const storeAppend: Append = (s, e, v) => store.append(s, e, { expectedVersion: v });
    const shapes = [
      { name: 'append-1', writers: 1, size: 1, raw: raw1 },
      { name: 'append-100', writers: 1, size: 100, raw: raw1 },
      { name: 'concurrent-8', writers: 8, size: 1, raw: raw8 },
    ].filter((c) => cases.includes(c.name));
    const rows = new Map<string, Row>(shapes.map((c) => [c.name, { store: [], raw: [], unit: 'appends/s' }]));
    for (let run = 0; run < runs; run++) {
      for (const shape of shapes) {
        const row = rows.get(shape.name)!;
        const sides = [
          async () =>
            row.store.push(await timeAppends(storeAppend, `${shape.name}-${run}-s`, shape.writers, shape.size)),
          async () =>
            row.raw.push(
              await timeAppends(
                (s, e, v) => shape.raw.append(s, e, v),
                `${shape.name}-${run}-r`,
                shape.writers,
                shape.size,
              ),
            ),
        ];
        if (run % 2 === 1) sides.reverse();
        for (const side of sides) await side();
      }
      process.stderr.write(`  [sync ${sync}] run ${run + 1}/${runs} done\n`);
    }
    return rows;
  } finally {
    await store.close();
    await raw1?.close();
    await raw8?.close();
    await admin((c) =>
      c.query(`drop schema if exists ${storeSchema} cascade; drop schema if exists ${rawSchema} cascade`),
    );
  }
}

async function readCase(): Promise<Map<string, Row>> {
  const storeSchema = `perf_readstore_${tag}`;
  const rawSchema = `perf_readraw_${tag}`;
  const store: PostgresEventStore = postgresEventStore({
    connectionString: URL,
    schema: storeSchema,
    synchronousCommit: 'off',
  });
  try {
    await store.migrate();
    await admin((c) => c.query(rawSchemaSql(rawSchema)));
    // Filled by the store (8 concurrent callers, 100-event appends to 100 streams), copied to raw.
    let written = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; written < readCount; i++) {
          const n = Math.min(100, readCount - written);
          written += n;
          await store.append(`perf-read${w}_${i % 13}`, eventsOf(n, i * 100));
        }
      }),
    );
    await admin((c) =>
      c.query(`insert into ${rawSchema}.events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
        select position, event_id, stream_id, version, split_part(stream_id, '-', 1), 0, type, data, metadata, schema_version, recorded_at from ${storeSchema}.events;
        analyze ${rawSchema}.events; analyze ${storeSchema}.events; analyze ${storeSchema}.streams`),
    );
    const row: Row = { store: [], raw: [], unit: 'events/s' };
    for (let run = 0; run < runs; run++) {
      const sides = [
        async () => {
          const t = performance.now();
          let count = 0;
          let checksum = 0n;
          for await (const e of store.readAll()) {
            count++;
            checksum += e.position;
          }
          if (count !== readCount) throw new Error(`store read ${count} events, expected ${readCount}`);
          row.store.push((count * 1000) / (performance.now() - t));
          return checksum;
        },
        async () => {
          const t = performance.now();
          const { count, checksum } = await rawReadAll(URL, `${rawSchema}.events`);
          if (count !== readCount) throw new Error(`raw read ${count} events, expected ${readCount}`);
          row.raw.push((count * 1000) / (performance.now() - t));
          return checksum;
        },
      ];
      if (run % 2 === 1) sides.reverse();
      const sums = [];
      for (const side of sides) sums.push(await side());
      if (sums[0] !== sums[1]) throw new Error('store and raw read different positions');
      process.stderr.write(`  [readall] run ${run + 1}/${runs} done\n`);
    }
    return new Map([[`readall-${readCount / 1000}k`, row]]);
  } finally {
    await store.close();
    await admin((c) =>
      c.query(`drop schema if exists ${storeSchema} cascade; drop schema if exists ${rawSchema} cascade`),
    );
  }
}

const started = loadavg();
const server = await admin(async (c) => (await c.query<{ v: string }>('select version() as v')).rows[0]!.v);
console.log(
  `${server.split(',')[0]}; ${runs} runs, ${ms} ms per contender per run; load average at start ${started.map((l) => l.toFixed(2)).join(' ')}`,
);
for (const sync of syncs) {
  const rows = await appendCases(sync);
  if (rows.size > 0) report(`synchronous_commit=${sync} (both sides)`, rows);
}
if (cases.includes('readall')) report('read all (synchronous_commit irrelevant)', await readCase());
console.log(
  `\nload average at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
