import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
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
      expect(outs.every((o) => o.to === 1)).toBe(true);
      const store = postgresEventStore({ connectionString: PG_URL, schema });
      await expect(store.append('a-1', [{ type: 'a.b', data: 1 }])).resolves.toEqual({ nextVersion: 1n, position: 1n });
      await store.close();
      expect((await sql<{ v: number }>(`select schema_version v from "${schema}".tidings_store`))[0]?.v).toBe(1);
    } finally {
      children.killAll();
    }
  });
});
