import { postgresTable } from '@tidings/postgres';
import type { PoolClient } from 'pg';
import type { EventStore } from 'tidings';
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

/** The users read model as a table in the store's PostgreSQL schema. */
export function postgresUserViews(schema: string): UserViews<string, PoolClient> {
  const readModel = postgresTable({
    name: 'user_views',
    schema,
    create: async (c, table, bare) => {
      await c.query(`create table ${table} (user_id text primary key, email text not null, name text not null,
        status text not null, version integer not null)`);
      await c.query(`create index ${bare}_by_status on ${table} (status, user_id)`);
    },
  });
  const read = <T>(store: EventStore<PoolClient>, fn: (c: PoolClient, table: string) => Promise<T>) =>
    store.transaction(async (tx) => fn(tx.connection, await readModel.target(tx)));
  return {
    readModel,
    load: async (table, c, userId) => {
      const { rows } = await c.query<Row>(`select * from ${table} where user_id = $1`, [userId]);
      return rows[0] && toView(rows[0]);
    },
    save: (table, c, v) =>
      c.query(
        `insert into ${table} (user_id, email, name, status, version) values ($1, $2, $3, $4, $5)
         on conflict (user_id) do update set email = excluded.email, name = excluded.name,
         status = excluded.status, version = excluded.version`,
        [v.userId, v.email, v.name, v.status, v.version],
      ),
    get: (store, userId) =>
      read(store, async (c, table) => {
        const { rows } = await c.query<Row>(`select * from ${table} where user_id = $1`, [userId]);
        return rows[0] && toView(rows[0]);
      }),
    list: (store, status) =>
      read(store, async (c, table) => {
        const { rows } =
          status === undefined
            ? await c.query<Row>(`select * from ${table} order by user_id`)
            : await c.query<Row>(`select * from ${table} where status = $1 order by user_id`, [status]);
        return rows.map(toView);
      }),
  };
}
