import { eventStoreContract } from '@tidings/contract-tests';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './index.js';
import { sqliteReadModel } from './test-support/read-model.js';

// Every test gets its own file in one temp directory, removed after the suite.
const tmp = tempDir('tidings-contract-');
let files = 0;

eventStoreContract('sqlite', {
  create: (options) => sqliteEventStore(tmp.path(`store-${++files}.db`), options ?? {}),
  dispose: () => Promise.resolve(tmp.remove()),
  readModel: sqliteReadModel,
  // Leases follow the store's clock option (one file, one host).
  leaseClock: 'clock-option',
});
