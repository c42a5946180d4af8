import { defineEvent, defineProjection, payload, rebuildProjection } from 'tidings';
import { runToHead } from 'tidings/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresTable, type PostgresEventStore } from './index.js';
import { storeFactory } from './test-support/open-store.js';
import { pgAvailable } from './test-support/pg-env.js';

const available = await pgAvailable();
const stores = storeFactory('rm');
afterAll(() => stores.cleanup());

const Paid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());

function totals(store: PostgresEventStore) {
  return defineProjection({
    name: 'totals',
    events: [Paid],
    readModel: postgresTable({
      name: 'totals',
      schema: store.schema,
      create: async (c, table, bare) => {
        await c.query(`create table ${table} (id text primary key, total bigint not null)`);
        await c.query(`create index ${bare}_by_total on ${table} (total)`);
      },
    }),
    handle: async (events, { tx, target }) => {
      await tx.connection.query(
        `insert into ${target} (id, total) select * from unnest($1::text[], $2::bigint[])
         on conflict (id) do update set total = ${target}.total + excluded.total`,
        [events.map((e) => e.data.orderId), events.map((e) => e.data.amount)],
      );
    },
  });
}

describe.skipIf(!available)('postgresTable read model', () => {
  it('projects into the table and rebuilds it through a shadow table, twice', async () => {
    const store = await stores.open();
    const projection = totals(store);
    // One order per stream, so per-unit aggregation in the upsert cannot collide within a statement.
    for (let i = 0; i < 30; i++) await store.append(`order-${i}`, [Paid({ orderId: `o${i}`, amount: i })]);
    await runToHead(store, projection.processor);
    const read = () =>
      store.transaction(
        async (tx) =>
          (
            await tx.connection.query<{ id: string; total: number }>(
              `select id, total::int from "${store.schema}".totals order by id`,
            )
          ).rows,
      );
    const expected = await read();
    expect(expected).toHaveLength(30);
    await store.transaction((tx) => tx.connection.query(`update "${store.schema}".totals set total = -1`));
    expect(await rebuildProjection(store, projection, { batchSize: 7 })).toMatchObject({ events: 30, position: 30n });
    expect(await read()).toEqual(expected);
    await rebuildProjection(store, projection);
    expect(await read()).toEqual(expected);
    const tables = await store.transaction(
      async (tx) =>
        (
          await tx.connection.query<{ tablename: string }>(
            `select tablename from pg_tables where schemaname = $1 and tablename like 'totals%'`,
            [store.schema],
          )
        ).rows,
    );
    expect(tables).toEqual([{ tablename: 'totals' }]);
    await store.append('order-99', [Paid({ orderId: 'o99', amount: 5 })]);
    const [status] = await runToHead(store, projection.processor);
    expect(status!.handled).toBe(1);
  });
});
