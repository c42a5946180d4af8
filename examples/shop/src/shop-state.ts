import {
  memoryCollection,
  type CollectionWriter,
  type EventStore,
  type ReadModel,
  type StoreTransaction,
} from 'tidings';

/**
 * Where the shop's observers keep their state: a key → JSON value table in the store's own
 * database, written through the observer's transaction so the state and its checkpoint commit
 * together (exactly once, also across a crash). One per store: memory, SQLite, PostgreSQL.
 */
export interface ShopState<Target = unknown, Connection = unknown> {
  readonly readModel: ReadModel<Target, Connection>;
  get(target: Target, connection: Connection, key: string): unknown;
  set(target: Target, connection: Connection, key: string, value: unknown): unknown;
  /** Live values of the keys starting with `prefix`, in key order (for queries). */
  list(store: EventStore<Connection>, prefix: string): Promise<unknown[]>;
}

/** What an observer writes its state through, bound to one transaction. */
export interface StateWriter {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

/** Binds a state to the observer's transaction. */
export async function stateIn<Target, Connection>(
  state: ShopState<Target, Connection>,
  tx: StoreTransaction<Connection>,
): Promise<StateWriter> {
  const target = await state.readModel.target(tx);
  return {
    get: async <T>(key: string) => (await state.get(target, tx.connection, key)) as T | undefined,
    set: async (key, value) => {
      await state.set(target, tx.connection, key, value);
    },
  };
}

/** In memory (the in-memory store): staged per transaction, applied at commit. */
export function memoryShopState(): ShopState<CollectionWriter<unknown>> {
  const values = memoryCollection<unknown>('shop_state');
  return {
    readModel: values,
    get: (target, _c, key) => target.get(key),
    set: (target, _c, key, value) => target.set(key, value),
    list: (_store, prefix) =>
      Promise.resolve(
        values
          .entries()
          .filter(([k]) => k.startsWith(prefix))
          .map(([, v]) => v),
      ),
  };
}
