import type { CheckpointWrite, EventStore, StoreTransaction } from 'tidings';

function bindAll<T extends object>(target: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(target)) {
    const value = (target as Record<string, unknown>)[key];
    out[key] = typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  }
  return out as T;
}

/**
 * Negative control: the store as a writer that drops the epoch from its checkpoint writes, so a
 * holder whose lease was taken over still writes.
 */
export function brokenFence<C>(store: EventStore<C>): EventStore<C> {
  const transaction = <R>(work: (tx: StoreTransaction<C>) => Promise<R>): Promise<R> =>
    store.transaction((tx) => {
      const processing = {
        ...bindAll(tx.processing),
        saveCheckpoint: (write: CheckpointWrite) => tx.processing.saveCheckpoint({ ...write, epoch: undefined }),
      };
      return work({ ...bindAll(tx), connection: tx.connection, processing });
    });
  return new Proxy(store, {
    get: (target, key, receiver) =>
      key === 'transaction' ? transaction : (Reflect.get(target, key, receiver) as unknown),
  });
}
