import type { ReadModelHarness } from '@tidings/contract-tests';
import type { PoolClient } from 'pg';
import type { PostgresEventStore } from '../index.js';

const table = (store: unknown): string => `"${(store as PostgresEventStore).schema}".read_model`;

/** The application's own table in the store's schema, written through `tx.connection`. */
export const postgresReadModel: ReadModelHarness = {
  async write(store, tx, key, value) {
    const c = tx.connection as PoolClient;
    await c.query(`create table if not exists ${table(store)} (k text primary key, v integer not null)`);
    await c.query(`insert into ${table(store)} (k, v) values ($1, $2) on conflict (k) do update set v = excluded.v`, [
      key,
      value,
    ]);
  },
  read: (store, key) =>
    store.transaction(async (tx) => {
      const c = tx.connection as PoolClient;
      await c.query(`create table if not exists ${table(store)} (k text primary key, v integer not null)`);
      const { rows } = await c.query<{ v: number }>(`select v from ${table(store)} where k = $1`, [key]);
      return rows[0]?.v;
    }),
};
