import type { StoreTransaction } from '../store/types.js';
import type { TimerStore } from './timer-types.js';

/**
 * `store.timers` for a store: each call runs `tx.timers` in its own transaction, so every store
 * shares one implementation (and one set of errors) outside transactions.
 */
export function timersOutsideTransaction(
  transaction: <R>(work: (tx: StoreTransaction) => Promise<R>) => Promise<R>,
): TimerStore {
  return {
    schedule: (request) => transaction((tx) => tx.timers.schedule(request)),
    cancel: (id) => transaction((tx) => tx.timers.cancel(id)),
    get: (id) => transaction((tx) => tx.timers.get(id)),
    nextDueAt: () => transaction((tx) => tx.timers.nextDueAt()),
    count: () => transaction((tx) => tx.timers.count()),
    listParked: (filter) => transaction((tx) => tx.timers.listParked(filter)),
    retryParked: (id) => transaction((tx) => tx.timers.retryParked(id)),
    skipParked: (id) => transaction((tx) => tx.timers.skipParked(id)),
  };
}
