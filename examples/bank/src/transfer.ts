import { defineWorkflow } from 'tidings';
import { Deposit, Withdraw } from './messages.js';

export interface TransferInput {
  readonly transferId: string;
  readonly from: string;
  readonly to: string;
  /** Integer cents. */
  readonly amount: number;
}

// #region transfer
/**
 * A transfer between two accounts: withdraw from one, deposit into the other. When the deposit
 * fails — refused at once (the target is closed: a `CommandRejectedError` is never retried), or a
 * fault that outlasts its retry —, the withdrawal is compensated by a refund. Each step's command carries the step's key as its id, so the account handlers apply it
 * once however often the step runs (a retry, a restart).
 */
export const transfer = defineWorkflow({
  name: 'transfer',
  id: (input: TransferInput) => input.transferId,
  steps: [
    {
      name: 'withdraw',
      execute: (input, ctx) => ctx.send(Withdraw({ accountId: input.from, amount: input.amount })),
      compensate: (input, ctx) => ctx.send(Deposit({ accountId: input.from, amount: input.amount })),
      onFailure: { then: 'fail' }, // nothing to undo before the first step
    },
    {
      name: 'deposit',
      execute: (input, ctx) => ctx.send(Deposit({ accountId: input.to, amount: input.amount })),
      onFailure: { retry: { maxAttempts: 2, delayMs: 500 }, then: 'compensate' },
    },
  ],
});
// #endregion transfer
