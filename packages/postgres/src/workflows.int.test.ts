import { workflowSuite } from '@tidings/contract-tests';
import { afterAll } from 'vitest';
import { storeFactory } from './test-support/open-store.js';
import { pgAvailable } from './test-support/pg-env.js';

if (await pgAvailable()) {
  const stores = storeFactory('workflows');
  afterAll(() => stores.cleanup());
  workflowSuite('PostgreSQL', () => stores.open());
}
