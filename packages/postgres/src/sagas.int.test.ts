import { sagaSuite } from '@tidings/contract-tests';
import { afterAll } from 'vitest';
import { storeFactory } from './test-support/open-store.js';
import { pgAvailable } from './test-support/pg-env.js';

if (await pgAvailable()) {
  const stores = storeFactory('sagas');
  afterAll(() => stores.cleanup());
  sagaSuite('PostgreSQL', () => stores.open());
}
