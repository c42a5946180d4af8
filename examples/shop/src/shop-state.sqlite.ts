import { sqliteTable } from '@tidings/sqlite';
import type { Database } from 'better-sqlite3';
import type { ShopState } from './shop-state.js';

/** The observers' state as a table in the store's SQLite file. */
export function sqliteShopState(): ShopState<string, Database> {
  const readModel = sqliteTable({
    name: 'shop_state',
    create: (db, table) => db.exec(`CREATE TABLE ${table} (k TEXT PRIMARY KEY, v TEXT NOT NULL)`),
  });
  return {
    readModel,
    get: (table, db, key) => {
      const v = db.prepare(`SELECT v FROM ${table} WHERE k = ?`).pluck().get(key) as string | undefined;
      return v === undefined ? undefined : (JSON.parse(v) as unknown);
    },
    set: (table, db, key, value) =>
      db
        .prepare(`INSERT INTO ${table} (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`)
        .run(key, JSON.stringify(value)),
    list: (store, prefix) =>
      store.transaction(async (tx) => {
        const table = await readModel.target(tx);
        const rows = tx.connection
          .prepare(`SELECT v FROM ${table} WHERE substr(k, 1, ?) = ? ORDER BY k`)
          .pluck()
          .all(prefix.length, prefix) as string[];
        return rows.map((v) => JSON.parse(v) as unknown);
      }),
  };
}
