import { postgresTable } from '@tidings/postgres';
import type { PoolClient } from 'pg';
import type { BalanceViews } from './balances.js';
import type { Balance } from './messages.js';

interface Row {
  account_id: string;
  owner: string;
  balance: string | number;
  open: boolean;
  version: number;
}
const toBalance = (r: Row): Balance => ({
  accountId: r.account_id,
  owner: r.owner,
  balance: Number(r.balance),
  open: r.open,
  version: r.version,
});

/** The balances read model as a table in the store's PostgreSQL schema. */
export function postgresBalanceViews(schema: string): BalanceViews<string, PoolClient> {
  const readModel = postgresTable({
    name: 'balances',
    schema,
    create: (c, table) =>
      c.query(`create table ${table} (account_id text primary key, owner text not null, balance bigint not null,
        open boolean not null, version integer not null)`),
  });
  return {
    readModel,
    load: async (table, c, accountId) => {
      const { rows } = await c.query<Row>(`select * from ${table} where account_id = $1`, [accountId]);
      return rows[0] && toBalance(rows[0]);
    },
    save: (table, c, b) =>
      c.query(
        `insert into ${table} (account_id, owner, balance, open, version) values ($1, $2, $3, $4, $5)
         on conflict (account_id) do update set owner = excluded.owner, balance = excluded.balance,
         open = excluded.open, version = excluded.version`,
        [b.accountId, b.owner, b.balance, b.open, b.version],
      ),
    list: (store) =>
      store.transaction(async (tx) => {
        const table = await readModel.target(tx);
        const { rows } = await tx.connection.query<Row>(`select * from ${table} order by account_id`);
        return rows.map(toBalance);
      }),
  };
}
