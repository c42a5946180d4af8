import { eventStoreContract } from '@tidings/contract-tests';
import { afterAll } from 'vitest';
import { postgresEventStore, type PostgresEventStore } from './index.js';
import { postgresReadModel } from './test-support/read-model.js';
import { dropSchema, PG_URL, pgAvailable, randomSchema } from './test-support/pg-env.js';

const available = await pgAvailable();

if (available) {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropSchema(s);
  });
  eventStoreContract('postgres', {
    async create(options) {
      const schema = randomSchema('contract');
      schemas.push(schema);
      // headPollMs short: the contract's head tests wait for wake-ups with generous bounds.
      const store = postgresEventStore({
        connectionString: PG_URL,
        schema,
        migrate: true,
        poolSize: 4,
        headPollMs: 50,
        ...options,
      });
      await store.migrate();
      return store;
    },
    readModel: postgresReadModel,
    // Leases follow the database clock (clock_timestamp()): the suite takes short leases and polls.
    leaseClock: 'server',
    // Another store on the same schema with its own pool and LISTEN connection, like another process.
    openPeer: (store) =>
      Promise.resolve(
        postgresEventStore({ connectionString: PG_URL, schema: (store as PostgresEventStore).schema, poolSize: 4 }),
      ),
  });
}
