import { sqliteTable } from '@tidings/sqlite';
import type { Database } from 'better-sqlite3';
import type { BalanceViews } from './balances.js';
import type { Balance } from './messages.js';

interface Row {
  account_id: string;
  owner: string;
  balance: number;
  open: number;
  version: number;
}
const toBalance = (r: Row): Balance => ({
  accountId: r.account_id,
  owner: r.owner,
  balance: r.balance,
  open: r.open === 1,
  version: r.version,
});

/** The balances read model as a table in the store's SQLite file. */
export function sqliteBalanceViews(): BalanceViews<string, Database> {
  const readModel = sqliteTable({
    name: 'balances',
    create: (db, table) =>
      db.exec(`CREATE TABLE ${table} (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL,
        open INTEGER NOT NULL, version INTEGER NOT NULL)`),
  });
  return {
    readModel,
    load: (table, db, accountId) => {
      const row = db.prepare(`SELECT * FROM ${table} WHERE account_id = ?`).get(accountId) as Row | undefined;
      return row && toBalance(row);
    },
    save: (table, db, b) =>
      db
        .prepare(
          `INSERT INTO ${table} (account_id, owner, balance, open, version) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET owner = excluded.owner, balance = excluded.balance,
           open = excluded.open, version = excluded.version`,
        )
        .run(b.accountId, b.owner, b.balance, b.open ? 1 : 0, b.version),
    list: (store) =>
      store.transaction(async (tx) => {
        const table = await readModel.target(tx);
        return (tx.connection.prepare(`SELECT * FROM ${table} ORDER BY account_id`).all() as Row[]).map(toBalance);
      }),
  };
}
