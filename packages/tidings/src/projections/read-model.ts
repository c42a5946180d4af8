import type { StoreTransaction } from '../store/types.js';

/**
 * A shadow copy of a read model, made by {@link ReadModel.createShadow} for a rebuild: the
 * projection writes into `target` while queries keep reading the live model, then `swap` replaces
 * the live model by it in one transaction (or `drop` abandons it).
 */
export interface ReadModelShadow<Target, Connection = unknown> {
  /** What the projection's handler writes into during the rebuild, inside `tx`. */
  target(tx: StoreTransaction<Connection>): Target | Promise<Target>;
  /** Replaces the live model by this shadow, inside `tx` (the transaction that also saves the checkpoint). */
  swap(tx: StoreTransaction<Connection>): Promise<void>;
  /** Removes the shadow without touching the live model (a failed or cancelled rebuild). */
  drop(tx: StoreTransaction<Connection>): Promise<void>;
}

/**
 * Where a projection keeps its state, as much of it as the library must know to rebuild it
 * (decision 0670): how to reach the live model inside a transaction, and how to make a shadow and
 * swap it in. Ready-made: `memoryCollection()` (tidings), `sqliteTable()` (@tidings/sqlite),
 * `postgresTable()` (@tidings/postgres). `Target` is what the handler writes through: a table
 * name for SQL tables, a collection writer for the in-memory collection.
 *
 * @example
 * // A read model of your own: a key-value namespace with an atomic rename.
 * const model: ReadModel<string, Kv> = {
 *   name: 'totals',
 *   target: async (tx) => { await tx.connection.ensure('totals'); return 'totals'; },
 *   createShadow: async (tx) => {
 *     await tx.connection.clear('totals.shadow');
 *     return {
 *       target: () => 'totals.shadow',
 *       swap: (tx2) => tx2.connection.rename('totals.shadow', 'totals'),
 *       drop: (tx2) => tx2.connection.clear('totals.shadow'),
 *     };
 *   },
 * };
 */
export interface ReadModel<Target, Connection = unknown> {
  /** Names the model in errors and progress reports. */
  readonly name: string;
  /** The live model as written inside `tx` (created when missing). */
  target(tx: StoreTransaction<Connection>): Target | Promise<Target>;
  /** Creates an empty shadow, dropping what an earlier interrupted rebuild left behind. */
  createShadow(tx: StoreTransaction<Connection>): Promise<ReadModelShadow<Target, Connection>>;
}
