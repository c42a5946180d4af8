import { ValidationError } from '../errors.js';
import type { StoreTransaction } from '../store/types.js';
import type { ReadModel, ReadModelShadow } from './read-model.js';

/**
 * What a projection handler writes an in-memory collection through. Writes are staged in the
 * transaction and applied when it commits, so a rolled-back unit leaves the collection untouched
 * (as a table would be); reads see the transaction's own staged writes.
 */
export interface CollectionWriter<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
}

/** An in-memory read model: a map of documents by key that projections keep and rebuild. */
export interface MemoryCollection<V> extends ReadModel<CollectionWriter<V>> {
  /** The committed document under `key` (the live model: a rebuild in progress does not show). */
  get(key: string): V | undefined;
  /** Every committed document, in key order. */
  values(): V[];
  /** Every committed key and document, in key order. */
  entries(): [string, V][];
  readonly size: number;
}

const DELETED = Symbol('deleted');

function sortedEntries<V>(map: Map<string, V>): [string, V][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function stagedWriter<V>(
  tx: StoreTransaction,
  read: () => Map<string, V>,
  commit: (apply: (map: Map<string, V>) => void) => void,
): CollectionWriter<V> {
  const staged = new Map<string, V | typeof DELETED>();
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    tx.afterCommit(() =>
      commit((map) => {
        for (const [key, value] of staged) {
          if (value === DELETED) map.delete(key);
          else map.set(key, value);
        }
      }),
    );
  };
  return {
    get(key) {
      const value = staged.get(key);
      if (value === DELETED) return undefined;
      return value ?? read().get(key);
    },
    set(key, value) {
      if (typeof key !== 'string') {
        throw new ValidationError(`memoryCollection: keys must be strings, got ${typeof key}.`, [
          { path: ['key'], message: 'not a string' },
        ]);
      }
      staged.set(key, value);
      schedule();
    },
    delete(key) {
      staged.set(key, DELETED);
      schedule();
    },
  };
}

/**
 * An in-memory read model for projections: a map of documents by key, with a shadow for rebuilds
 * that replaces the live map when the rebuild's last transaction commits. For tests and the
 * in-memory store; it is lost with the process (a projection over a durable store should keep its
 * read model in the same database: `sqliteTable`, `postgresTable`).
 *
 * @example
 * const totals = memoryCollection<{ orderId: string; total: number }>('order-totals');
 * const projection = defineProjection({
 *   name: 'order-totals',
 *   events: [OrderPaid],
 *   readModel: totals,
 *   handle: (events, { target }) => {
 *     for (const e of events) target.set(e.data.orderId, { orderId: e.data.orderId, total: e.data.amount });
 *   },
 * });
 * totals.get('o-1'); // { orderId: 'o-1', total: 9900 }
 */
export function memoryCollection<V>(name: string): MemoryCollection<V> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ValidationError(`memoryCollection: expected a non-empty name, got ${JSON.stringify(name)}.`, [
      { path: ['name'], message: 'not a non-empty string' },
    ]);
  }
  let live = new Map<string, V>();
  return {
    name,
    get: (key) => live.get(key),
    values: () => sortedEntries(live).map(([, v]) => v),
    entries: () => sortedEntries(live),
    get size() {
      return live.size;
    },
    target: (tx) =>
      stagedWriter(
        tx,
        () => live,
        (apply) => apply(live),
      ),
    createShadow(): Promise<ReadModelShadow<CollectionWriter<V>>> {
      const shadow = new Map<string, V>();
      return Promise.resolve({
        target: (tx: StoreTransaction) =>
          stagedWriter(
            tx,
            () => shadow,
            (apply) => apply(shadow),
          ),
        swap: (tx: StoreTransaction) => {
          tx.afterCommit(() => {
            live = shadow;
          });
          return Promise.resolve();
        },
        drop: () => {
          shadow.clear();
          return Promise.resolve();
        },
      });
    },
  };
}
