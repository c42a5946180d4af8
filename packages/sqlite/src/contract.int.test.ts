import { eventStoreContract } from '@tidings/contract-tests';
import type { EventStore } from 'tidings';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './index.js';
import { sqliteReadModel } from './test-support/read-model.js';

// Every test gets its own file in one temp directory, removed after the suite.
const tmp = tempDir('tidings-contract-');
let files = 0;
const paths = new WeakMap<EventStore, string>();

eventStoreContract('sqlite', {
  async create(options) {
    const path = tmp.path(`store-${++files}.db`);
    const store = await sqliteEventStore(path, options ?? {});
    paths.set(store, path);
    return store;
  },
  // Another store object on the same file: its own connections, like another process.
  openPeer: (store) => sqliteEventStore(paths.get(store)!),
  dispose: () => Promise.resolve(tmp.remove()),
  readModel: sqliteReadModel,
  // Leases follow the store's clock option (one file, one host).
  leaseClock: 'clock-option',
});
