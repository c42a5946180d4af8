import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { sqliteEventStore } from '@tidings/sqlite';
import { flashSaleSuite } from './__fixtures__/flash-sale-suite.js';
import { sqliteShopState } from './shop-state.sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-flash-sale-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

flashSaleSuite(
  'SQLite',
  () => sqliteEventStore(join(dir, `sale-${++n}.db`)),
  () => sqliteShopState(),
);
