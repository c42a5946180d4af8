import { describe, expect, it } from 'vitest';
import { TidingsError } from '../errors.js';
import { defineCommand, defineEvent, payload } from '../messages/define.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import { Aggregate, aggregate } from './aggregate.js';
import type { MessageFrom } from './decider.js';
import { handleCommand } from './handle-command.js';
import { createInMemorySnapshotStore } from './snapshot-store.js';

const Deposit = defineCommand('account.deposit', payload<{ amount: number }>());
const Withdraw = defineCommand('account.withdraw', payload<{ amount: number }>());
const Deposited = defineEvent('account.deposited', payload<{ amount: number }>());
const Withdrawn = defineEvent('account.withdrawn', payload<{ amount: number }>());
const Overdrawn = defineEvent('account.overdrawn', payload<{ balance: number }>());
type AccountCommand = MessageFrom<typeof Deposit | typeof Withdraw>;
type AccountEvent = MessageFrom<typeof Deposited | typeof Withdrawn | typeof Overdrawn>;
interface AccountState {
  readonly balance: number;
  readonly overdrawn: boolean;
}

class InvalidAmount extends TidingsError {
  constructor(amount: number) {
    super('INVALID_AMOUNT', `Amount must be positive, got ${amount}.`);
  }
}

class Account extends Aggregate<AccountState, AccountEvent> {
  evolve(state: AccountState, event: AccountEvent): AccountState {
    switch (event.type) {
      case 'account.deposited':
        return { balance: state.balance + event.data.amount, overdrawn: state.balance + event.data.amount < 0 };
      case 'account.withdrawn':
        return { ...state, balance: state.balance - event.data.amount };
      case 'account.overdrawn':
        return { ...state, overdrawn: true };
    }
  }
  deposit(amount: number): void {
    if (amount <= 0) throw new InvalidAmount(amount);
    this.raise(Deposited({ amount }));
  }
  withdraw(amount: number): void {
    if (amount <= 0) throw new InvalidAmount(amount);
    this.raise(Withdrawn({ amount }));
    // The second event depends on the state after the first one.
    if (this.state.balance < 0 && !this.state.overdrawn) this.raise(Overdrawn({ balance: this.state.balance }));
  }
}

const accountDecider = aggregate(Account, {
  initialState: () => ({ balance: 0, overdrawn: false }),
  handle(account, command: AccountCommand) {
    if (command.type === 'account.deposit') account.deposit(command.data.amount);
    else account.withdraw(command.data.amount);
  },
});

describe('aggregate class sugar', () => {
  it('runs through handleCommand like any decider, with raise seeing its own earlier events', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = { store: createInMemorySnapshotStore(), every: 2, version: 1 };
    await handleCommand(store, 'account-1', accountDecider, Deposit({ amount: 10 }), { commandId: 'd1', snapshots });
    const result = await handleCommand(store, 'account-1', accountDecider, Withdraw({ amount: 15 }), {
      commandId: 'w1',
      snapshots,
    });
    expect(result.newEvents.map((e) => [e.type, e.data])).toEqual([
      ['account.withdrawn', { amount: 15 }],
      ['account.overdrawn', { balance: -5 }],
    ]);
    expect(result.newState).toEqual({ balance: -5, overdrawn: true });
    expect(result.snapshot).toBe('saved');
    const more = await handleCommand(store, 'account-1', accountDecider, Withdraw({ amount: 1 }), {
      commandId: 'w2',
      snapshots,
    });
    expect(more.newEvents.map((e) => e.type)).toEqual(['account.withdrawn']);
    expect(more.newState).toEqual({ balance: -6, overdrawn: true });
  });

  it('a domain error from a method propagates and nothing is appended; the loaded state is not mutated', () => {
    const state = { balance: 3, overdrawn: false };
    expect(() => accountDecider.decide(Withdraw({ amount: -1 }), state)).toThrow(InvalidAmount);
    expect(accountDecider.decide(Withdraw({ amount: 5 }), state)).toHaveLength(2);
    expect(state).toEqual({ balance: 3, overdrawn: false });
  });
});
