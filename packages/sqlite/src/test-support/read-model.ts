import type { ReadModelHarness } from '@tidings/contract-tests';
import type { Database } from 'better-sqlite3';

const TABLE = 'CREATE TABLE IF NOT EXISTS read_model (k TEXT PRIMARY KEY, v INTEGER NOT NULL)';

/** The application's own table in the store's file, written through `tx.connection`. */
export const sqliteReadModel: ReadModelHarness = {
  write(_store, tx, key, value) {
    const db = tx.connection as Database;
    db.exec(TABLE);
    db.prepare('INSERT INTO read_model (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(
      key,
      value,
    );
    return Promise.resolve();
  },
  read: (store, key) =>
    store.transaction((tx) => {
      const db = tx.connection as Database;
      db.exec(TABLE);
      return Promise.resolve(db.prepare('SELECT v FROM read_model WHERE k = ?').pluck().get(key) as number | undefined);
    }),
};
