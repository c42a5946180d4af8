import { sqliteTable } from '@tidings/sqlite';
import type { Database } from 'better-sqlite3';
import type { UserViews } from './directory.js';
import type { UserStatus, UserView } from './messages.js';

interface Row {
  user_id: string;
  email: string;
  name: string;
  status: UserStatus;
  version: number;
}
const toView = (r: Row): UserView => ({
  userId: r.user_id,
  email: r.email,
  name: r.name,
  status: r.status,
  version: r.version,
});

/** The users read model as a table in the store's SQLite file. */
export function sqliteUserViews(): UserViews<string, Database> {
  const readModel = sqliteTable({
    name: 'user_views',
    create: (db, table) => {
      db.exec(`CREATE TABLE ${table} (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
        status TEXT NOT NULL, version INTEGER NOT NULL)`);
      db.exec(`CREATE INDEX ${table}_by_status ON ${table} (status, user_id)`);
    },
  });
  // Queries read the live table inside a store transaction (the store's own connection).
  const read = <T>(store: Parameters<UserViews<string, Database>['get']>[0], fn: (db: Database, table: string) => T) =>
    store.transaction(async (tx) => fn(tx.connection, await readModel.target(tx)));
  return {
    readModel,
    load: (table, db, userId) => {
      const row = db.prepare(`SELECT * FROM ${table} WHERE user_id = ?`).get(userId) as Row | undefined;
      return row && toView(row);
    },
    save: (table, db, v) =>
      db
        .prepare(
          `INSERT INTO ${table} (user_id, email, name, status, version) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name,
           status = excluded.status, version = excluded.version`,
        )
        .run(v.userId, v.email, v.name, v.status, v.version),
    get: (store, userId) =>
      read(store, (db, table) => {
        const row = db.prepare(`SELECT * FROM ${table} WHERE user_id = ?`).get(userId) as Row | undefined;
        return row && toView(row);
      }),
    list: (store, status) =>
      read(store, (db, table) =>
        (status === undefined
          ? (db.prepare(`SELECT * FROM ${table} ORDER BY user_id`).all() as Row[])
          : (db.prepare(`SELECT * FROM ${table} WHERE status = ? ORDER BY user_id`).all(status) as Row[])
        ).map(toView),
      ),
  };
}
