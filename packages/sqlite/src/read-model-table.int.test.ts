import type { Database } from 'better-sqlite3';
import { defineEvent, defineProjection, payload, rebuildProjection } from 'tidings';
import { runToHead } from 'tidings/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore, sqliteTable } from './index.js';

const tmp = tempDir('tidings-read-model-');
let files = 0;
afterAll(() => tmp.remove());

const Paid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());

function totals() {
  return defineProjection({
    name: 'totals',
    events: [Paid],
    readModel: sqliteTable({
      name: 'totals',
      create: (db, table) => {
        db.exec(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, total INTEGER NOT NULL)`);
        db.exec(`CREATE INDEX ${table}_by_total ON ${table} (total)`);
      },
    }),
    handle: (events, { tx, target }) => {
      const upsert = tx.connection.prepare(
        `INSERT INTO ${target} (id, total) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET total = total + excluded.total`,
      );
      for (const e of events) upsert.run(e.data.orderId, e.data.amount);
    },
  });
}

const rows = (db: Database) => db.prepare('SELECT id, total FROM totals ORDER BY id').all();

describe('sqliteTable read model', () => {
  it('projects into the table and rebuilds it through a shadow table, twice (index names never clash)', async () => {
    const file = tmp.path(`rm-${++files}.db`);
    await using store = await sqliteEventStore(file);
    const projection = totals();
    for (let i = 0; i < 30; i++) await store.append(`order-${i % 4}`, [Paid({ orderId: `o${i % 4}`, amount: i })]);
    await runToHead(store, projection.processor);
    const expected = await store.transaction((tx) => Promise.resolve(rows(tx.connection)));
    expect(expected).toHaveLength(4);
    await store.transaction((tx) =>
      Promise.resolve(tx.connection.exec("UPDATE totals SET total = -1 WHERE id = 'o1'")),
    );
    const result = await rebuildProjection(store, projection, { batchSize: 7 });
    expect(result).toMatchObject({ events: 30, position: 30n });
    expect(await store.transaction((tx) => Promise.resolve(rows(tx.connection)))).toEqual(expected);
    await rebuildProjection(store, projection);
    const tables = await store.transaction((tx) =>
      Promise.resolve(
        tx.connection
          .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'totals%' AND type = 'table'")
          .pluck()
          .all(),
      ),
    );
    expect(tables).toEqual(['totals']);
    await store.append('order-9', [Paid({ orderId: 'o9', amount: 5 })]);
    const [status] = await runToHead(store, projection.processor);
    expect(status!.handled).toBe(1);
  });

  it('keeps the live table when a rebuild fails, and drops the shadow', async () => {
    await using store = await sqliteEventStore(tmp.path(`rm-${++files}.db`));
    const projection = totals();
    await store.append('order-1', [Paid({ orderId: 'o1', amount: 1 })]);
    await runToHead(store, projection.processor);
    const failing = defineProjection({
      name: 'totals',
      events: [Paid],
      readModel: projection.readModel,
      handle: () => {
        throw new Error('nope');
      },
    });
    await expect(rebuildProjection(store, failing)).rejects.toThrow('nope');
    const tables = await store.transaction((tx) =>
      Promise.resolve(
        tx.connection
          .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'totals%' AND type = 'table'")
          .pluck()
          .all(),
      ),
    );
    expect(tables).toEqual(['totals']);
    expect(await store.transaction((tx) => Promise.resolve(rows(tx.connection)))).toEqual([{ id: 'o1', total: 1 }]);
  });

  it('refuses a bad table name', () => {
    expect(() => sqliteTable({ name: 'x; drop', create: () => undefined })).toThrow(/plain identifier/);
  });
});
