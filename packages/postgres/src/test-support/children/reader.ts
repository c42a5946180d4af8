// Child: follows the global order by position, as a subscriber would, and writes what it saw.
// mode 'store': the store's readAll. mode 'sql': plain keyset SQL over a table (negative control).
// In store mode it also measures, per event, how long after its recordedAt (the writer's clock,
// read just before its batch statement; same host) this reader first saw it: the lag.
import { writeFileSync, existsSync } from 'node:fs';
import pg from 'pg';
import { postgresEventStore } from '../../index.js';

const [mode, url, schema, table, stopFile, outFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const seen: string[] = [];
const lags: number[] = [];
let last = 0n;
let anomalies = 0; // a position not above the previous one: seen twice or out of order
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const client = new pg.Client({ connectionString: url });
await client.connect();
const store = mode === 'store' ? postgresEventStore({ connectionString: url, schema, poolSize: 2 }) : undefined;

async function page(): Promise<{ position: bigint; id: string }[]> {
  if (store !== undefined) {
    const rows: { position: bigint; id: string }[] = [];
    for await (const e of store.readAll({ from: last + 1n, limit: 500 })) {
      rows.push({ position: e.position, id: e.id });
      lags.push(Date.now() - e.recordedAt.getTime());
    }
    return rows;
  }
  const r = await client.query<{ position: string; event_id: string }>(
    `select position, event_id from "${schema}".${table} where position > $1 order by position limit 500`,
    [last.toString()],
  );
  return r.rows.map((row) => ({ position: BigInt(row.position), id: row.event_id }));
}

let target: bigint | undefined;
try {
  for (;;) {
    const rows = await page();
    for (const row of rows) {
      if (row.position <= last) anomalies++;
      last = row.position;
      seen.push(row.id);
    }
    if (rows.length > 0) continue;
    if (target === undefined && existsSync(stopFile)) {
      const r = await client.query<{ m: string | null }>(`select max(position)::text as m from "${schema}".${table}`);
      target = BigInt(r.rows[0]?.m ?? '0');
    }
    if (target !== undefined && last >= target) break;
    await sleep(5);
  }
  const sorted = [...lags].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
  const lag = { p50: pct(50), p99: pct(99), max: sorted[sorted.length - 1] ?? 0 };
  writeFileSync(outFile, JSON.stringify({ seen, anomalies, lag }));
  console.log(JSON.stringify({ count: seen.length, anomalies, lag }));
} finally {
  await client.end();
  await store?.close();
}
