import { CommandRejectedError, defineDecider } from 'tidings';
import {
  AccountClosed,
  AccountOpened,
  CloseAccount,
  Deposit,
  MoneyDeposited,
  MoneyWithdrawn,
  OpenAccount,
  Withdraw,
} from './messages.js';

export type AccountState =
  | { readonly status: 'none' }
  | { readonly status: 'open' | 'closed'; readonly owner: string; readonly balance: number };

/** An amount that is not a positive whole number of cents. */
export class InvalidAmountError extends CommandRejectedError {
  readonly amount: unknown;
  constructor(amount: unknown) {
    super(`The amount must be a positive whole number of cents, got ${String(amount)}. Nothing was moved.`, {
      code: 'INVALID_AMOUNT',
    });
    this.amount = amount;
  }
}

/** A withdrawal larger than the balance. */
export class InsufficientFundsError extends CommandRejectedError {
  readonly requested: number;
  readonly available: number;
  constructor(accountId: string, requested: number, available: number) {
    super(`Account ${accountId} cannot pay ${requested}: only ${available} is available. Nothing was withdrawn.`, {
      code: 'INSUFFICIENT_FUNDS',
    });
    this.requested = requested;
    this.available = available;
  }
}

/** Money moved in or out of a closed account, or a second close. */
export class AccountClosedError extends CommandRejectedError {
  constructor(accountId: string) {
    super(`Account ${accountId} is closed: it takes no deposit, withdrawal or close.`, { code: 'ACCOUNT_CLOSED' });
  }
}

/** A command for an account that was never opened. */
export class UnknownAccountError extends CommandRejectedError {
  constructor(accountId: string) {
    super(`Account ${accountId} does not exist: open it first (account.open).`, { code: 'UNKNOWN_ACCOUNT' });
  }
}

/** Opening an account id that is taken. */
export class AccountExistsError extends CommandRejectedError {
  constructor(accountId: string) {
    super(`Account ${accountId} already exists.`, { code: 'ACCOUNT_EXISTS' });
  }
}

/** Closing an account that still holds money. */
export class AccountNotEmptyError extends CommandRejectedError {
  constructor(accountId: string, balance: number) {
    super(`Account ${accountId} still holds ${balance}: withdraw or transfer it before closing.`, {
      code: 'ACCOUNT_NOT_EMPTY',
    });
  }
}

// #region decider
/** An account: open, deposit, withdraw, close. Each refusal is a typed error naming what was wrong. */
export const accountDecider = defineDecider({
  commands: [OpenAccount, Deposit, Withdraw, CloseAccount],
  events: [AccountOpened, MoneyDeposited, MoneyWithdrawn, AccountClosed],
  initialState: (): AccountState => ({ status: 'none' }),
  decide(command, state) {
    const { accountId } = command.data;
    if (command.type === 'account.open') {
      if (state.status !== 'none') throw new AccountExistsError(accountId);
      return AccountOpened({ accountId, owner: command.data.owner });
    }
    if (state.status === 'none') throw new UnknownAccountError(accountId);
    if (state.status === 'closed') throw new AccountClosedError(accountId);
    switch (command.type) {
      case 'account.deposit':
        checkAmount(command.data.amount);
        return MoneyDeposited({ accountId, amount: command.data.amount });
      case 'account.withdraw':
        checkAmount(command.data.amount);
        if (command.data.amount > state.balance) {
          throw new InsufficientFundsError(accountId, command.data.amount, state.balance);
        }
        return MoneyWithdrawn({ accountId, amount: command.data.amount });
      case 'account.close':
        if (state.balance !== 0) throw new AccountNotEmptyError(accountId, state.balance);
        return AccountClosed({ accountId });
    }
  },
  evolve(state, event): AccountState {
    if (event.type === 'account.opened') return { status: 'open', owner: event.data.owner, balance: 0 };
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'account.deposited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'account.withdrawn':
        return { ...state, balance: state.balance - event.data.amount };
      case 'account.closed':
        return { ...state, status: 'closed' };
    }
  },
});
// #endregion decider

function checkAmount(amount: unknown): void {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidAmountError(amount);
  }
}
