import { postgresEventStore, type PostgresEventStore } from '@tidings/postgres';
import { afterAll } from 'vitest';
import { PG_URL, postgresReachable, schemas } from '../../../test-support/postgres.js';
import { flashSaleSuite } from './__fixtures__/flash-sale-suite.js';
import { postgresShopState } from './shop-state.postgres.js';

if (await postgresReachable('flash sale on PostgreSQL')) {
  const made = schemas('flashsale');
  afterAll(() => made.dropAll());
  flashSaleSuite(
    'PostgreSQL',
    async () => {
      const store = postgresEventStore({ connectionString: PG_URL, schema: made.next(), poolSize: 3 });
      await store.migrate();
      return store;
    },
    (store) => postgresShopState((store as PostgresEventStore).schema),
  );
}
