import { appFacadeSuite } from '@tidings/contract-tests';
import type { Database } from 'better-sqlite3';
import { afterAll } from 'vitest';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore, sqliteTable } from './index.js';

const tmp = tempDir('tidings-app-');
let files = 0;
afterAll(() => tmp.remove());

appFacadeSuite<string, Database>(
  'SQLite',
  () => sqliteEventStore(tmp.path(`app-${++files}.db`)),
  () => ({
    readModel: sqliteTable({
      name: 'totals',
      create: (db, table) => db.exec(`CREATE TABLE ${table} (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`),
    }),
    add: (table, db, key, amount) =>
      db
        .prepare(`INSERT INTO ${table} (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = v + excluded.v`)
        .run(key, amount),
    read: (store) =>
      store.transaction((tx) =>
        Promise.resolve(
          (tx.connection.prepare('SELECT k, v FROM totals ORDER BY k').all() as { k: string; v: number }[]).map(
            (r) => [r.k, r.v] as [string, number],
          ),
        ),
      ),
  }),
);
