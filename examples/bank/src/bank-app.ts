import { createTidings, type Clock, type EventStore } from 'tidings';
import { accountDecider } from './account.js';
import { balancesProjection, type BalanceViews } from './balances.js';
import { bankCommands, bankEvents } from './messages.js';
import { transfer } from './transfer.js';

export interface BankOptions<Target, Connection> {
  readonly store: EventStore<Connection>;
  readonly views: BalanceViews<Target, Connection>;
  readonly clock?: Clock;
}

// #region bank-app
/** The bank: account commands handled by the decider, the transfer workflow, the balances projection. */
export function createBank<Target, Connection>(options: BankOptions<Target, Connection>) {
  const app = createTidings({
    store: options.store,
    events: bankEvents,
    commands: bankCommands,
    projections: [balancesProjection(options.views)],
    workflows: [transfer],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    runner: { pollIntervalMs: 50, onError: () => undefined },
  });
  const handle = app.commandHandler(accountDecider, { streamId: (c) => `account-${c.data.accountId}` });
  app.commands.handle('account.open', handle);
  app.commands.handle('account.deposit', handle);
  app.commands.handle('account.withdraw', handle);
  app.commands.handle('account.close', handle);
  return app;
}
// #endregion bank-app

export type Bank = ReturnType<typeof createBank>;
