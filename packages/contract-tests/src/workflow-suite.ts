import {
  createTidings,
  defineCommand,
  defineDecider,
  defineEvent,
  defineWorkflow,
  fireDueTimers,
  payload,
  systemClock,
  type Clock,
  type EventStore,
  type RecordedEvent,
  type Workflow,
  type WorkflowStepContext,
} from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { describe, expect, it, onTestFinished } from 'vitest';

// A tiny ledger: accounts credited and debited through app.commandHandler (which dedupes by the
// command id, i.e. the workflow step's key).
const Credit = defineCommand('wf.credit', payload<{ account: string; amount: number }>());
const Debit = defineCommand('wf.debit', payload<{ account: string; amount: number }>());
const Credited = defineEvent('wf.credited', payload<{ account: string; amount: number }>());
const Debited = defineEvent('wf.debited', payload<{ account: string; amount: number }>());
const ledger = defineDecider({
  commands: [Credit, Debit],
  events: [Credited, Debited],
  initialState: () => null,
  decide: (c) => (c.type === 'wf.credit' ? [Credited(c.data)] : [Debited(c.data)]),
  evolve: (s) => s,
});

interface Move {
  readonly moveId: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

const START = Date.parse('2026-03-01T09:00:00Z');

/** A fault for a command: run before the ledger (`before`) or after its effect (`after`). */
type Fault = (command: { readonly type: string; readonly data: { account: string } }) => void;

async function streamOf(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(streamId)) out.push(e);
  return out;
}

