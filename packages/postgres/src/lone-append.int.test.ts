import pg from 'pg';
import type { PoolClient } from 'pg';
import { ConcurrencyError, DuplicateEventError, uuidv7, uuidv7Generator } from 'tidings';
import { prepareAppend } from 'tidings/store-kit';
import type { AppendOptions, EventToAppend } from 'tidings';
import { afterAll, describe, expect, it } from 'vitest';
import { runAppendBatch, runLoneAppend } from './append-batch.js';
import type { PreparedAppend } from './append-batch.js';
import { postgresEventStore } from './index.js';
import type { PostgresEventStore } from './index.js';
import { storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable, sql } from './test-support/pg-env.js';

// The lone-append statement (decision 0304): a lone append to an existing stream is one plain
// prepared statement on the store's own, plan-guarded connections; ids the store generated are
// not looked up. These tests pin what it must not change: exact idempotent answers, nothing
// written on refusal, and plans that stay index-driven.

const available = await pgAvailable();

const nextId = uuidv7Generator();
const prepared = (
  streamId: string,
  events: readonly EventToAppend[],
  options: AppendOptions | undefined,
  generatedIds: boolean,
): PreparedAppend => ({ ...prepareAppend(streamId, events, options, { nextId }), bytes: 0, generatedIds });

async function connect(guarded: boolean): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  // What checkout() sets on a connection of a pool the store owns.
  if (guarded) await client.query('set enable_seqscan = off; set jit = off');
  // Generic plans from the first call: the case the guard is for (otherwise the plan cache may
  // keep re-planning per call and the negative control would pass or fail by cost estimates).
  await client.query('set plan_cache_mode = force_generic_plan');
  return client;
}

const count = async (s: string, where = 'true'): Promise<number> =>
  Number((await sql<{ n: string }>(`select count(*)::text as n from "${s}".events where ${where}`))[0]!.n);

