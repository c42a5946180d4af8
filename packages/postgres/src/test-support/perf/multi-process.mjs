// Writers in several processes, three ways of ordering the global position (see
// multi-process-writer.mjs), in interleaved rounds; prints appends/s per round and the medians,
// and, with --waits, samples the writers' wait events during one round of each. Raw SQL on the
// store's table layout, not the store: it measures the ordering mechanism alone (decision 0311).
//   node packages/postgres/src/test-support/perf/multi-process.mjs [--modes head,early,seq] [--procs 8] [--ms 2000] [--rounds 6] [--waits]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const PG_URL = process.env.TIDINGS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const modes = arg('modes', 'head,early,seq').split(',');
const procs = Number(arg('procs', '8'));
const ms = Number(arg('ms', '2000'));
const rounds = Number(arg('rounds', '6'));
const waits = process.argv.includes('--waits');
const WRITER = fileURLToPath(new URL('./multi-process-writer.mjs', import.meta.url));

async function sql(text) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

const run = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [WRITER, ...args]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('close', () => resolve(JSON.parse(out.trim().split('\n').pop() || '{"n":0}')));
  });

/** Average number of the writers' backends in each wait event (CPU = active, not waiting). */
async function sampleWaits(schema, forMs) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  const counts = new Map();
  let samples = 0;
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    const r = await c.query(
      `select coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '-') as w, count(*)::int as n
         from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid() group by 1`,
      [`%${schema}%`],
    );
    samples++;
    for (const row of r.rows) counts.set(row.w, (counts.get(row.w) ?? 0) + row.n);
    await new Promise((r) => setTimeout(r, 5));
  }
  await c.end();
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / samples).toFixed(2)}`)
    .join(', ');
}

const results = Object.fromEntries(modes.map((m) => [m, []]));
console.log(
  `${procs} writer processes, ${ms} ms per round, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
    const schema = `perf_mp_${mode}_${Math.random().toString(36).slice(2, 8)}`;
    await sql(`create schema ${schema};
      create table ${schema}.head (id boolean primary key default true, position bigint not null, recorded_at timestamptz not null);
      insert into ${schema}.head values (true, 0, '-infinity');
      create sequence ${schema}.seq;
      create table ${schema}.streams (stream_id text primary key, version bigint not null default 0);
      create table ${schema}.events (position bigint primary key, event_id uuid not null unique, stream_id text not null,
        version bigint not null, category text not null, stream_hash integer not null, type text not null, data text not null,
        metadata text not null, correlation_id text, causation_id text, schema_version integer not null,
        recorded_at timestamptz not null, unique (stream_id, version));
      create index on ${schema}.events (type, position); create index on ${schema}.events (category, position);
      create index on ${schema}.events (recorded_at, position);`);
    try {
      const startAt = Date.now() + 1500;
      const writers = Array.from({ length: procs }, (_, i) =>
        run([mode, PG_URL, schema, String(ms), String(i), String(startAt)]),
      );
      const sampled =
        waits && round === 0
          ? new Promise((r) => setTimeout(r, 1500 + ms / 4)).then(() => sampleWaits(schema, ms / 2))
          : undefined;
      const outs = await Promise.all(writers);
      const rate = (outs.reduce((a, o) => a + o.n, 0) * 1000) / ms;
      results[mode].push(rate);
      console.log(
        `round ${round + 1} ${mode.padEnd(5)} ${Math.round(rate)} appends/s${sampled ? `; waits: ${await sampled}` : ''}`,
      );
    } finally {
      await sql(`drop schema ${schema} cascade`);
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const m of modes) console.log(`${m.padEnd(5)} median ${Math.round(median(results[m]))} appends/s`);
console.log(
  `load average at end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
