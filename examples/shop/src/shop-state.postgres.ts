import { postgresTable } from '@tidings/postgres';
import type { PoolClient } from 'pg';
import type { ShopState } from './shop-state.js';

/** The observers' state as a table in the store's PostgreSQL schema. */
export function postgresShopState(schema: string): ShopState<string, PoolClient> {
  const readModel = postgresTable({
    name: 'shop_state',
    schema,
    create: (c, table) => c.query(`create table ${table} (k text primary key, v jsonb not null)`),
  });
  return {
    readModel,
    get: async (table, c, key) =>
      (await c.query<{ v: unknown }>(`select v from ${table} where k = $1`, [key])).rows[0]?.v,
    set: (table, c, key, value) =>
      c.query(`insert into ${table} (k, v) values ($1, $2) on conflict (k) do update set v = excluded.v`, [
        key,
        JSON.stringify(value),
      ]),
    list: (store, prefix) =>
      store.transaction(async (tx) => {
        const table = await readModel.target(tx);
        const { rows } = await tx.connection.query<{ v: unknown }>(
          `select v from ${table} where starts_with(k, $1) order by k`,
          [prefix],
        );
        return rows.map((r) => r.v);
      }),
  };
}
