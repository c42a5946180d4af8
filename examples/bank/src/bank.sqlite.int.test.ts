import { sqliteEventStore } from '@tidings/sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { bankSuite } from './__fixtures__/bank-suite.js';
import { sqliteBalanceViews } from './views.sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-bank-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

bankSuite(
  'SQLite',
  () => sqliteEventStore(join(dir, `bank-${++files}.db`)),
  () => sqliteBalanceViews(),
);
