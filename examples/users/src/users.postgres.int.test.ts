import { postgresEventStore, type PostgresEventStore } from '@tidings/postgres';
import { afterAll } from 'vitest';
import { PG_URL, postgresReachable, schemas } from '../../../test-support/postgres.js';
import { usersSuite } from './__fixtures__/users-suite.js';
import { postgresUserViews } from './views.postgres.js';

if (await postgresReachable('users on PostgreSQL')) {
  const made = schemas('users');
  afterAll(() => made.dropAll());
  usersSuite(
    'PostgreSQL',
    async () => {
      const store = postgresEventStore({ connectionString: PG_URL, schema: made.next(), poolSize: 2 });
      await store.migrate();
      return store;
    },
    (store) => postgresUserViews((store as PostgresEventStore).schema),
  );
}
