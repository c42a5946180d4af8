import { describe, expect, it } from 'vitest';
import { createTidings } from '../app/create-tidings.js';
import { defineCommand, defineEvent, payload } from '../messages/define.js';
import { CausationDepthError, FanOutLimitError } from './bus-errors.js';
import { createEventBus } from './event-bus.js';
import type { HandlerFailure } from './event-bus-types.js';

// Negative control for the storm cases: before the fan-out budget, a handler publishing two events
// per event it received was stopped only by the depth limit (2^32 calls). Each storm handler
// below stops publishing on its own after RUNAWAY calls, so the old code fails the assertions
// (calls reach RUNAWAY, no FanOutLimitError) instead of hanging the suite.
const RUNAWAY = 200_000;

function stormBus(maxDescendants?: number) {
  const failures: HandlerFailure[] = [];
  const bus = createEventBus({
    onError: (f) => failures.push(f),
    ...(maxDescendants === undefined ? {} : { maxDescendants }),
  });
  return { bus, failures };
}

function firstFanOutError(failures: readonly HandlerFailure[]): FanOutLimitError {
  const error = failures.find((f) => f.error instanceof FanOutLimitError)?.error;
  expect(error).toBeInstanceOf(FanOutLimitError);
  return error as FanOutLimitError;
}

describe('fan-out storms are stopped by the descendant budget', () => {
  it('a synchronous handler emitting two events per event it receives stops at the default budget (10 000)', () => {
    const { bus, failures } = stormBus();
    let calls = 0;
    bus.subscribe('cell.split', (_e, ctx) => {
      if (++calls >= RUNAWAY) return;
      ctx.emit({ type: 'cell.split', data: {} });
      ctx.emit({ type: 'cell.split', data: {} });
    });
    bus.emit({ type: 'cell.split', data: {} });
    // The root's own call plus at most 10 000 descendants.
    expect(calls).toBe(10_001);
    const error = firstFanOutError(failures);
    expect(error.code).toBe('FAN_OUT_LIMIT_EXCEEDED');
    expect(error.limit).toBe(10_000);
    expect(error.chain[0]).toBe('cell.split');
    expect(error.message).toContain('cell.split -> cell.split');
    expect(error.message).toContain('maxDescendants');
    // Depth-first, the tree also reaches the depth limit at its leaves: both guards speak.
    expect(failures.every((f) => f.error instanceof FanOutLimitError || f.error instanceof CausationDepthError)).toBe(
      true,
    );
  });

  it('an async handler publishing two events per event stops too, at a custom budget', async () => {
    const { bus, failures } = stormBus(500);
    let calls = 0;
    bus.subscribe('cell.split', async (_e, ctx) => {
      if (++calls >= RUNAWAY) return;
      await ctx.publish({ type: 'cell.split', data: {} });
      await ctx.publish({ type: 'cell.split', data: {} });
    });
    await bus.publish({ type: 'cell.split', data: {} });
    expect(calls).toBe(501);
    expect(firstFanOutError(failures).limit).toBe(500);
  });

  it('counts commands and events of one tree together across the buses of an app', async () => {
    const Requested = defineEvent('work.requested', payload<{ n: number }>());
    const Do = defineCommand('work.do', payload<{ n: number }>());
    const failures: HandlerFailure[] = [];
    const app = createTidings({
      events: [Requested],
      commands: [Do],
      maxDescendants: 100,
      onError: (f) => failures.push(f),
    });
    let commandsRun = 0;
    // event -> 2 commands -> each 1 event -> ...
    app.subscribe('work.requested', async (e, ctx) => {
      if (commandsRun >= RUNAWAY) return;
      await ctx.send(Do({ n: e.data.n + 1 }));
      await ctx.send(Do({ n: e.data.n + 1 }));
    });
    app.commands.handle('work.do', async (cmd, ctx) => {
      commandsRun++;
      await ctx.publish(Requested({ n: cmd.data.n }));
    });
    await app.publish(Requested({ n: 0 }));
    expect(commandsRun).toBeLessThanOrEqual(100);
    expect(firstFanOutError(failures).chain.slice(0, 3)).toEqual(['work.requested', 'work.do', 'work.requested']);
    await app.close();
  });

  it('leaves legitimate fan-out alone: every root message has its own budget', () => {
    const { bus, failures } = stormBus(1_000);
    let leaves = 0;
    bus.subscribe('batch.started', (_e, ctx) => {
      for (let i = 0; i < 1_000; i++) ctx.emit({ type: 'item.queued', data: i });
    });
    bus.subscribe('item.queued', () => void leaves++);
    for (let batch = 0; batch < 5; batch++) bus.emit({ type: 'batch.started', data: batch });
    expect(failures).toEqual([]);
    expect(leaves).toBe(5_000);
  });

  it('refuses a bad maxDescendants and accepts Infinity', () => {
    expect(() => createEventBus({ maxDescendants: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createEventBus({ maxDescendants: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createEventBus({ maxDescendants: Number.POSITIVE_INFINITY })).not.toThrow();
  });
});
