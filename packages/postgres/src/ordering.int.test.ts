import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import { bundleChildren, Children, lastJson } from './test-support/children.js';
import { dropSchema, PG_URL, pgAvailable, randomSchema, sql } from './test-support/pg-env.js';

// The acceptance test of the global order, with real processes. TIDINGS_PG_ORDERING_MS sets how
// long the writers run (at least 20 s was asked for); the negative control runs a quarter of it.
const DURATION_MS = Number(process.env['TIDINGS_PG_ORDERING_MS'] ?? 20_000);
const WRITERS = 4;
const READERS = 2;
// How far behind the readers may fall (an event's recordedAt to the moment a reader first sees
// it), while transactions that wrote in this schema and in another one stay open and idle for the
// whole run. A design whose readers wait for the oldest open transaction (xid8 with
// pg_snapshot_xmin) would lag by the length of the run; ours waits for nobody but the writers.
const LAG_BOUND_MS = Math.min(5_000, DURATION_MS / 2);

// Fires after the positions of an append are assigned (the head row is already updated) and
// before COMMIT: a random 0–50 ms delay, and a rollback on purpose 20% of the time. A failed
// group-commit batch re-runs its appends one by one (each through this trigger again), so an
// append is rolled back only when both draws fail (≈ 4%); at 5% that was ≈ 0.25%, ~5 per run, and
// a run with none failed the sanity check below.
const delayTrigger = (schema: string, table: string): string => `
  create function "${schema}".test_delay() returns trigger language plpgsql as $$
  begin
    perform pg_sleep(random() * 0.05);
    if random() < 0.2 then raise exception 'test: rolled back on purpose'; end if;
    return null;
  end $$;
  create trigger test_delay after insert on "${schema}".${table} for each statement execute function "${schema}".test_delay();`;

interface ReaderOut {
  seen: string[];
  anomalies: number;
  lag?: { p50: number; p99: number; max: number };
}

/**
 * A session that writes in `schema` (its own table), so it holds a transaction id, and then stays
 * idle in its open transaction until closed.
 */
async function idleWriter(schema: string): Promise<{ xid: string; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`create table if not exists "${schema}".idle_side (n int)`);
  await client.query('begin');
  await client.query(`insert into "${schema}".idle_side values (1)`);
  const xid = (await client.query<{ x: string }>('select pg_current_xact_id()::text as x')).rows[0]!.x;
  return {
    xid,
    close: async () => {
      await client.query('rollback').catch(() => {});
      await client.end();
    },
  };
}

/** Runs writers and readers together; returns what each reader saw and what is committed. */
async function trial(
  children: Children,
  bundle: { path: (n: string) => string },
  schema: string,
  table: string,
  writer: (i: number) => Promise<unknown>,
): Promise<{ readers: ReaderOut[]; committed: string[]; elapsedMs: number; writers: unknown[] }> {
  const stopFile = join(tmpdir(), `tidings-stop-${schema}`);
  const outs = Array.from({ length: READERS }, (_, i) => join(tmpdir(), `tidings-reader-${schema}-${i}.json`));
  const mode = table === 'events' ? 'store' : 'sql';
  const readers = outs.map((out) =>
    children.run(bundle.path('reader'), [mode, PG_URL, schema, table, stopFile, out], DURATION_MS + 60_000),
  );
  const started = Date.now();
  const writers = await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
  const elapsedMs = Date.now() - started;
  writeFileSync(stopFile, 'stop');
  try {
    for (const r of await Promise.all(readers)) lastJson(r);
  } finally {
    if (existsSync(stopFile)) writeFileSync(stopFile, 'stop');
  }
  const committed = (
    await sql<{ event_id: string }>(`select event_id from "${schema}".${table} order by position`)
  ).map((r) => r.event_id);
  return { readers: outs.map((o) => JSON.parse(readFileSync(o, 'utf8')) as ReaderOut), committed, elapsedMs, writers };
}

const available = await pgAvailable();

