import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import { CODE_SCHEMA_VERSION, MIGRATIONS, STORE_KIND } from './sql/migrations.js';
import { bundleChildren, Children, lastJson } from './test-support/children.js';
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

  it('upgrades a version-1 schema in place: stored rows keep category and hash, the old function is replaced', async () => {
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
      expect(await store.migrate()).toEqual({ from: 1, to: CODE_SCHEMA_VERSION, applied: [2, 3] });
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
    expect(fns).toEqual([{ n: 17 }]);
  });
});
