import { fireDueTimers, type EventStore, type RecordedEvent } from 'tidings';
import { createFakeClock, type FakeClock } from 'tidings/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { InsufficientFundsError } from '../account.js';
import { createBank } from '../bank-app.js';
import { replayBalances, type BalanceViews } from '../balances.js';
import { CloseAccount, Deposit, OpenAccount, Withdraw } from '../messages.js';
import { transfer } from '../transfer.js';

const START = Date.parse('2026-04-01T10:00:00Z');

/** Polls `check` (real time, generous bound), firing the due retry timers on each turn. */
async function until(what: string, check: () => Promise<boolean>, store: EventStore, clock: FakeClock) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await fireDueTimers(store, { now: new Date(clock.now()), limit: 100 });
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`not reached within 15 s: ${what}`);
}

async function accountEvents(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll({ filter: { categories: ['account'] } })) out.push(e);
  return out;
}

/** The bank (SCENARIOS S4) on one store: the same cases on memory, SQLite and PostgreSQL. */
export function bankSuite<Target, Connection>(
  name: string,
  openStore: () => Promise<EventStore<Connection>>,
  views: (store: EventStore<Connection>) => BalanceViews<Target, Connection>,
): void {
  describe(`the bank on ${name}`, () => {
    const open = async () => {
      const store = await openStore();
      const clock = createFakeClock({ now: START });
      const bank = createBank({ store, views: views(store), clock });
      onTestFinished(async () => {
        await bank.close();
        await store.close();
      });
      await bank.send(OpenAccount({ accountId: 'alice', owner: 'Alice' }));
      await bank.send(OpenAccount({ accountId: 'bob', owner: 'Bob' }));
      await bank.send(Deposit({ accountId: 'alice', amount: 100_00 }));
      return { store, clock, bank, balances: views(store) };
    };
    const balanceOf = async (v: BalanceViews<Target, Connection>, store: EventStore<Connection>, id: string) =>
      (await v.list(store)).find((b) => b.accountId === id)?.balance;

    it('refuses a non-positive amount, an overdraft (naming requested and available), a closed and an unknown account', async () => {
      const { bank, store, balances } = await open();
      for (const amount of [0, -5, 1.5]) {
        await expect(bank.send(Deposit({ accountId: 'alice', amount }))).rejects.toMatchObject({
          code: 'INVALID_AMOUNT',
        });
      }
      const overdraft = await bank.send(Withdraw({ accountId: 'alice', amount: 250_00 })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(overdraft).toBeInstanceOf(InsufficientFundsError);
      expect(overdraft).toMatchObject({ code: 'INSUFFICIENT_FUNDS', requested: 250_00, available: 100_00 });
      expect((overdraft as Error).message).toMatch(/cannot pay 25000: only 10000 is available/);
      await bank.send(OpenAccount({ accountId: 'old', owner: 'Old' }));
      await bank.send(CloseAccount({ accountId: 'old' }));
      await expect(bank.send(Deposit({ accountId: 'old', amount: 1 }))).rejects.toMatchObject({
        code: 'ACCOUNT_CLOSED',
      });
      await expect(bank.send(Withdraw({ accountId: 'ghost', amount: 1 }))).rejects.toMatchObject({
        code: 'UNKNOWN_ACCOUNT',
      });
      await expect(bank.send(CloseAccount({ accountId: 'alice' }))).rejects.toMatchObject({
        code: 'ACCOUNT_NOT_EMPTY',
      });
      expect(await balanceOf(balances, store, 'alice')).toBe(100_00);
    });

    it('a transfer withdraws then deposits; its audit trail is the workflow stream and the account events', async () => {
      const { bank, store, clock, balances } = await open();
      await bank.start();
      await bank.workflows.start(transfer, { transferId: 't-1', from: 'alice', to: 'bob', amount: 30_00 });
      await until(
        'completed',
        async () => (await bank.workflows.get(transfer, 't-1'))?.status === 'completed',
        store,
        clock,
      );
      expect([await balanceOf(balances, store, 'alice'), await balanceOf(balances, store, 'bob')]).toEqual([
        70_00, 30_00,
      ]);
      const audit = (await bank.workflows.get(transfer, 't-1'))!.history;
      expect(audit.map((e) => e.type)).toEqual([
        'workflow.started',
        'workflow.step-completed',
        'workflow.step-completed',
        'workflow.completed',
      ]);
      const moves = await bank.history({ type: ['account.withdrawn', 'account.deposited'] });
      const caused = moves.filter((e) => e.metadata.correlationId === audit[0]!.id);
      expect(caused.map((e) => [e.type, e.streamId])).toEqual([
        ['account.withdrawn', 'account-alice'],
        ['account.deposited', 'account-bob'],
      ]);
      await bank.stop();
    });

    it('a deposit into a closed account is refused (not retried) and the withdrawal is refunded', async () => {
      const { bank, store, clock, balances } = await open();
      await bank.send(OpenAccount({ accountId: 'carol', owner: 'Carol' }));
      await bank.send(CloseAccount({ accountId: 'carol' }));
      await bank.start();
      await bank.workflows.start(transfer, { transferId: 't-2', from: 'alice', to: 'carol', amount: 40_00 });
      const get = async () => (await bank.workflows.get(transfer, 't-2'))!;
      // ACCOUNT_CLOSED is a CommandRejectedError: an answer, so the step's retry policy does not
      // apply and the clock need not move for the refund to happen.
      await until('failed', async () => (await get()).status === 'failed', store, clock);
      const done = await get();
      expect(done.failure).toMatchObject({ step: 'deposit', error: { code: 'ACCOUNT_CLOSED' } });
      expect(done.steps.map((s) => [s.name, s.status])).toEqual([
        ['withdraw', 'compensated'],
        ['deposit', 'failed'],
      ]);
      expect(done.history.map((e) => e.type).slice(1)).toEqual([
        'workflow.step-completed',
        'workflow.step-failed',
        'workflow.compensating',
        'workflow.compensated',
        'workflow.failed',
      ]);
      expect(done.history.find((e) => e.type === 'workflow.step-failed')?.data).toMatchObject({ rejected: true });
      expect(await balanceOf(balances, store, 'alice')).toBe(100_00);
      await bank.stop();
    });

    it('a transfer over the balance fails at the withdrawal and moves nothing', async () => {
      const { bank, store, clock, balances } = await open();
      await bank.start();
      await bank.workflows.start(transfer, { transferId: 't-3', from: 'bob', to: 'alice', amount: 5_00 });
      await until('failed', async () => (await bank.workflows.get(transfer, 't-3'))?.status === 'failed', store, clock);
      const done = (await bank.workflows.get(transfer, 't-3'))!;
      expect(done.failure).toMatchObject({ step: 'withdraw', error: { code: 'INSUFFICIENT_FUNDS' } });
      expect(done.history.some((e) => e.type === 'workflow.compensating')).toBe(false);
      expect([await balanceOf(balances, store, 'alice'), await balanceOf(balances, store, 'bob')]).toEqual([100_00, 0]);
      await bank.stop();
    });

    it('balances rebuilt by replaying the events equal the live read model', async () => {
      const { bank, store, clock, balances } = await open();
      await bank.send(OpenAccount({ accountId: 'dave', owner: 'Dave' }));
      await bank.send(OpenAccount({ accountId: 'erin', owner: 'Erin' }));
      await bank.send(CloseAccount({ accountId: 'erin' }));
      await bank.send(Deposit({ accountId: 'bob', amount: 4_00 }));
      await bank.start();
      const transfers = [
        { transferId: 'r-1', from: 'alice', to: 'bob', amount: 10_00 },
        { transferId: 'r-2', from: 'alice', to: 'dave', amount: 25_00 },
        { transferId: 'r-3', from: 'bob', to: 'dave', amount: 4_00 },
        // Refunded, or refused when it runs before dave was paid: dave ends the same either way.
        { transferId: 'r-4', from: 'dave', to: 'erin', amount: 9_00 },
        { transferId: 'r-5', from: 'bob', to: 'alice', amount: 99_00 }, // refused: more than bob ever holds
      ];
      for (const t of transfers) await bank.workflows.start(transfer, t);
      const finished = async () => {
        for (const t of transfers) {
          const s = (await bank.workflows.get(transfer, t.transferId))?.status;
          if (s !== 'completed' && s !== 'failed') return false;
        }
        return true;
      };
      // Time must pass on the fake clock: a retried deposit waits on its timer, and two transfers
      // withdrawing from alice at once conflict and back off (on the app clock) before retrying.
      const progress = async () => {
        if (await finished()) return true;
        await clock.advance(100);
        return false;
      };
      await until('all transfers finished', progress, store, clock).catch(async (error: unknown) => {
        const states = await Promise.all(transfers.map((t) => bank.workflows.get(transfer, t.transferId)));
        throw new Error(
          `${String(error)}: ${JSON.stringify(states.map((s) => [s?.id, s?.status, s?.history.map((e) => e.type)]))}`,
        );
      });
      const live = await balances.list(store);
      expect(live.map((b) => [b.accountId, b.balance, b.open])).toEqual([
        ['alice', 65_00, true],
        ['bob', 10_00, true],
        ['dave', 29_00, true],
        ['erin', 0, false],
      ]);
      expect(await replayBalances(await accountEvents(store))).toEqual(live);
      await expect(bank.rebuild('balances')).resolves.toMatchObject({ position: await store.headPosition() });
      expect(await balances.list(store)).toEqual(live);
      await bank.stop();
    });
  });
}