describe.skipIf(!available)('global order with real processes', () => {
  const children = new Children();
  let bundle: Awaited<ReturnType<typeof bundleChildren>>;
  const schemas: string[] = [];

  beforeAll(async () => {
    bundle = await bundleChildren(['store-writer', 'reader', 'naive-writer']);
  });
  afterAll(async () => {
    children.killAll();
    bundle?.cleanup();
    for (const s of schemas) await dropSchema(s);
  });

  it(
    'readers following $all see exactly the committed events, each once, in order, with bounded lag, while 4 writer processes append and transactions in this schema and another stay open',
    async () => {
      const schema = randomSchema('order');
      const foreign = randomSchema('foreign');
      schemas.push(schema, foreign);
      const store = postgresEventStore({ connectionString: PG_URL, schema });
      await store.migrate();
      await store.close();
      await sql(delayTrigger(schema, 'events'));
      await sql(`create schema "${foreign}"`);
      // Open, idle and holding a transaction id for the whole run: one in the store's schema, one elsewhere.
      const idle = [await idleWriter(schema), await idleWriter(foreign)];
      try {
        const result = await trial(children, bundle, schema, 'events', async (i) =>
          lastJson(
            await children.run(
              bundle.path('store-writer'),
              [PG_URL, schema, String(DURATION_MS), String(i), '3'],
              DURATION_MS + 60_000,
            ),
          ),
        );
        // Still open after the run: the readers kept up while they were.
        const open = await sql<{ n: string }>(
          `select count(*)::text n from pg_stat_activity where state = 'idle in transaction' and backend_xid::text = any($1)`,
          [idle.map((t) => t.xid)],
        );
        expect(open[0]?.n).toBe('2');
        const rolledBack = result.writers.reduce<number>(
          (n, w) => n + ((w as { failures: Record<string, number> }).failures['P0001'] ?? 0),
          0,
        );
        const appends = result.writers.reduce<number>((n, w) => n + (w as { ok: number }).ok, 0);
        console.log(
          `[ordering] ${WRITERS} writer processes x 3 appenders, ${result.elapsedMs} ms: ${appends} appends committed ` +
            `(${result.committed.length} events, ${Math.round((appends * 1000) / result.elapsedMs)} appends/s, ` +
            `${Math.round((result.committed.length * 1000) / result.elapsedMs)} events/s), ${rolledBack} rolled back on purpose; ` +
            `reader lag (recordedAt to seen, ms) ${result.readers.map((r) => `p50 ${r.lag?.p50} p99 ${r.lag?.p99} max ${r.lag?.max}`).join('; ')}`,
        );
        expect(result.committed.length).toBeGreaterThan(100);
        expect(rolledBack).toBeGreaterThan(0);
        for (const reader of result.readers) {
          expect(reader.anomalies).toBe(0);
          expect(reader.seen).toEqual(result.committed);
          expect(reader.lag?.max).toBeLessThan(LAG_BOUND_MS);
        }
        // Positions are gap-free: rollbacks gave theirs back.
        const [gaps] = await sql<{ n: string; m: string }>(
          `select count(*)::text as n, coalesce(max(position), 0)::text as m from "${schema}".events`,
        );
        expect(gaps?.n).toBe(gaps?.m);
      } finally {
        children.killAll();
        for (const t of idle) await t.close();
      }
    },
    DURATION_MS * 2 + 120_000,
  );

  it(
    'negative control: the same readers skip events of a plain-sequence writer',
    async () => {
      const schema = randomSchema('naive');
      schemas.push(schema);
      await sql(
        `create schema "${schema}"; create table "${schema}".naive_events (position bigserial primary key, event_id uuid not null, stream_id text not null)`,
      );
      await sql(delayTrigger(schema, 'naive_events'));
      try {
        const duration = Math.max(5_000, Math.round(DURATION_MS / 4));
        const result = await trial(children, bundle, schema, 'naive_events', async (i) =>
          lastJson(
            await children.run(
              bundle.path('naive-writer'),
              [PG_URL, schema, String(duration), String(i)],
              duration + 60_000,
            ),
          ),
        );
        const skipped = result.readers.map((r) => {
          const seen = new Set(r.seen);
          return result.committed.filter((id) => !seen.has(id)).length;
        });
        console.log(
          `[ordering negative control] plain sequence: ${result.committed.length} committed, readers skipped ${skipped.join(' and ')} events`,
        );
        expect(result.committed.length).toBeGreaterThan(50);
        expect(Math.max(...skipped)).toBeGreaterThan(0);
      } finally {
        children.killAll();
      }
    },
    DURATION_MS + 120_000,
  );
});
