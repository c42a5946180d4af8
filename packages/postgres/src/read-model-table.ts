import type { PoolClient } from 'pg';
import { ValidationError, type ReadModel, type ReadModelShadow, type StoreTransaction } from 'tidings';

/** Options of {@link postgresTable}. */
export interface PostgresTableOptions {
  /** The live table's name: lower-case letters, digits and `_`, starting with a letter or `_`. */
  readonly name: string;
  /** The schema holding it; default `'public'`. Usually the store's own schema (`store.schema`). */
  readonly schema?: string;
  /**
   * Creates the table (and its indexes). `table` is the schema-qualified name to create (the live
   * one, or a shadow during a rebuild); `bare` is its unqualified name, to derive index names from
   * (`${bare}_by_status`) so they never clash.
   */
  readonly create: (client: PoolClient, table: string, bare: string) => Promise<unknown>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;
const SHADOW = '__rebuild_';

/**
 * A projection's read model kept as a table in the store's database: it commits with the
 * checkpoint (exactly once), and a rebuild fills a shadow table (`<name>__rebuild_<id>`) swapped
 * in by `DROP TABLE` + `ALTER TABLE … RENAME` in the checkpoint's transaction (queries block on
 * the swap's lock for its duration, then read the new table). The handler's `target` is the
 * schema-qualified table name to write into.
 *
 * @example
 * const users = postgresTable({
 *   name: 'users_view',
 *   schema: store.schema,
 *   create: async (client, table, bare) => {
 *     await client.query(`create table ${table} (id text primary key, status text not null)`);
 *     await client.query(`create index ${bare}_by_status on ${table} (status)`);
 *   },
 * });
 */
export function postgresTable(options: PostgresTableOptions): ReadModel<string, PoolClient> {
  if (typeof options !== 'object' || options === null || typeof options.create !== 'function') {
    throw new ValidationError('postgresTable: expected { name, schema?, create(client, table, bare) }.', [], {
      code: 'INVALID_OPTION',
    });
  }
  const { name, create } = options;
  const schema = options.schema ?? 'public';
  for (const [key, value] of [
    ['name', name],
    ['schema', schema],
  ] as const) {
    if (typeof value !== 'string' || !IDENTIFIER.test(value) || (key === 'name' && value.includes(SHADOW))) {
      throw new ValidationError(
        `postgresTable: '${key}' must be a lower-case identifier (a-z, 0-9, _; at most 41 characters${key === 'name' ? `; not containing '${SHADOW}'` : ''}), got ${JSON.stringify(value)}.`,
        [{ path: [key], message: 'not an identifier' }],
        { code: 'INVALID_OPTION' },
      );
    }
  }
  const qualified = (table: string): string => `"${schema}"."${table}"`;
  let ensured = false;
  return {
    name,
    async target(tx: StoreTransaction<PoolClient>): Promise<string> {
      if (!ensured) {
        const c = tx.connection;
        const { rows } = await c.query<{ t: string | null }>('select to_regclass($1)::text as t', [qualified(name)]);
        if (rows[0]?.t == null) await create(c, qualified(name), name);
        ensured = true;
      }
      return qualified(name);
    },
    async createShadow(tx: StoreTransaction<PoolClient>): Promise<ReadModelShadow<string, PoolClient>> {
      const c = tx.connection;
      const { rows } = await c.query<{ t: string }>(
        `select tablename as t from pg_tables where schemaname = $1 and starts_with(tablename, $2)`,
        [schema, `${name}${SHADOW}`],
      );
      for (const { t } of rows) await c.query(`drop table if exists ${qualified(t)}`);
      const shadow = `${name}${SHADOW}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
      await create(c, qualified(shadow), shadow);
      return {
        target: () => qualified(shadow),
        async swap(swapTx: StoreTransaction<PoolClient>) {
          await swapTx.connection.query(`drop table if exists ${qualified(name)}`);
          await swapTx.connection.query(`alter table ${qualified(shadow)} rename to "${name}"`);
          ensured = true;
        },
        async drop(dropTx: StoreTransaction<PoolClient>) {
          await dropTx.connection.query(`drop table if exists ${qualified(shadow)}`);
        },
      };
    },
  };
}
