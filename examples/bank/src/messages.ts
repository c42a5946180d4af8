import { defineCommand, defineEvent, payload } from 'tidings';

/** Amounts are integer cents. */
export interface Balance {
  readonly accountId: string;
  readonly owner: string;
  readonly balance: number;
  readonly open: boolean;
  /** The account stream's version the view reflects (replays apply each event once). */
  readonly version: number;
}

const account = (e: { data: { accountId: string } }) => `account-${e.data.accountId}`;

export const OpenAccount = defineCommand('account.open', payload<{ accountId: string; owner: string }>());
export const Deposit = defineCommand('account.deposit', payload<{ accountId: string; amount: number }>());
export const Withdraw = defineCommand('account.withdraw', payload<{ accountId: string; amount: number }>());
export const CloseAccount = defineCommand('account.close', payload<{ accountId: string }>());

export const AccountOpened = defineEvent('account.opened', payload<{ accountId: string; owner: string }>(), {
  stream: account,
});
export const MoneyDeposited = defineEvent('account.deposited', payload<{ accountId: string; amount: number }>(), {
  stream: account,
});
export const MoneyWithdrawn = defineEvent('account.withdrawn', payload<{ accountId: string; amount: number }>(), {
  stream: account,
});
export const AccountClosed = defineEvent('account.closed', payload<{ accountId: string }>(), { stream: account });

export const bankCommands = [OpenAccount, Deposit, Withdraw, CloseAccount] as const;
export const bankEvents = [AccountOpened, MoneyDeposited, MoneyWithdrawn, AccountClosed] as const;
