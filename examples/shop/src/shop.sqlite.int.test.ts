import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { sqliteEventStore } from '@tidings/sqlite';
import { shopSuite } from './__fixtures__/shop-suite.js';
import { sqliteShopState } from './shop-state.sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-shop-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

shopSuite(
  'SQLite',
  () => sqliteEventStore(join(dir, `shop-${++n}.db`)),
  () => sqliteShopState(),
);