/** Effects applied to an account, grouped by the command id (= the step's key) that caused them. */
async function effectsByKey(store: EventStore, account: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const e of await streamOf(store, `acct-${account}`)) {
    const key = String(e.metadata.causationId);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function balance(store: EventStore, account: string): Promise<number> {
  let total = 0;
  for (const e of await streamOf(store, `acct-${account}`)) {
    const amount = (e.data as { amount: number }).amount;
    total += e.type === 'wf.credited' ? amount : -amount;
  }
  return total;
}

/** Polls `check` (real time, generous bound), firing due timers on each turn. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  fire?: { store: EventStore; clock: Clock },
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (fire !== undefined) await fireDueTimers(fire.store, { now: new Date(fire.clock.now()), limit: 100 });
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`not reached within 15 s: ${what}`);
}

/**
 * Workflows with compensation (`defineWorkflow`, `createTidings({ workflows })`) on any store:
 * the same cases on memory, SQLite and PostgreSQL.
 */
export function workflowSuite(name: string, openStore: () => Promise<EventStore>): void {
  describe(`workflows on ${name}`, () => {
    // Each test closes its store when it ends (a PostgreSQL pool held to the end of the file would
    // count against the shared server's connections).
    const open = async (): Promise<EventStore> => {
      const store = await openStore();
      onTestFinished(() => store.close());
      return store;
    };

    /** An app with the ledger's handlers; `before`/`after` inject faults around the effect. */
    function ledgerApp(
      store: EventStore,
      workflows: readonly Workflow<Move>[] | undefined,
      options: {
        clock?: Clock;
        before?: Fault;
        after?: (command: { type: string; data: { account: string } }) => unknown;
        stopTimeoutMs?: number;
      } = {},
    ) {
      const app = createTidings({
        store,
        commands: [Credit, Debit],
        ...(workflows === undefined ? {} : { workflows }),
        clock: options.clock ?? systemClock,
        runner: {
          pollIntervalMs: 20,
          onError: () => undefined,
          ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
        },
      });
      const apply = app.commandHandler(ledger, { streamId: (c) => `acct-${c.data.account}` });
      for (const type of ['wf.credit', 'wf.debit'] as const) {
        app.commands.handle(type, async (command) => {
          options.before?.(command);
          await apply(command);
          await options.after?.(command);
        });
      }
      return app;
    }

    function moveWorkflow(
      name: string,
      extra: {
        depositRetry?: { maxAttempts: number; delayMs: number };
        then?: 'compensate' | 'fail';
        refundRetry?: { maxAttempts: number; delayMs: number };
        depositSend?: (input: Move, ctx: WorkflowStepContext) => unknown;
      } = {},
    ) {
      return defineWorkflow({
        name,
        id: (input: Move) => input.moveId,
        steps: [
          { name: 'note', execute: (input) => ({ noted: input.moveId }) },
          {
            name: 'withdraw',
            execute: (input, ctx) => ctx.send(Debit({ account: input.from, amount: input.amount })),
            compensate: (input, ctx) => ctx.send(Credit({ account: input.from, amount: input.amount })),
            ...(extra.refundRetry === undefined ? {} : { onFailure: { retry: extra.refundRetry } }),
          },
          {
            name: 'deposit',
            execute:
              extra.depositSend ?? ((input, ctx) => ctx.send(Credit({ account: input.to, amount: input.amount }))),
            onFailure: {
              ...(extra.depositRetry === undefined ? {} : { retry: extra.depositRetry }),
              ...(extra.then === undefined ? {} : { then: extra.then }),
            },
          },
        ],
      });
    }

    it('happy path: every step once, every transition an event; start is idempotent by id', async () => {
      const store = await open();
      const move = moveWorkflow('move');
      const app = ledgerApp(store, [move]);
      await app.start();
      const input = { moveId: 'm-1', from: 'a', to: 'b', amount: 30 };
      await expect(app.workflows.start(move, input)).resolves.toEqual({
        workflow: 'move',
        id: 'm-1',
        streamId: 'workflow.move-m-1',
        created: true,
      });
      await until('completed', async () => (await app.workflows.get(move, 'm-1'))?.status === 'completed');
      const done = await app.workflows.get('move', 'm-1');
      expect(done?.history.map((e) => e.type)).toEqual([
        'workflow.started',
        'workflow.step-completed',
        'workflow.step-completed',
        'workflow.step-completed',
        'workflow.completed',
      ]);
      expect(done?.results).toEqual({ note: { noted: 'm-1' }, withdraw: null, deposit: null });
      expect(done?.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
        ['note', 'completed', 1],
        ['withdraw', 'completed', 1],
        ['deposit', 'completed', 1],
      ]);
      expect([await balance(store, 'a'), await balance(store, 'b')]).toEqual([-30, 30]);
      // Again with the same input: nothing written; another input under the same id is refused.
      await expect(app.workflows.start(move, { ...input })).resolves.toMatchObject({ created: false });
      await expect(app.workflows.start(move, { ...input, amount: 31 })).rejects.toMatchObject({
        code: 'WORKFLOW_ID_TAKEN',
      });
      expect(await app.workflows.get(move, 'nope')).toBeUndefined();
      await app.catchUp();
      expect((await app.workflows.get(move, 'm-1'))?.version).toBe(5n);
      await app.close();
    });

    it('a failing step is retried after its delay on the clock, then the completed steps are compensated in reverse', async () => {
      const store = await open();
      const clock = createFakeClock({ now: START });
      const undo: string[] = [];
      const move = defineWorkflow({
        name: 'move3',
        id: (input: Move) => input.moveId,
        steps: [
          {
            name: 'reserve',
            execute: () => 'r',
            compensate: (_input, ctx) => void undo.push(`${ctx.step}:${ctx.attempt}`),
          },
          { name: 'audit', execute: () => 'no compensation' },
          {
            name: 'withdraw',
            execute: (input, ctx) => ctx.send(Debit({ account: input.from, amount: input.amount })),
            compensate: async (input, ctx) => {
              undo.push(`${ctx.step}:${ctx.attempt}`);
              await ctx.send(Credit({ account: input.from, amount: input.amount }));
            },
          },
          {
            name: 'deposit',
            execute: (input, ctx) => ctx.send(Credit({ account: input.to, amount: input.amount })),
            onFailure: { retry: { maxAttempts: 3, delayMs: 1_000 } },
          },
        ],
      });
      const attempts: number[] = [];
      const app = ledgerApp(store, [move], {
        clock,
        before: (c) => {
          if (c.data.account === 'closed') {
            attempts.push(clock.now() - START);
            throw new Error('account closed is closed');
          }
        },
      });
      await app.start();
      await app.workflows.start(move, { moveId: 'm-2', from: 'a', to: 'closed', amount: 5 });
      const fire = { store, clock };
      const status = async () => (await app.workflows.get(move, 'm-2'))!;
      await until('first attempt failed', async () => (await status()).steps[3]!.status === 'retrying', fire);
      expect((await status()).steps[3]).toMatchObject({
        status: 'retrying',
        attempts: 1,
        retryAt: new Date(START + 1_000).toISOString(),
        error: { message: 'account closed is closed' },
      });
      await clock.advance(999);
      await fireDueTimers(store, { now: new Date(clock.now()), limit: 100 });
      await app.catchUp();
      expect(attempts).toEqual([0]); // not before its delay
      await clock.advance(1);
      await until('second attempt', async () => (await status()).steps[3]!.attempts === 2, fire);
      await clock.advance(1_000);
      await until('unwound', async () => (await status()).status === 'failed', fire);
      expect(attempts).toEqual([0, 1_000, 2_000]);
      const done = await status();
      expect(done.history.map((e) => e.type)).toEqual([
        'workflow.started',
        'workflow.step-completed',
        'workflow.step-completed',
        'workflow.step-completed',
        'workflow.step-failed',
        'workflow.step-retry-due',
        'workflow.step-failed',
        'workflow.step-retry-due',
        'workflow.step-failed',
        'workflow.compensating',
        'workflow.compensated',
        'workflow.compensated',
        'workflow.failed',
      ]);
      expect(done.history[9]!.data).toMatchObject({ step: 'deposit', steps: ['withdraw', 'reserve'] });
      expect(done.history.slice(10, 12).map((e) => (e.data as { step: string }).step)).toEqual(['withdraw', 'reserve']);
      expect(done.history[12]!.data).toMatchObject({ step: 'deposit', reason: 'compensated' });
      expect(undo).toEqual(['withdraw:1', 'reserve:1']);
      expect(done.failure).toMatchObject({
        step: 'deposit',
        phase: 'execute',
        error: { message: 'account closed is closed' },
      });
      expect(done.steps.map((s) => s.status)).toEqual(['compensated', 'completed', 'compensated', 'failed']);
      // The timer of each retry fired once: its event id is the timer id, and none is left.
      expect(await store.timers.count()).toBe(0);
      expect(await balance(store, 'a')).toBe(0); // withdrawn, then refunded
      await app.close();
    });

    it("a step failing with then: 'fail' ends the workflow failed and compensates nothing", async () => {
      const store = await open();
      const move = moveWorkflow('movefail', { then: 'fail' });
      const app = ledgerApp(store, [move], {
        before: (c) => {
          if (c.data.account === 'closed') throw new Error('closed');
        },
      });
      await app.start();
      await app.workflows.start(move, { moveId: 'f-1', from: 'a', to: 'closed', amount: 7 });
      await until('failed', async () => (await app.workflows.get(move, 'f-1'))?.status === 'failed');
      await app.catchUp();
      const done = (await app.workflows.get(move, 'f-1'))!;
      expect(done.history.map((e) => e.type).slice(-2)).toEqual(['workflow.step-failed', 'workflow.failed']);
      expect(done.history.some((e) => e.type === 'workflow.compensating')).toBe(false);
      expect(done.history.at(-1)!.data).toMatchObject({ step: 'deposit', reason: 'step-failed' });
      expect(await balance(store, 'a')).toBe(-7); // not refunded: the policy said fail
      await app.close();
    });

    it('a compensation that fails is retried, recorded, parked and visible; retrying the parked entry runs it again', async () => {
      const store = await open();
      const clock = createFakeClock({ now: START });
      const move = moveWorkflow('moverefund', { refundRetry: { maxAttempts: 2, delayMs: 500 } });
      let refundsDown = true;
      const parkedSeen: string[] = [];
      const app = createTidings({
        store,
        commands: [Credit, Debit],
        workflows: [move],
        clock,
        runner: { pollIntervalMs: 20, onError: () => undefined, onParked: (p) => void parkedSeen.push(p.processor) },
      });
      const apply = app.commandHandler(ledger, { streamId: (c) => `acct-${c.data.account}` });
      app.commands.handle('wf.debit', (c) => apply(c as never));
      app.commands.handle('wf.credit', async (c) => {
        if (c.data.account === 'closed') throw new Error('closed');
        if (c.data.account === 'a' && refundsDown) throw new Error('refunds are down');
        await apply(c);
      });
      await app.start();
      await app.workflows.start(move, { moveId: 'c-1', from: 'a', to: 'closed', amount: 9 });
      const fire = { store, clock };
      const get = async () => (await app.workflows.get(move, 'c-1'))!;
      await until('refund retry pending', async () => (await get()).steps[1]!.retryAt !== undefined, fire);
      await clock.advance(500);
      await until('parked', async () => (await get()).parked && (await app.parked.list()).length === 1, fire);
      const failed = await get();
      expect(failed.status).toBe('failed');
      expect(failed.failure).toMatchObject({
        step: 'withdraw',
        phase: 'compensate',
        error: { message: 'refunds are down' },
      });
      expect(failed.steps[1]).toMatchObject({ status: 'compensation-failed', attempts: 2 });
      expect(failed.history.at(-1)!.type).toBe('workflow.compensation-failed');
      const [entry] = await app.parked.list();
      expect(entry).toMatchObject({ processor: 'workflow:moverefund', eventId: failed.history.at(-1)!.id });
      expect(entry!.error).toMatchObject({ code: 'COMPENSATION_FAILED' });
      expect(parkedSeen).toEqual(['workflow:moverefund']);
      expect(await balance(store, 'a')).toBe(-9);
      // Still down: the retry fails, the entry stays.
      await expect(app.parked.retry(entry!.id)).resolves.toMatchObject({ outcome: 'failed' });
      expect(await app.parked.list()).toHaveLength(1);
      refundsDown = false;
      await expect(app.parked.retry(entry!.id)).resolves.toMatchObject({ outcome: 'handled' });
      await until('unwound', async () => (await get()).history.at(-1)!.type === 'workflow.failed', fire);
      const unwound = await get();
      expect(unwound).toMatchObject({
        status: 'failed',
        parked: false,
        failure: { step: 'deposit', phase: 'execute' },
      });
      // Attempts 1 and 2 by the policy; a failed parked retry is not recorded (the entry keeps its
      // error), so the retry that worked is attempt 3.
      expect(unwound.steps[1]).toMatchObject({ status: 'compensated', attempts: 3 });
      expect(await app.parked.list()).toEqual([]);
      expect(await balance(store, 'a')).toBe(0);
      await app.close();
    });

    it('a runner killed between a step effect and its record continues on restart without repeating the keyed effect', async () => {
      const store = await open();
      const move = moveWorkflow('movekill');
      let release!: () => void;
      const hang = new Promise<void>((r) => (release = r));
      const reached = { effect: false };
      // Process 1: the deposit's effect commits, then the process freezes before the step is recorded.
      const first = ledgerApp(store, [move], {
        stopTimeoutMs: 200,
        after: async (c) => {
          if (c.type === 'wf.credit') {
            reached.effect = true;
            await hang;
          }
        },
      });
      await first.start();
      await first.workflows.start(move, { moveId: 'k-1', from: 'a', to: 'b', amount: 4 });
      await until('deposit effect applied', () => Promise.resolve(reached.effect));
      await expect(first.stop()).rejects.toMatchObject({ code: 'TIMEOUT' });
      const afterKill = (await first.workflows.get(move, 'k-1'))!;
      expect(afterKill.steps[2]!.status).toBe('pending'); // the effect happened, its record did not
      expect(await balance(store, 'b')).toBe(4);
      release();
      await first.close();
      // Process 2 continues from the last recorded transition.
      const second = ledgerApp(store, [move]);
      await second.start();
      await until('completed', async () => (await second.workflows.get(move, 'k-1'))?.status === 'completed');
      expect(await balance(store, 'b')).toBe(4);
      expect([...(await effectsByKey(store, 'b')).values()]).toEqual([1]);
      await second.close();
    });

    it('a step whose receiver throws after its effect is retried with the same key: the effect counts once (negative control: an unkeyed send counts twice)', async () => {
      for (const keyed of [true, false]) {
        const store = await open();
        const clock = createFakeClock({ now: START });
        const name = keyed ? 'movekeyed' : 'moveunkeyed';
        const bypass: { send?: (c: ReturnType<typeof Credit>) => Promise<unknown> } = {};
        const move = moveWorkflow(name, {
          depositRetry: { maxAttempts: 2, delayMs: 100 },
          ...(keyed
            ? {}
            : { depositSend: (input: Move) => bypass.send!(Credit({ account: input.to, amount: input.amount })) }),
        });
        let crashes = 1;
        const app = ledgerApp(store, [move], {
          clock,
          after: (c) => {
            if (c.type === 'wf.credit' && crashes-- > 0) throw new Error('crashed after the effect');
          },
        });
        bypass.send = (c) => app.send(c);
        await app.start();
        await app.workflows.start(move, { moveId: 'e-1', from: 'a', to: 'b', amount: 2 });
        const fire = { store, clock };
        await until(
          'retry pending',
          async () => (await app.workflows.get(move, 'e-1'))!.steps[2]!.status === 'retrying',
          fire,
        );
        await clock.advance(100);
        await until('completed', async () => (await app.workflows.get(move, 'e-1'))?.status === 'completed', fire);
        const effects = [...(await effectsByKey(store, 'b')).values()];
        if (keyed) {
          expect(effects).toEqual([1]);
          expect(await balance(store, 'b')).toBe(2);
        } else {
          // The broken variant: each attempt is a new command, so the credit is applied twice.
          expect(effects).toEqual([1, 1]);
          expect(await balance(store, 'b')).toBe(4);
        }
        await app.close();
      }
    });

    it('bad input of start is refused with the same typed error on every store, and writes nothing', async () => {
      const store = await open();
      const move = moveWorkflow('movebad');
      const app = ledgerApp(store, [move]);
      const good = { moveId: 'x', from: 'a', to: 'b', amount: 1 };
      await expect(app.workflows.start(move, { ...good, moveId: '' })).rejects.toMatchObject({
        code: 'INVALID_WORKFLOW_ID',
      });
      await expect(app.workflows.start(move, { ...good, moveId: 42 as unknown as string })).rejects.toMatchObject({
        code: 'INVALID_WORKFLOW_ID',
      });
      await expect(app.workflows.start(move, null as unknown as Move)).rejects.toMatchObject({
        code: 'INVALID_WORKFLOW_INPUT',
      });
      await expect(app.workflows.start(move, { ...good, amount: 10n as unknown as number })).rejects.toMatchObject({
        code: 'NOT_SERIALIZABLE',
      });
      await expect(app.workflows.start(moveWorkflow('other'), good)).rejects.toMatchObject({
        code: 'UNKNOWN_WORKFLOW',
      });
      await expect(app.workflows.get('other', 'x')).rejects.toMatchObject({ code: 'UNKNOWN_WORKFLOW' });
      await expect(app.workflows.get(move, '')).rejects.toMatchObject({ code: 'INVALID_WORKFLOW_ID' });
      expect(await store.headPosition()).toBe(0n);
      await app.close();
    });
  });
}
