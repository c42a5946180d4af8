import Database from 'better-sqlite3';
import type { RecordedEvent } from 'tidings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore, type SqliteEventStore } from './index.js';
import { pageQuery, type PageQuery } from './page-filter.js';

const tmp = tempDir('tidings-page-filter-');
const CATEGORIES = ['order', 'user', 'cart', 'pay', 'ship', 'stock', 'mail', 'audit', 'misc', 'plain'];
const TYPES = ['x.a', 'x.b', 'x.c'];
let store: SqliteEventStore;
let all: RecordedEvent[];

beforeAll(async () => {
  store = await sqliteEventStore(tmp.path());
  for (let b = 0; b < 60; b++) {
    await Promise.all(
      CATEGORIES.map((c, i) =>
        store.append(c === 'plain' ? `plain${b % 3}` : `${c}-${b % 4}`, [
          { type: TYPES[(b + i) % 3]!, data: { b, i } },
        ]),
      ),
    );
  }
  all = await collect(store.readAll());
});
afterAll(async () => {
  await store.close();
  tmp.remove();
});

const category = (e: RecordedEvent): string => e.streamId.split('-')[0]!;
const ids = (events: readonly RecordedEvent[]): bigint[] => events.map((e) => e.position);

describe('sqlite: filtered pages use the (value, position) indexes', () => {
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

  it('EXPLAIN: a category page reads the category index in position order, with no sort', () => {
    const db = new Database(tmp.path(), { readonly: true });
    try {
      const base: PageQuery = {
        cursor: 0,
        n: 500,
        backward: false,
        endBefore: undefined,
        types: undefined,
        categories: undefined,
        restricted: false,
        now: 0,
      };
      const explain = (sql: string, params: Record<string, unknown> = {}): string =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail).join('\n');
      const plan = (q: Partial<PageQuery>): string => {
        const { sql, params } = pageQuery({ ...base, ...q });
        return explain(sql, params);
      };
      // One value: the index range is already in position order, and the LIMIT ends the scan.
      const one = plan({ categories: ['user'] });
      expect(one, one).toMatch(/SEARCH e USING INDEX events_by_category \(<expr>=\? AND position>\?\)/);
      expect(one, one).not.toMatch(/TEMP B-TREE/);
      const backward = plan({ categories: ['user'], backward: true, cursor: 1_000_000 });
      expect(backward, backward).toMatch(/SEARCH e USING INDEX events_by_category \(<expr>=\? AND position<\?\)/);
      expect(backward, backward).not.toMatch(/TEMP B-TREE/);
      // A few values: one limited range per value, merged. The only sorts are of a branch's page
      // (at most n rows, for the merge), never of every match after the cursor.
      for (const q of [{ categories: ['user', 'pay'] }, { types: ['x.a', 'x.b'] }]) {
        const p = plan(q);
        const index = q.categories === undefined ? 'events_by_type \\(type' : 'events_by_category \\(<expr>';
        expect(p.match(new RegExp(`SEARCH e USING INDEX ${index}=\\? AND position>\\?\\)`, 'g'))?.length, p).toBe(2);
        const lines = p.split('\n');
        lines.forEach((line, i) => {
          if (/TEMP B-TREE/.test(line)) expect(lines[i - 1], p).toMatch(/^SCAN \(subquery-\d+\)$/);
        });
      }
      // Many values: the position order of the table itself, tested row by row.
      const many = plan({ categories: CATEGORIES.slice(0, 9) });
      expect(many, many).toMatch(/SEARCH e USING INTEGER PRIMARY KEY \(rowid>\?\)/);
      expect(many, many).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
      // Negative control: the IN form over the index, which these replace, sorts every match.
      const naive = `SELECT * FROM events e WHERE e.position >= 0 AND substr(e.stream_id, 1, instr(e.stream_id || '-', '-') - 1) IN ('user', 'pay') ORDER BY e.position LIMIT 500`;
      expect(explain(naive), explain(naive)).toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    } finally {
      db.close();
    }
  });
});
