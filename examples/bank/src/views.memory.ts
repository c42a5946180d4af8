import { memoryCollection, type CollectionWriter } from 'tidings';
import type { BalanceViews } from './balances.js';
import type { Balance } from './messages.js';

/** The balances read model in memory (for the in-memory store). */
export function memoryBalanceViews(): BalanceViews<CollectionWriter<Balance>> {
  const rows = memoryCollection<Balance>('balances');
  return {
    readModel: rows,
    load: (target, _connection, accountId) => target.get(accountId),
    save: (target, _connection, balance) => target.set(balance.accountId, balance),
    list: () => Promise.resolve(rows.values().sort((a, b) => (a.accountId < b.accountId ? -1 : 1))),
  };
}
