import { workflowSuite } from '@tidings/contract-tests';
import { afterAll } from 'vitest';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './index.js';

const tmp = tempDir('tidings-workflows-');
let files = 0;
afterAll(() => tmp.remove());

workflowSuite('SQLite', () => sqliteEventStore(tmp.path(`workflows-${++files}.db`)));
