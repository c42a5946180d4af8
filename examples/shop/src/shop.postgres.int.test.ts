import { postgresEventStore } from '@tidings/postgres';
import { afterAll } from 'vitest';
import { PG_URL, postgresReachable, schemas } from '../../../test-support/postgres.js';
import { shopSuite } from './__fixtures__/shop-suite.js';

if (await postgresReachable('shop on PostgreSQL')) {
  const made = schemas('shop');
  afterAll(() => made.dropAll());
  shopSuite('PostgreSQL', async () => {
    const store = postgresEventStore({ connectionString: PG_URL, schema: made.next(), poolSize: 2 });
    await store.migrate();
    return store;
  });
}
