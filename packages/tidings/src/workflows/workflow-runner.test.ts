import { describe, expect, it } from 'vitest';
import { CommandRejectedError } from '../errors.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { RecordedEvent } from '../store/types.js';
import { systemClock } from '../time/clock.js';
import { defineWorkflow } from './define-workflow.js';
import { workflowOperations } from './workflow-operations.js';
import { advanceWorkflow, readInstance, type WorkflowRuntime } from './workflow-runner.js';

const workflow = defineWorkflow({
  name: 'pair',
  id: (input: { id: string }) => input.id,
  steps: [
    { name: 'one', execute: (_input, ctx) => ctx.send({ type: 'one', data: {} }) },
    { name: 'two', execute: (_input, ctx) => ctx.send({ type: 'two', data: {} }) },
  ],
});

/**
 * Two runners (a zombie whose lease was taken over and its successor) handle the same transition at
 * the same time: both read the stream before either records. Returns the step-completed records of
 * step 'one' and the keys the effect was sent with.
 */
async function twoRunnersOnOneTransition(unsafeSkipVersionCheck: boolean): Promise<{
  recorded: number;
  keys: string[];
  history: string[];
}> {
  const store = createInMemoryEventStore();
  const keys: string[] = [];
  let arrived = 0;
  let open!: () => void;
  const barrier = new Promise<void>((resolve) => (open = resolve));
  const runtime: WorkflowRuntime = {
    store,
    clock: systemClock,
    unsafeSkipVersionCheck,
    send: async (_command, id) => {
      keys.push(id);
      if (++arrived === 2) open();
      await barrier; // both runners are past their read of the stream
      return undefined;
    },
  };
  await workflowOperations(store, [workflow]).start(workflow, { id: 'p-1' });
  const [started] = await readInstance(store, 'workflow.pair-p-1');
  const ctx = { signal: new AbortController().signal, delivery: 'live' as const };
  await Promise.all([
    advanceWorkflow(workflow, runtime, started!, ctx),
    advanceWorkflow(workflow, runtime, started!, ctx),
  ]);
  const history: RecordedEvent[] = await readInstance(store, 'workflow.pair-p-1');
  await store.close();
  return {
    recorded: history.filter((e) => e.type === 'workflow.step-completed' && (e.data as { step: string }).step === 'one')
      .length,
    keys,
    history: history.map((e) => e.type),
  };
}

describe('workflow runner: the expected version makes a second runner record nothing', () => {
  it('two runners on one transition: the effect is sent twice with one key, the step is recorded once', async () => {
    const { recorded, keys, history } = await twoRunnersOnOneTransition(false);
    expect(recorded).toBe(1);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1); // the receiver dedupes the second send by its id
    expect(history).toEqual(['workflow.started', 'workflow.step-completed']);
  });

  it('negative control: without the expected-version check both runners record the step', async () => {
    const { recorded, history } = await twoRunnersOnOneTransition(true);
    expect(recorded).toBe(2);
    expect(history).toEqual(['workflow.started', 'workflow.step-completed', 'workflow.step-completed']);
  });

  it('a redelivered transition (a later one exists) does nothing', async () => {
    const store = createInMemoryEventStore();
    const sent: string[] = [];
    const runtime: WorkflowRuntime = {
      store,
      clock: systemClock,
      send: (command) => {
        sent.push(command.type);
        return Promise.resolve();
      },
    };
    await workflowOperations(store, [workflow]).start(workflow, { id: 'p-2' });
    const ctx = { signal: new AbortController().signal, delivery: 'live' as const };
    const [started] = await readInstance(store, 'workflow.pair-p-2');
    await advanceWorkflow(workflow, runtime, started!, ctx);
    await advanceWorkflow(workflow, runtime, started!, ctx); // redelivery
    expect(sent).toEqual(['one']);
    const history = await readInstance(store, 'workflow.pair-p-2');
    await advanceWorkflow(workflow, runtime, history[1]!, ctx);
    expect(sent).toEqual(['one', 'two']);
    expect((await readInstance(store, 'workflow.pair-p-2')).map((e) => e.type)).toEqual([
      'workflow.started',
      'workflow.step-completed',
      'workflow.step-completed',
      'workflow.completed',
    ]);
    await store.close();
  });
});

describe('workflow runner: a refused effect is not retried', () => {
  const retrying = defineWorkflow({
    name: 'refusals',
    id: (input: { id: string }) => input.id,
    steps: [
      {
        name: 'first',
        execute: (_input, ctx) => ctx.send({ type: 'first', data: {} }),
        compensate: (_input, ctx) => ctx.send({ type: 'undo-first', data: {} }),
      },
      {
        name: 'second',
        execute: (_input, ctx) => ctx.send({ type: 'second', data: {} }),
        onFailure: { retry: { maxAttempts: 3, delayMs: 1_000 }, then: 'compensate' },
      },
    ],
  });

  /** Runs the instance to its end (advancing on each new transition); the second step fails with `failure`. */
  async function run(failure: () => Error): Promise<{ types: string[]; rejected: unknown[] }> {
    const store = createInMemoryEventStore();
    const runtime: WorkflowRuntime = {
      store,
      clock: systemClock,
      send: (command) => (command.type === 'second' ? Promise.reject(failure()) : Promise.resolve()),
    };
    await workflowOperations(store, [retrying]).start(retrying, { id: 'r-1' });
    const ctx = { signal: new AbortController().signal, delivery: 'live' as const };
    for (let handled = 0; ; handled++) {
      const history = await readInstance(store, 'workflow.refusals-r-1');
      if (handled >= history.length) break;
      await advanceWorkflow(retrying, runtime, history[handled]!, ctx);
    }
    const history = await readInstance(store, 'workflow.refusals-r-1');
    await store.close();
    return {
      types: history.map((e) => e.type),
      rejected: history
        .filter((e) => e.type === 'workflow.step-failed')
        .map((e) => (e.data as { rejected?: boolean }).rejected),
    };
  }

  it('a CommandRejectedError goes to compensation at once, marked rejected', async () => {
    const { types, rejected } = await run(() => new CommandRejectedError('target closed', { code: 'ACCOUNT_CLOSED' }));
    expect(types).toEqual([
      'workflow.started',
      'workflow.step-completed',
      'workflow.step-failed',
      'workflow.compensating',
      'workflow.compensated',
      'workflow.failed',
    ]);
    expect(rejected).toEqual([true]);
  });

  it('control: an ordinary error schedules a retry (the first failure waits for its timer)', async () => {
    const { types, rejected } = await run(() => new Error('connection reset'));
    expect(types).toEqual(['workflow.started', 'workflow.step-completed', 'workflow.step-failed']);
    expect(rejected).toEqual([undefined]);
  });
});
