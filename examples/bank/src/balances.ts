import { defineProjection, type EventStore, type Projection, type ReadModel, type RecordedEvent } from 'tidings';
import type { Balance } from './messages.js';

/**
 * Where the balances read model lives: a read model the library can shadow and swap for a
 * rebuild, how the projection loads and saves one row inside a transaction, and how queries read.
 * One per store: memory (views.memory.ts), SQLite (views.sqlite.ts), PostgreSQL (views.postgres.ts).
 */
export interface BalanceViews<Target = unknown, Connection = unknown> {
  readonly readModel: ReadModel<Target, Connection>;
  load(target: Target, connection: Connection, accountId: string): Balance | undefined | Promise<Balance | undefined>;
  save(target: Target, connection: Connection, balance: Balance): unknown;
  /** Every account, by id. */
  list(store: EventStore<Connection>): Promise<Balance[]>;
}

/** What one account event does to a balance (undefined: nothing). Applies each stream version once. */
export function applyAccountEvent(current: Balance | undefined, event: RecordedEvent): Balance | undefined {
  const data = event.data as { accountId: string; owner?: string; amount?: number };
  const version = Number(event.version);
  if (current !== undefined && current.version >= version) return undefined;
  switch (event.type) {
    case 'account.opened':
      return { accountId: data.accountId, owner: data.owner ?? '', balance: 0, open: true, version };
    case 'account.deposited':
      return current && { ...current, balance: current.balance + (data.amount ?? 0), version };
    case 'account.withdrawn':
      return current && { ...current, balance: current.balance - (data.amount ?? 0), version };
    case 'account.closed':
      return current && { ...current, open: false, version };
    default:
      return undefined;
  }
}

/** The balances projection: inline (a query right after a command sees it), rebuildable from the events. */
export function balancesProjection<Target, Connection>(
  views: BalanceViews<Target, Connection>,
): Projection<Target, Connection> {
  return defineProjection({
    name: 'balances',
    mode: 'inline',
    filter: { categories: ['account'] },
    readModel: views.readModel,
    handle: async (events, { tx, target }) => {
      for (const event of events) {
        const data = event.data as { accountId: string };
        const next = applyAccountEvent(await views.load(target, tx.connection, data.accountId), event);
        if (next !== undefined) await views.save(target, tx.connection, next);
      }
    },
  });
}

/** Balances computed from scratch by replaying the account events (to check the live read model). */
export async function replayBalances(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
): Promise<Balance[]> {
  const byId = new Map<string, Balance>();
  for await (const event of events) {
    const id = (event.data as { accountId?: string }).accountId;
    if (id === undefined) continue;
    const next = applyAccountEvent(byId.get(id), event);
    if (next !== undefined) byId.set(id, next);
  }
  return [...byId.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
}
