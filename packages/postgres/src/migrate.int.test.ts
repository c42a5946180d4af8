import { readFileSync } from 'node:fs';
import { StreamDeletedError } from 'tidings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import { CODE_SCHEMA_VERSION, MIGRATIONS, STORE_KIND } from './sql/migrations.js';
import { bundleChildren, Children, lastJson } from './test-support/children.js';
import { collect } from './test-support/open-store.js';
import { dropSchema, PG_URL, pgAvailable, randomSchema, sql } from './test-support/pg-env.js';

const available = await pgAvailable();

describe.skipIf(!available)('migrate from several processes', () => {
  const children = new Children();
  let bundle: Awaited<ReturnType<typeof bundleChildren>>;
  const schemas: string[] = [];
  beforeAll(async () => {
    bundle = await bundleChildren(['migrate']);
  });
  afterAll(async () => {
    children.killAll();
    bundle?.cleanup();
    for (const s of schemas) await dropSchema(s);
  });

  it('4 processes migrate one schema at once: all succeed, exactly one applies the migrations', async () => {
    const schema = randomSchema('mig');
    schemas.push(schema);
    try {
      const results = await Promise.all(
        Array.from({ length: 4 }, () => children.run(bundle.path('migrate'), [PG_URL, schema], 60_000)),
      );
      const outs = results.map((r) => lastJson<{ applied: number[]; from: number; to: number }>(r));
      expect(outs.filter((o) => o.applied.length > 0)).toHaveLength(1);
      expect(outs.every((o) => o.to === CODE_SCHEMA_VERSION)).toBe(true);
      const store = postgresEventStore({ connectionString: PG_URL, schema });
      await expect(store.append('a-1', [{ type: 'a.b', data: 1 }])).resolves.toEqual({ nextVersion: 1n, position: 1n });
      await store.close();
      expect((await sql<{ v: number }>(`select schema_version v from "${schema}".tidings_store`))[0]?.v).toBe(
        CODE_SCHEMA_VERSION,
      );
    } finally {
      children.killAll();
    }
  });

  it('upgrades a version-1 schema in place: stored rows keep category and hash, the old function is gone', async () => {
    const schema = randomSchema('up');
    schemas.push(schema);
    const s = `"${schema}"`;
    // A schema as migration 1 left it (generated columns, the function's old signature), holding an event.
    await sql(`create schema ${s};
      create table ${s}.tidings_store (id boolean primary key default true check (id), kind text not null,
        schema_version integer not null, store_id uuid not null default gen_random_uuid(), created_at timestamptz not null default now());
      insert into ${s}.tidings_store (kind, schema_version) values ('${STORE_KIND}', 1);
      ${MIGRATIONS[0]!.sql(s)}
      create function ${s}.append_batch(text[], smallint[], bigint[], integer[], uuid[], text[], text[], text[], text[], text[],
        integer[], timestamptz) returns void language sql as 'select null';
      insert into ${s}.events (position, event_id, stream_id, version, type, data, metadata, schema_version, recorded_at)
        values (1, gen_random_uuid(), 'order-7', 1, 'order.placed', '1', '{}', 1, now());
      insert into ${s}.streams (stream_id, version, last_position) values ('order-7', 1, 1);
      update ${s}.head set position = 1;`);
    const store = postgresEventStore({ connectionString: PG_URL, schema });
    try {
      expect(await store.migrate()).toEqual({
        from: 1,
        to: CODE_SCHEMA_VERSION,
        applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 1),
      });
      expect(await store.append('order-7', [{ type: 'order.paid', data: 2 }], { expectedVersion: 1n })).toEqual({
        nextVersion: 2n,
        position: 2n,
      });
    } finally {
      await store.close();
    }
    const rows = await sql<{ category: string; ok: boolean }>(
      `select category, stream_hash = ('x' || substr(md5(stream_id), 1, 8))::bit(32)::integer as ok
         from ${s}.events order by position`,
    );
    expect(rows).toEqual([
      { category: 'order', ok: true },
      { category: 'order', ok: true },
    ]);
    const generated = await sql<{ attgenerated: string }>(
      `select attgenerated from pg_attribute where attrelid = '${s}.events'::regclass and attname in ('category', 'stream_hash')`,
    );
    expect(generated.map((g) => g.attgenerated)).toEqual(['', '']);
    const fns = await sql<{ n: number }>(
      `select pronargs::int as n from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace
        where ns.nspname = $1 and p.proname = 'append_batch'`,
      [schema],
    );
    expect(fns).toEqual([]);
  });

  it('takes a schema written by the version-3 code (fixture) to the new layout without losing or reordering an event', async () => {
    const schema = randomSchema('v3');
    schemas.push(schema);
    const s = `"${schema}"`;
    // Dumped from a schema that @tidings/postgres at schema version 3 filled through its own API
    // (__fixtures__/make-v3-fixture.ts): batches, lone appends, caller ids, metadata, a transaction,
    // retention metadata, truncation, soft and hard deletion, a processor checkpoint.
    await sql(
      readFileSync(new URL('./__fixtures__/v3-schema.sql', import.meta.url), 'utf8').replaceAll('__schema__', schema),
    );
    const before = await sql<Record<string, unknown>>(`select * from ${s}.events order by position`);
    const streamsBefore = await sql<Record<string, unknown>>(`select * from ${s}.streams order by stream_id`);
    const checkpointsBefore = await sql<Record<string, unknown>>(`select * from ${s}.checkpoints`);
    expect(checkpointsBefore).toHaveLength(1);
    expect(before).toHaveLength(15);
    const store = postgresEventStore({ connectionString: PG_URL, schema });
    try {
      await expect(store.append('order-1', [{ type: 'x.y', data: 1 }])).rejects.toMatchObject({
        code: 'STORE_NOT_MIGRATED',
      });
      const identity = (await sql<{ store_id: string }>(`select store_id from ${s}.tidings_store`))[0]!.store_id;
      expect(await store.migrate()).toEqual({
        from: 3,
        to: CODE_SCHEMA_VERSION,
        applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 3),
      });
      // Every row as it was, same positions, same order; the store keeps its identity.
      expect(await sql(`select * from ${s}.events order by position`)).toEqual(before);
      expect(await sql(`select * from ${s}.streams order by stream_id`)).toEqual(streamsBefore);
      expect(await sql(`select * from ${s}.checkpoints`)).toEqual(checkpointsBefore);
      expect((await store.info()).storeId).toBe(identity);
      const all = await collect(store.readAll());
      expect(all.map((e) => [e.position, e.id, e.streamId, e.version, e.data])).toEqual(
        before
          .filter((r) => r['stream_id'] !== 'log-1' || Number(r['version']) > 2) // maxCount 3
          .map((r): unknown[] => [
            BigInt(r['position'] as string),
            r['event_id'],
            r['stream_id'],
            BigInt(r['version'] as string),
            JSON.parse(r['data'] as string),
          ]),
      );
      // Appends continue the versions and the gap-free positions, through both append paths.
      const [a, b] = await Promise.all([
        store.append('order-1', [{ type: 'order.reopened', data: {} }], { expectedVersion: 4n }),
        store.append('fresh-1', [{ type: 'f.x', data: 1 }], { expectedVersion: 'no-stream' }),
      ]);
      expect([a, b]).toEqual([
        { nextVersion: 5n, position: 22n },
        { nextVersion: 1n, position: 23n },
      ]);
      expect(await store.append('order-2', [{ type: 'order.x', data: 1 }], { expectedVersion: 3n })).toEqual({
        nextVersion: 4n,
        position: 24n,
      });
      // What the old code recorded still answers: idempotent retries of stored caller ids, empty
      // appends on a stream whose events were all removed, soft and hard deletion.
      expect(
        await store.append(
          'order-2',
          [
            { id: '0190a0a0-0000-7000-8000-000000000001', type: 'order.paid', data: {} },
            { id: '0190a0a0-0000-7000-8000-000000000002', type: 'order.shipped', data: {} },
          ],
          { expectedVersion: 1n },
        ),
      ).toEqual({ nextVersion: 3n, position: 7n });
      expect(await store.append('trunc-1', [], { expectedVersion: 3n })).toEqual({ nextVersion: 3n, position: 16n });
      expect(await store.append('soft-1', [{ type: 's.x', data: 3 }], { expectedVersion: 'no-stream' })).toEqual({
        nextVersion: 3n,
        position: 25n,
      });
      await expect(store.append('hard-1', [{ type: 'h.x', data: 2 }])).rejects.toBeInstanceOf(StreamDeletedError);
      const [counts] = await sql<{ n: string; m: string }>(
        `select count(*)::text n, max(position)::text m from ${s}.events where position > 21`,
      );
      expect(counts).toEqual({ n: '4', m: '25' });
      expect(await store.headPosition()).toBe(25n);
    } finally {
      await store.close();
    }
  });
});
