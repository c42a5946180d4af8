import { postgresEventStore, type PostgresEventStore } from '@tidings/postgres';
import { afterAll } from 'vitest';
import { PG_URL, postgresReachable, schemas } from '../../../test-support/postgres.js';
import { bankSuite } from './__fixtures__/bank-suite.js';
import { postgresBalanceViews } from './views.postgres.js';

if (await postgresReachable('the bank on PostgreSQL')) {
  const made = schemas('bank');
  afterAll(() => made.dropAll());
  bankSuite(
    'PostgreSQL',
    async () => {
      const store = postgresEventStore({ connectionString: PG_URL, schema: made.next(), poolSize: 4 });
      await store.migrate();
      return store;
    },
    (store) => postgresBalanceViews((store as PostgresEventStore).schema),
  );
}