describe.skipIf(!available)('postgres lone-append statement', () => {
  const stores = storeFactory('lone');
  afterAll(() => stores.cleanup());

  /** The lone statement's plans (auto_explain): made from tiny statistics, and after its tables grew. */
  async function lonePlansAfterGrowth(guarded: boolean): Promise<{ tiny: string; grown: string }> {
    const store = await stores.open();
    const s = store.schema;
    const client = await connect(guarded);
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    const append = async (streamId: string, n: number, generatedIds: boolean): Promise<void> => {
      const events = Array.from({ length: n }, (_, i) => ({ type: 't.x', data: i }));
      const [outcome] = await runAppendBatch(
        client as unknown as PoolClient,
        s,
        [prepared(streamId, events, undefined, generatedIds)],
        new Date(),
        { autocommit: true, guarded: true },
      );
      expect(outcome?.ok).toBe(true);
    };
    const shapes = [
      [1, true],
      [1, false],
      [3, true],
      [3, false],
    ] as const;
    try {
      for (let i = 0; i < 3; i++) await store.append(`early-${i}`, [{ type: 't.x', data: i }]);
      // Statistics of tiny tables (the worst case: autovacuum analysed them just after creation)...
      for (const t of ['streams', 'events', 'head']) {
        // Autovacuum's ANALYZE of the grown tables would invalidate the plans made below (and let
        // the negative control pass by luck); set first, since it invalidates cached plans too.
        await sql(`alter table "${s}".${t} set (autovacuum_enabled = false)`);
        await sql(`vacuum analyze "${s}".${t}`);
      }
      await client.query(
        `load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_level = notice`,
      );
      // ...and enough calls of every shape that the generic plans are made from them...
      for (let i = 0; i < 8; i++) for (const [n, g] of shapes) await append(`early-${i % 3}`, n, g);
      const tiny = notices.splice(0).slice(-shapes.length).join('\n');
      // ...then the tables grow, with no ANALYZE to invalidate those plans.
      await sql(`insert into "${s}".streams (stream_id, version) select 'bulk-' || g, 4 from generate_series(1, 20000) g;
        insert into "${s}".events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
          select 1000 + g, gen_random_uuid(), 'bulk-' || (g % 20000), 1 + g / 20000, 'bulk', 0, 't.x', '{}', '{}', 1, now()
          from generate_series(1, 80000) g;
        update "${s}".head set position = 81000`);
      for (const [n, g] of shapes) await append('early-1', n, g);
      expect(notices).toHaveLength(shapes.length);
      return { tiny, grown: notices.join('\n') };
    } finally {
      await client.end();
    }
  }

  it('keeps its plans index-driven on guarded connections, and looks ids up only when the caller supplied them', async () => {
    const { tiny, grown } = await lonePlansAfterGrowth(true);
    for (const plans of [tiny, grown]) {
      expect(plans).not.toMatch(/Seq Scan on (events|streams)/);
      expect(plans).not.toContain('JIT:');
    }
    // One plan per shape, in order: generated ids, caller ids, generated ids, caller ids.
    const lookups = grown
      .split('Query Text:')
      .slice(1)
      .map((p) => /Scan using events_event_id_key/.test(p));
    expect(lookups).toEqual([false, true, false, true]);
  });

  // (The plans after the growth are not asserted without the guard: a shared server rebuilds every
  // cached plan of a session when other sessions' DDL overflows the invalidation queue.)
  it('negative control: without the guard, its plans made from tiny statistics scan the tables sequentially', async () => {
    expect((await lonePlansAfterGrowth(false)).tiny).toMatch(/Seq Scan on (events|streams)/);
  });

  it('a generated id that is already stored (a collision) gets the exact idempotent answer and writes nothing else', async () => {
    const store = await stores.open();
    const s = store.schema;
    const id = uuidv7();
    const original = await store.append('col-a', [{ id, type: 't.x', data: 1 }]);
    await store.append('col-b', [{ type: 't.x', data: 1 }]);
    const client = await connect(true);
    try {
      const run = (a: PreparedAppend) =>
        runAppendBatch(client as unknown as PoolClient, s, [a], new Date(), { autocommit: true, guarded: true });
      // Elsewhere: DuplicateEventError; 'col-b' keeps its version and nothing is added.
      const [elsewhere] = await run(prepared('col-b', [{ id, type: 't.x', data: 2 }], undefined, true));
      expect(elsewhere?.ok).toBe(false);
      expect(elsewhere?.ok === false && elsewhere.error).toBeInstanceOf(DuplicateEventError);
      // The same append again, with a check that passes: the original result.
      const [again] = await run(prepared('col-a', [{ id, type: 't.x', data: 1 }], undefined, true));
      expect(again).toEqual({ ok: true, result: original });
      // To a new stream, through the batch statement (which does not look generated ids up
      // either): its insert collides, and the statement run again with the look-up answers.
      const [fresh] = await run(
        prepared('col-c', [{ id, type: 't.x', data: 3 }], { expectedVersion: 'no-stream' }, true),
      );
      expect(fresh?.ok === false && fresh.error).toBeInstanceOf(DuplicateEventError);
      // Ids are not compared before the version check when the store generated them (as in
      // SQLite): a failing check answers first. Only a real collision of fresh UUIDv7s gets here.
      const [checked] = await run(prepared('col-a', [{ id, type: 't.x', data: 1 }], { expectedVersion: 0n }, true));
      expect(checked?.ok === false && checked.error).toBeInstanceOf(ConcurrencyError);
      expect(await count(s)).toBe(2);
      expect((await store.streamInfo('col-b')).version).toBe(1n);
      expect((await store.streamInfo('col-c')).version).toBe(0n);
    } finally {
      await client.end();
    }
  });

  it('negative control: the lone statement alone does not look generated ids up (the unique index refuses the collision)', async () => {
    const store = await stores.open();
    const s = store.schema;
    const id = uuidv7();
    await store.append('col-a', [{ id, type: 't.x', data: 1 }]);
    await store.append('col-b', [{ type: 't.x', data: 1 }]);
    const client = await connect(true);
    try {
      const lone = (generatedIds: boolean) =>
        runLoneAppend(
          client as unknown as PoolClient,
          s,
          prepared('col-b', [{ id, type: 't.x', data: 2 }], undefined, generatedIds),
          new Date(),
        );
      // Claimed generated: no look-up, so the insert itself fails (the fallback above is what answers).
      await expect(lone(true)).rejects.toMatchObject({ code: '23505' });
      // Caller ids: looked up, nothing written, no row back (the function then answers).
      await expect(lone(false)).resolves.toBeUndefined();
      expect(await count(s)).toBe(2);
    } finally {
      await client.end();
    }
  });

  /**
   * Another writer holds the stream row and stores the same event id as our append (as the
   * original of a retried append would), committing only once our append waits behind it: the
   * one-statement path's snapshot predates that commit, so its id look-up misses it.
   */
  async function raceStoredId(s: string, append: (id: string) => Promise<unknown>): Promise<unknown> {
    const id = uuidv7();
    const other = new pg.Client({ connectionString: PG_URL });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select 1 from "${s}".streams where stream_id = 'race-1' for update`);
      await other.query(
        `with h as (update "${s}".head set position = position + 1 where id returning position)
         insert into "${s}".events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
           select h.position, $1, 'race-1', 2, 'race', 0, 't.x', '2', '{}', 1, now() from h`,
        [id],
      );
      await other.query(`update "${s}".streams set version = 2, last_position = 2 where stream_id = 'race-1'`);
      const result = append(id).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      for (let i = 0; i < 500; i++) {
        const waiting = await sql(
          `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like $1 and pid <> $2`,
          [`%"${s}".%`, (other as unknown as { processID: number }).processID],
        );
        if (waiting.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await other.query('commit');
      const outcome = await result;
      expect(await count(s, `event_id = '${id}'`)).toBe(1);
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    } finally {
      await other.end();
    }
  }

  const raceStore = async (ownPool: boolean): Promise<{ store: PostgresEventStore; close: () => Promise<void> }> => {
    if (ownPool) return { store: await stores.open(), close: async () => {} };
    // A caller's pool: no plan guard, so no lone statement: the batch statement, unnamed.
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const store = await stores.open({ pool });
    return { store, close: () => pool.end() };
  };

  for (const [path, ownPool] of [
    ['the lone-append statement', true],
    ["the batch statement (caller's pool)", false],
  ] as const) {
    it(`answers a retry exactly when its ids were committed while ${path} waited for the stream lock`, async () => {
      const { store, close } = await raceStore(ownPool);
      try {
        await store.append('race-1', [{ type: 't.x', data: 1 }]);
        const result = await raceStoredId(store.schema, (id) => store.append('race-1', [{ id, type: 't.x', data: 2 }]));
        expect(result).toEqual({ nextVersion: 2n, position: 2n });
      } finally {
        await store.close();
        await close();
      }
    });
  }

  it('negative control: in that race the lone statement alone fails with a unique violation', async () => {
    const store = await stores.open();
    await store.append('race-1', [{ type: 't.x', data: 1 }]);
    const client = await connect(true);
    try {
      await expect(
        raceStoredId(store.schema, (id) =>
          runLoneAppend(
            client as unknown as PoolClient,
            store.schema,
            prepared('race-1', [{ id, type: 't.x', data: 2 }], undefined, false),
            new Date(),
          ),
        ),
      ).rejects.toMatchObject({ code: '23505' });
    } finally {
      await client.end();
    }
  });

  it("guards only its own pool's connections, and gives a transaction's caller statements the planner defaults", async () => {
    const defaults = (
      await sql<{ s: string; j: string }>(`select current_setting('enable_seqscan') as s, current_setting('jit') as j`)
    )[0]!;
    const owned = await stores.open();
    await owned.append('g-1', [{ type: 't.x', data: 1 }]);
    await owned.append('g-1', [{ type: 't.x', data: 2 }]);
    await owned.transaction(async (tx) => {
      const r = await tx.connection.query<{ s: string; j: string }>(
        `select current_setting('enable_seqscan') as s, current_setting('jit') as j`,
      );
      expect(r.rows[0]).toEqual(defaults);
      await tx.append('g-1', [{ type: 't.x', data: 3 }], { expectedVersion: 2n });
    });
    expect((await owned.streamInfo('g-1')).version).toBe(3n);

    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    try {
      const shared = postgresEventStore({ pool, schema: owned.schema });
      await shared.append('g-1', [{ type: 't.x', data: 4 }]);
      const c = await pool.connect();
      try {
        const r = await c.query<{ s: string; lone: string }>(
          `select current_setting('enable_seqscan') as s,
                  (select count(*)::text from pg_prepared_statements where name like 'tidings%') as lone`,
        );
        expect(r.rows[0]).toEqual({ s: defaults.s, lone: '0' });
      } finally {
        c.release();
      }
      await shared.close();
    } finally {
      await pool.end();
    }
  });
});
