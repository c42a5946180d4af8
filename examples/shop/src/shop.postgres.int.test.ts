import { postgresEventStore, type PostgresEventStore } from '@tidings/postgres';
import { afterAll } from 'vitest';
import { PG_URL, postgresReachable, schemas } from '../../../test-support/postgres.js';
import { shopSuite } from './__fixtures__/shop-suite.js';
import { postgresShopState } from './shop-state.postgres.js';

if (await postgresReachable('shop on PostgreSQL')) {
  const made = schemas('shop');
  afterAll(() => made.dropAll());
  shopSuite(
    'PostgreSQL',
    async () => {
      const store = postgresEventStore({ connectionString: PG_URL, schema: made.next(), poolSize: 2 });
      await store.migrate();
      return store;
    },
    (store) => postgresShopState((store as PostgresEventStore).schema),
  );
}
