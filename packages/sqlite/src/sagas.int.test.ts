import { sagaSuite } from '@tidings/contract-tests';
import { afterAll } from 'vitest';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './index.js';

const tmp = tempDir('tidings-sagas-');
let files = 0;
afterAll(() => tmp.remove());

sagaSuite('SQLite', () => sqliteEventStore(tmp.path(`sagas-${++files}.db`)));
