import { appFacadeSuite } from '@tidings/contract-tests';
import type { PoolClient } from 'pg';
import { afterAll } from 'vitest';
import { postgresTable, type PostgresEventStore } from './index.js';
import { storeFactory } from './test-support/open-store.js';
import { pgAvailable } from './test-support/pg-env.js';

if (await pgAvailable()) {
  const stores = storeFactory('app');
  afterAll(() => stores.cleanup());
  appFacadeSuite<string, PoolClient>(
    'PostgreSQL',
    () => stores.open(),
    (store) => {
      const schema = (store as PostgresEventStore).schema;
      return {
        readModel: postgresTable({
          name: 'totals',
          schema,
          create: (c, table) => c.query(`create table ${table} (k text primary key, v integer not null)`),
        }),
        add: (table, c, key, amount) =>
          c.query(
            `insert into ${table} (k, v) values ($1, $2) on conflict (k) do update set v = ${table}.v + excluded.v`,
            [key, amount],
          ),
        read: (s) =>
          s.transaction(async (tx) =>
            (
              await tx.connection.query<{ k: string; v: number }>(`select k, v from "${schema}".totals order by k`)
            ).rows.map((r) => [r.k, r.v] as [string, number]),
          ),
      };
    },
  );
}
