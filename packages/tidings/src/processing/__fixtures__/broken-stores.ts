import type { CheckpointWrite, TransactionProcessing } from '../../store/processing-types.js';
import type { EventStore, StoreTransaction } from '../../store/types.js';

/** `store` with its transactions' processing replaced by `wrap(original)`. */
export function withTxProcessing(
  store: EventStore,
  wrap: (processing: TransactionProcessing) => Partial<TransactionProcessing>,
): EventStore {
  return Object.create(store, {
    transaction: {
      value: <R>(work: (tx: StoreTransaction) => Promise<R>): Promise<R> =>
        store.transaction((tx) => {
          const original = tx.processing;
          const bound: TransactionProcessing = {
            getCheckpoint: original.getCheckpoint.bind(original),
            saveCheckpoint: original.saveCheckpoint.bind(original),
            claimInbox: original.claimInbox.bind(original),
            park: original.park.bind(original),
            unpark: original.unpark.bind(original),
          };
          const processing = { ...bound, ...wrap(bound) };
          return work(Object.create(tx, { processing: { value: processing } }) as StoreTransaction);
        }),
    },
  }) as EventStore;
}

/** Negative control: a writer that drops the epoch of its checkpoint writes (no fencing). */
export function unfenced(store: EventStore): EventStore {
  return withTxProcessing(store, (p) => ({
    saveCheckpoint: (write: CheckpointWrite) => p.saveCheckpoint({ ...write, epoch: undefined }),
  }));
}
