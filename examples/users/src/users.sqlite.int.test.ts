import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteEventStore } from '@tidings/sqlite';
import { afterAll } from 'vitest';
import { usersSuite } from './__fixtures__/users-suite.js';
import { sqliteUserViews } from './views.sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-users-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

usersSuite(
  'SQLite',
  () => sqliteEventStore(join(dir, `users-${++n}.db`)),
  () => sqliteUserViews(),
);
