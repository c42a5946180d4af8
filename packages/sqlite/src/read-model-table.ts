import type { Database as Db } from 'better-sqlite3';
import { ValidationError, type ReadModel, type ReadModelShadow, type StoreTransaction } from 'tidings';

/** Options of {@link sqliteTable}. */
export interface SqliteTableOptions {
  /** The live table's name: letters, digits and `_`, starting with a letter or `_`. */
  readonly name: string;
  /**
   * Creates the table (and its indexes) under the name given: the live name, or a shadow name
   * during a rebuild. Derive index names from `table` (`${table}_by_status`) so they never clash.
   */
  readonly create: (db: Db, table: string) => void;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/;
const SHADOW = '__rebuild_';

/**
 * A projection's read model kept as a table in the store's SQLite file: it commits with the
 * checkpoint (exactly once), and a rebuild fills a shadow table (`<name>__rebuild_<id>`) swapped
 * in by `DROP TABLE` + `ALTER TABLE … RENAME` in the checkpoint's transaction. The handler's
 * `target` is the table name to write into; queries read the live name.
 *
 * @example
 * const users = sqliteTable({
 *   name: 'users_view',
 *   create: (db, table) => {
 *     db.exec(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, status TEXT NOT NULL)`);
 *     db.exec(`CREATE INDEX ${table}_by_status ON ${table} (status)`);
 *   },
 * });
 * // in a projection: (events, { tx, target }) => tx.connection.prepare(`INSERT INTO ${target} …`).run(…)
 */
export function sqliteTable(options: SqliteTableOptions): ReadModel<string, Db> {
  if (typeof options !== 'object' || options === null || typeof options.create !== 'function') {
    throw new ValidationError('sqliteTable: expected { name, create(db, table) }.', [], { code: 'INVALID_OPTION' });
  }
  const { name, create } = options;
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.includes(SHADOW)) {
    throw new ValidationError(
      `sqliteTable: 'name' must be a plain identifier (letters, digits, _; at most 41 characters; not containing '${SHADOW}'), got ${JSON.stringify(name)}.`,
      [{ path: ['name'], message: 'not an identifier' }],
      { code: 'INVALID_OPTION' },
    );
  }
  const ensured = new WeakSet<Db>();
  const exists = (db: Db, table: string): boolean =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  return {
    name,
    target(tx: StoreTransaction<Db>): string {
      const db = tx.connection;
      if (!ensured.has(db)) {
        if (!exists(db, name)) create(db, name);
        ensured.add(db);
      }
      return name;
    },
    createShadow(tx: StoreTransaction<Db>): Promise<ReadModelShadow<string, Db>> {
      const db = tx.connection;
      const stale = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ?")
        .pluck()
        .all(`${name}${SHADOW}*`) as string[];
      for (const table of stale) db.exec(`DROP TABLE "${table}"`);
      const shadow = `${name}${SHADOW}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
      create(db, shadow);
      return Promise.resolve({
        target: () => shadow,
        swap(swapTx: StoreTransaction<Db>) {
          swapTx.connection.exec(`DROP TABLE IF EXISTS "${name}"; ALTER TABLE "${shadow}" RENAME TO "${name}"`);
          return Promise.resolve();
        },
        drop(dropTx: StoreTransaction<Db>) {
          dropTx.connection.exec(`DROP TABLE IF EXISTS "${shadow}"`);
          return Promise.resolve();
        },
      });
    },
  };
}
