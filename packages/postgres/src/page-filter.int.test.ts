import pg from 'pg';
import type { RecordedEvent } from 'tidings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresEventStore } from './index.js';
import { allPageQuery, type ReadContext } from './reads.js';
import { collect, storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable } from './test-support/pg-env.js';

const available = await pgAvailable();
const CATEGORIES = ['order', 'user', 'cart', 'pay', 'ship', 'stock', 'mail', 'audit', 'misc', 'plain'];
const TYPES = ['x.a', 'x.b', 'x.c'];

describe.skipIf(!available)('postgres: filtered pages use the (value, position) indexes', () => {
  const stores = storeFactory('pagefilter');
  let store: PostgresEventStore;
  let all: RecordedEvent[];
  afterAll(() => stores.cleanup());
  beforeAll(async () => {
    store = await stores.open();
    for (let b = 0; b < 40; b++) {
      await Promise.all(
        CATEGORIES.map((c, i) =>
          store.append(
            c === 'plain' ? `plain${b % 3}` : `${c}-${b % 4}`,
            Array.from({ length: c === 'user' ? 2 : 25 }, (_, k) => ({
              type: TYPES[(b + i + k) % 3]!,
              data: { b, i },
            })),
          ),
        ),
      );
    }
    all = await collect(store.readAll());
  });

  const category = (e: RecordedEvent): string => e.streamId.split('-')[0]!;
  const ids = (events: readonly RecordedEvent[]): bigint[] => events.map((e) => e.position);

  it('returns exactly the matching events, in order, for one value, a few, and many, forward and backward', async () => {
    const cases: { categories?: string[]; types?: string[] }[] = [
      { categories: ['user'] },
      { categories: ['user', 'pay', 'user'] },
      { categories: CATEGORIES.slice(0, 9) },
      { categories: ['plain0', 'order'] },
      { types: ['x.b'] },
      { types: ['x.a', 'x.c'] },
      { categories: ['user', 'cart'], types: ['x.a'] },
    ];
    for (const filter of cases) {
      const expected = all.filter(
        (e) =>
          (filter.categories === undefined || filter.categories.includes(category(e))) &&
          (filter.types === undefined || filter.types.includes(e.type)),
      );
      expect(ids(await collect(store.readAll({ filter }))), JSON.stringify(filter)).toEqual(ids(expected));
      const back = await collect(store.readAll({ filter, direction: 'backward', limit: 7 }));
      expect(ids(back), `backward ${JSON.stringify(filter)}`).toEqual(ids(expected).reverse().slice(0, 7));
      const from = expected[5]?.position ?? 0n;
      expect(ids(await collect(store.readAll({ filter, from, limit: 3 }))), `from ${from}`).toEqual(
        ids(expected.filter((e) => e.position >= from)).slice(0, 3),
      );
    }
  });

  it('EXPLAIN: a category page reads the category index in position order, with no sort of the matches', async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`vacuum analyze "${store.schema}".events`);
      // The store's own session settings (decision 0304).
      await client.query('set enable_seqscan = off; set jit = off');
      const ctx: ReadContext = {
        s: `"${store.schema}"`,
        codec: undefined,
        upcast: undefined,
        pageSize: 500,
        now: () => Date.now(),
      };
      const plan = async (categories: string[] | undefined, types?: string[]): Promise<string> => {
        // A page much smaller than the matches after the cursor: a catch-up over a backlog.
        const q = allPageQuery(ctx, { forward: true, filter: { categories, types } })(0n, 50);
        const rows = (await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${q.text}`, q.values)).rows;
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      };
      const one = await plan(['order']);
      expect(one, one).toMatch(
        /Index Scan using events_category on events e\s+Index Cond: \(\(category = 'order'::text\) AND \("position" >= /,
      );
      const sortNode = /(^|->)\s*Sort\s*$/m;
      expect(one, one).not.toMatch(sortNode);
      for (const [categories, types, index] of [
        [['order', 'pay'], undefined, 'events_category'],
        [undefined, ['x.a', 'x.b'], 'events_type'],
      ] as const) {
        const p = await plan(categories?.slice(), types?.slice());
        expect(p.match(new RegExp(`Index Scan using ${index} on events e`, 'g'))?.length, p).toBe(2);
        // Merged in position order (its "Sort Key" is the merge key); no Sort node over the matches.
        expect(p, p).toMatch(/Merge Append/);
        expect(p, p).not.toMatch(sortNode);
      }
      // Negative control: with the `= any(array)` form these replace, the same page walks the primary
      // key and tests every row (or, for a sparse value, sorts every match after the cursor).
      const naive = (
        await client.query<{ 'QUERY PLAN': string }>(
          `explain (costs off) select position from "${store.schema}".events e where e.position >= 0 and e.category = any($1::text[]) order by e.position limit 50`,
          [['order']],
        )
      ).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(naive, naive).toMatch(/Index Scan using events_pkey[\s\S]*Filter: \(category = ANY/);
      expect(one, one).not.toMatch(/events_pkey/);
    } finally {
      await client.end();
    }
  });
});
