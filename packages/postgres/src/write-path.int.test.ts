import pg from 'pg';
import type { PoolClient } from 'pg';
import { ConcurrencyError, uuidv7Generator } from 'tidings';
import { prepareAppend } from 'tidings/store-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { runAppendBatch } from './append-batch.js';
import type { PreparedAppend } from './append-batch.js';
import { collect, storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable, sql } from './test-support/pg-env.js';

// The write path's performance work (decision 0303) moved per-row expressions to the client and
// made the append function's plans generic; these tests pin what that must not change.

const available = await pgAvailable();

describe.skipIf(!available)('postgres write path', () => {
  const stores = storeFactory('wpath');
  afterAll(() => stores.cleanup());

  it('stores category and stream hash exactly as their SQL definitions, for every kind of stream id', async () => {
    const store = await stores.open();
    const ids = ['order-42', 'plain', '-leading', 'a-b-c', 'zoë-ünïcødé-1', '注文-7', 'emoji-🎉', "it's-'quoted'"];
    // Concurrent, so several appends share one batch (per-event arrays span appends).
    await Promise.all(
      ids.map((id, i) =>
        store.append(id, [
          { type: 't.x', data: i },
          { type: 't.y', data: i },
        ]),
      ),
    );
    const rows = await sql<{ n: string; bad: string }>(
      `select count(*)::text as n,
              count(*) filter (where category <> split_part(stream_id, '-', 1)
                                  or stream_hash <> ('x' || substr(md5(stream_id), 1, 8))::bit(32)::integer)::text as bad
         from "${store.schema}".events`,
    );
    expect(rows[0]).toEqual({ n: String(ids.length * 2), bad: '0' });
    expect((await collect(store.readAll({ filter: { categories: ['a'] } }))).map((e) => e.streamId)).toEqual([
      'a-b-c',
      'a-b-c',
    ]);
  });

  it('places each passing append of a mixed batch at running versions and contiguous positions, and nothing of a failed one', async () => {
    const store = await stores.open();
    await store.append('mix-a', [{ type: 't.x', data: 0 }]);
    const results = await Promise.allSettled([
      store.append(
        'mix-a',
        [1, 2].map((d) => ({ type: 't.x', data: d })),
        { expectedVersion: 1n },
      ),
      store.append(
        'mix-b',
        [1, 2, 3].map((d) => ({ type: 't.x', data: d })),
        { expectedVersion: 5n },
      ),
      store.append('mix-c', [{ type: 't.x', data: 1 }], { expectedVersion: 'no-stream' }),
      store.append('mix-a', [{ type: 't.x', data: 3 }], { expectedVersion: 3n }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    const rows = await sql<{ stream_id: string; version: string; position: string; data: string }>(
      `select stream_id, version::text, position::text, data from "${store.schema}".events order by position`,
    );
    expect(rows.map((r) => `${r.position}:${r.stream_id}@${r.version}=${r.data}`)).toEqual([
      '1:mix-a@1=0',
      '2:mix-a@2=1',
      '3:mix-a@3=2',
      '4:mix-c@1=1',
      '5:mix-a@4=3',
    ]);
    expect(await store.headPosition()).toBe(5n);
    // The stream row made only to lock 'mix-b' was removed again: it reads as never created.
    expect(await sql(`select 1 from "${store.schema}".streams where stream_id = 'mix-b'`)).toEqual([]);
  });

  it("an empty append reports its stream's last event position after lone appends, truncation and soft deletion", async () => {
    const store = await stores.open();
    const ev = (data: number) => [{ type: 't.x', data }];
    await store.append('pos-1', ev(1)); // new stream: the batch statement
    await store.append('other-1', ev(2));
    // Lone statement (existing stream): it does not keep streams.last_position current.
    expect(await store.append('pos-1', ev(3), { expectedVersion: 1n })).toEqual({ nextVersion: 2n, position: 3n });
    expect(await store.append('pos-1', [])).toEqual({ nextVersion: 2n, position: 3n });
    expect(await store.append('pos-1', [], { expectedVersion: 2n })).toEqual({ nextVersion: 2n, position: 3n });
    // Every event removed: the position is what the removal recorded.
    await store.truncateBefore('pos-1', 3n);
    expect(await collect(store.readStream('pos-1'))).toEqual([]);
    expect(await store.append('pos-1', [])).toEqual({ nextVersion: 2n, position: 3n });
    expect(await store.append('pos-1', ev(4), { expectedVersion: 2n })).toEqual({ nextVersion: 3n, position: 4n });
    await store.deleteStream('pos-1');
    expect(await store.append('pos-1', [], { expectedVersion: 'no-stream' })).toEqual({
      nextVersion: 3n,
      position: 4n,
    });
    // In a batch, after an append of the same batch that wrote: that append's last position.
    const [a, b] = await Promise.all([store.append('pos-1', ev(5)), store.append('pos-1', [])]);
    expect(a).toEqual({ nextVersion: 4n, position: 5n });
    expect(b).toEqual({ nextVersion: 4n, position: 5n });
    // In a transaction.
    await store.transaction(async (tx) => {
      expect(await tx.append('pos-1', [], { expectedVersion: 4n })).toEqual({ nextVersion: 4n, position: 5n });
    });
  });

  it('stores correlation, causation and schema version through every statement shape', async () => {
    const store = await stores.open();
    const meta = { correlationId: 'c-1', causationId: 'k-1', schemaVersion: 3 };
    const rows = async (streamId: string) =>
      sql<{ c: string | null; k: string | null; v: number }>(
        `select correlation_id c, causation_id k, schema_version v from "${store.schema}".events where stream_id = $1 order by version`,
        [streamId],
      );
    const appendBoth = (streamId: string, expectedVersion?: bigint) =>
      store.append(
        streamId,
        [
          { type: 't.x', data: 1 },
          { type: 't.x', data: 2, metadata: meta },
        ],
        expectedVersion === undefined ? undefined : { expectedVersion },
      );
    const expected = [
      { c: null, k: null, v: 1 },
      { c: 'c-1', k: 'k-1', v: 3 },
    ];
    await appendBoth('meta-1'); // new stream: the batch statement
    expect(await rows('meta-1')).toEqual(expected);
    await appendBoth('meta-1', 2n); // existing stream: the lone statement, events as arrays
    expect((await rows('meta-1')).slice(2)).toEqual(expected);
    await store.append(
      'meta-1',
      [
        { type: 't.x', data: 3 },
        { type: 't.x', data: 4 },
      ],
      { expectedVersion: 4n },
    );
    expect((await rows('meta-1')).slice(4)).toEqual([expected[0], expected[0]]); // the plain shape
    await store.append('meta-1', [{ type: 't.x', data: 5, metadata: meta }], { expectedVersion: 6n }); // one event
    expect((await rows('meta-1')).slice(6)).toEqual([expected[1]]);
  });

  it('hides events beyond retention in full, prepared $all pages, and shows them once retention is lifted', async () => {
    const store = await stores.open({ readPageSize: 2 });
    for (let i = 0; i < 3; i++) {
      await store.append('kept-1', [{ type: 't.x', data: `k${i}` }]);
      await store.append('free-1', [{ type: 't.x', data: `f${i}` }]);
    }
    const data = async (): Promise<unknown[]> => (await collect(store.readAll())).map((e) => e.data);
    expect(await data()).toEqual(['k0', 'f0', 'k1', 'f1', 'k2', 'f2']);
    await store.setStreamMetadata('kept-1', { maxCount: 1 });
    expect(await data()).toEqual(['f0', 'f1', 'k2', 'f2']);
    expect((await collect(store.readAll({ direction: 'backward' }))).map((e) => e.data)).toEqual([
      'f2',
      'k2',
      'f1',
      'f0',
    ]);
    await store.setStreamMetadata('kept-1', {});
    expect(await data()).toEqual(['k0', 'f0', 'k1', 'f1', 'k2', 'f2']);
  });

  /**
   * The batch statement's plans (auto_explain): generic plans made while its tables are tiny, and
   * the plans of calls after the tables grew. It is a named statement on the store's own
   * connections, which carry the plan guard (enable_seqscan and jit off for the session);
   * `guard: false` runs the same named statement on a connection without it (negative control).
   */
  async function plansAfterGrowth(guard: boolean): Promise<{ tiny: string; grown: string }> {
    const store = await stores.open();
    const s = store.schema;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    if (guard) await client.query('set enable_seqscan = off; set jit = off');
    // Generic plans from the first call: the case the guard is for (otherwise the plan cache may
    // keep re-planning per call and the negative control would pass or fail by cost estimates).
    await client.query('set plan_cache_mode = force_generic_plan');
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    const nextId = uuidv7Generator();
    const prepared = (streamId: string, n: number, ids: boolean): PreparedAppend => {
      const p = prepareAppend(
        streamId,
        Array.from({ length: n }, (_, i) => ({ type: 't.x', data: i, ...(ids ? { id: nextId() } : {}) })),
        undefined,
        { nextId },
      );
      return { ...p, bytes: 0, generatedIds: !ids };
    };
    // Two appends per call, so the batch statement (not the lone one) runs; some with caller ids.
    const append = async (streams: [string, string], n: number, ids: boolean): Promise<void> => {
      const outcomes = await runAppendBatch(
        client as unknown as PoolClient,
        s,
        streams.map((id) => prepared(id, n, ids)),
        new Date(),
        { autocommit: true, guarded: true },
      );
      expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    };
    try {
      await store.append('early-0', [{ type: 't.x', data: 0 }]);
      // Statistics of tiny tables (as an ANALYZE just after creation leaves them)...
      for (const t of ['streams', 'events', 'head']) {
        // Autovacuum's ANALYZE of the grown tables would invalidate the plans made below (and let
        // the negative control pass by luck); set first, since it invalidates cached plans too.
        await sql(`alter table "${s}".${t} set (autovacuum_enabled = false)`);
        await sql(`vacuum analyze "${s}".${t}`);
      }
      await client.query(
        `load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_level = notice`,
      );
      // ...and plans made on this connection's first calls, from them...
      for (let i = 0; i < 8; i++) await append([`early-${i % 3}`, `early-${(i % 3) + 3}`], 2, i % 2 === 0);
      const tiny = notices.splice(0).slice(-2).join('\n');
      // ...then the tables grow (no ANALYZE, so nothing invalidates those plans).
      await sql(`insert into "${s}".streams (stream_id, version) select 'bulk-' || g, 4 from generate_series(1, 20000) g;
        insert into "${s}".events (position, event_id, stream_id, version, category, stream_hash, type, data, metadata, schema_version, recorded_at)
          select 1000 + g, gen_random_uuid(), 'bulk-' || (g % 20000), 1 + g / 20000, 'bulk', 0, 't.x', '{}', '{}', 1, now()
          from generate_series(1, 80000) g;
        update "${s}".head set position = 81000`);
      await append(['late-1', 'early-1'], 3, true);
      await append(['early-2', 'late-2'], 1, false);
      const grown = notices.join('\n');
      expect(tiny).toContain('Insert on events');
      expect(grown).toContain('Insert on events');
      return { tiny, grown };
    } finally {
      await client.end();
    }
  }

  it("keeps the batch statement's plans index-driven and free of JIT, made while its tables are tiny and after they grow", async () => {
    const { tiny, grown } = await plansAfterGrowth(true);
    for (const plans of [tiny, grown]) {
      expect(plans).not.toMatch(/Seq Scan on (events|streams)/);
      expect(plans).not.toContain('JIT:');
    }
  });

  // Without the guard the generic plans made while the tables are tiny scan them sequentially,
  // and the plan cache would keep those plans as the tables grow. (What the plans look like after
  // the growth is not asserted here: a shared server rebuilds every cached plan of a session when
  // other sessions' DDL overflows the invalidation queue, which heals them by luck.)
  it('negative control: without the guard, the plans made while the tables are tiny scan them sequentially', async () => {
    expect((await plansAfterGrowth(false)).tiny).toMatch(/Seq Scan on (events|streams)/);
  });
});
