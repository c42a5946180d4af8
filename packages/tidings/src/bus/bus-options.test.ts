import { describe, expect, it, vi } from 'vitest';
import { createTidings } from '../app/create-tidings.js';
import { ValidationError } from '../errors.js';
import { createEventBus } from './event-bus.js';
import { createCommandBus, createQueryBus } from './request-bus.js';

// Negative control for this file: before the key checks, every misspelt key below was ignored
// (the entry point ran with its default, e.g. an emit without its stream id), so each
// `toThrow` / `rejects` failed.

/** Asserts a ValidationError with `code` naming `key` (and, for unknown keys, the accepted ones). */
function expectRefusal(error: unknown, code: string, key: string, accepted: readonly string[] = []): void {
  expect(error).toBeInstanceOf(ValidationError);
  const e = error as ValidationError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(key);
  for (const name of accepted) expect(e.message).toContain(name);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, got none');
}

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, got a result');
    },
    (error: unknown) => error,
  );
}

describe('bus entry points refuse unknown option keys and non-object options', () => {
  it('createEventBus: a misspelt key, a nested misspelt key, a non-object', () => {
    expectRefusal(
      thrown(() => createEventBus({ maxCausationDeph: 3 } as never)),
      'UNKNOWN_OPTION',
      "'maxCausationDeph'",
      ['maxCausationDepth', 'maxDescendants', 'closeTimeoutMs'],
    );
    expect((thrown(() => createEventBus({ maxCausationDeph: 3 } as never)) as Error).message).toContain(
      "did you mean 'maxCausationDepth'",
    );
    expectRefusal(
      thrown(() => createEventBus({ middleware: { handel: [] } } as never)),
      'UNKNOWN_OPTION',
      "'handel' in options.middleware",
      ['publish', 'handle'],
    );
    expectRefusal(
      thrown(() => createEventBus('strict' as never)),
      'INVALID_OPTIONS',
      'string',
    );
    expectRefusal(
      thrown(() => createEventBus(null as never)),
      'INVALID_OPTIONS',
      'null',
    );
    expectRefusal(
      thrown(() => createEventBus({ onError: 'log' } as never)),
      'INVALID_OPTION',
      "'onError'",
    );
    expectRefusal(
      thrown(() => createEventBus({ clock: Date } as never)),
      'INVALID_OPTION',
      "'clock'",
    );
    expectRefusal(
      thrown(() => createEventBus({ checkSerializable: 'no' } as never)),
      'INVALID_OPTION',
      'checkSerializable',
    );
  });

  it('emit and publish: a misspelt key, a stream id where the options go, a bad value; nothing is delivered', async () => {
    const bus = createEventBus();
    const handler = vi.fn();
    bus.subscribe('order.paid', handler);
    bus.subscribe({ category: 'order' }, handler);
    const event = { type: 'order.paid', data: {} };
    expectRefusal(
      thrown(() => bus.emit(event, { streamid: 'order-1' } as never)),
      'UNKNOWN_OPTION',
      "'streamid'",
      ['streamId', 'id', 'occurredAt'],
    );
    expectRefusal(
      thrown(() => bus.emit(event, 'order-1' as never)),
      'INVALID_OPTIONS',
      'string',
    );
    expectRefusal(
      thrown(() => bus.emit(event, null as never)),
      'INVALID_OPTIONS',
      'null',
    );
    expectRefusal(await rejected(bus.publish(event, { streamID: 'order-1' } as never)), 'UNKNOWN_OPTION', "'streamID'");
    expectRefusal(await rejected(bus.publish(event, 42 as never)), 'INVALID_OPTIONS', 'number');
    expectRefusal(await rejected(bus.publish(event, { streamId: 42 } as never)), 'INVALID_OPTION', "'streamId'");
    expectRefusal(
      await rejected(bus.publish(event, { occurredAt: '2026-01-01' } as never)),
      'INVALID_OPTION',
      "'occurredAt'",
    );
    expect(handler).not.toHaveBeenCalled();
  });

  it('ctx.publish from a handler refuses a misspelt key too (the handler fails, nothing is published)', async () => {
    const failures: unknown[] = [];
    const bus = createEventBus({ onError: (f) => failures.push(f.error) });
    const followUp = vi.fn();
    bus.subscribe('order.shipped', followUp);
    bus.subscribe('order.paid', (_e, ctx) =>
      ctx.publish({ type: 'order.shipped', data: {} }, { streamid: 'x' } as never),
    );
    await bus.publish({ type: 'order.paid', data: {} });
    expectRefusal(failures[0], 'UNKNOWN_OPTION', "'streamid'");
    expect(followUp).not.toHaveBeenCalled();
  });

  it('subscribe, its queue options, waitFor and stream: nothing is subscribed', async () => {
    const bus = createEventBus();
    expectRefusal(
      thrown(() => bus.subscribe('order.paid', () => {}, { qeue: true } as never)),
      'UNKNOWN_OPTION',
      "'qeue'",
      ['name', 'queue', 'middleware', 'signal'],
    );
    expectRefusal(
      thrown(() => bus.subscribe('order.paid', () => {}, { queue: { capacity: 8, overflows: 'error' } } as never)),
      'UNKNOWN_OPTION',
      "'overflows' in options.queue",
      ['capacity', 'concurrency', 'overflow', 'key'],
    );
    expectRefusal(
      thrown(() => bus.subscribe('order.paid', () => {}, { queue: 8 } as never)),
      'INVALID_OPTIONS',
      'options.queue',
    );
    expectRefusal(
      thrown(() => bus.subscribe('order.paid', () => {}, 'queued' as never)),
      'INVALID_OPTIONS',
      'string',
    );
    expectRefusal(
      thrown(() => bus.subscribe('order.paid', () => {}, { signal: true } as never)),
      'INVALID_OPTION',
      "'signal'",
    );
    expectRefusal(
      await rejected(bus.waitFor('order.paid', undefined, { timout: 5 } as never)),
      'UNKNOWN_OPTION',
      "'timout'",
      ['timeout', 'signal'],
    );
    expectRefusal(await rejected(bus.waitFor('order.paid', 'yes' as never)), 'INVALID_OPTION', "'predicate'");
    expectRefusal(
      await rejected(bus.waitFor('order.paid', undefined, { timeout: '5' } as never)),
      'INVALID_OPTION',
      "'timeout'",
    );
    expectRefusal(
      thrown(() => bus.stream('order.paid', { capacty: 4 } as never)),
      'UNKNOWN_OPTION',
      "'capacty'",
      ['capacity', 'overflow', 'signal'],
    );
    expectRefusal(
      thrown(() => bus.stream('order.paid', { overflow: 'spill' } as never)),
      'INVALID_OPTION',
      "'overflow'",
    );
    expect(bus.stats()).toEqual([]);
  });

  it('command and query buses: factory, handle and send options; nothing is registered or run', async () => {
    expectRefusal(
      thrown(() => createCommandBus({ comands: [] } as never)),
      'UNKNOWN_OPTION',
      "'comands'",
      ['commands', 'middleware', 'closeTimeoutMs'],
    );
    expectRefusal(
      thrown(() => createQueryBus({ commands: [] } as never)),
      'UNKNOWN_OPTION',
      "'commands'",
      ['queries'],
    );
    expectRefusal(
      thrown(() => createCommandBus([] as never)),
      'INVALID_OPTIONS',
      'an array',
    );
    expectRefusal(
      thrown(() => createCommandBus({ maxCausationDepth: 0 })),
      'INVALID_OPTION',
      'maxCausationDepth',
    );
    const commands = createCommandBus();
    const handler = vi.fn(() => 'done');
    expectRefusal(
      thrown(() => commands.handle('order.pay', handler, { nmae: 'pay' } as never)),
      'UNKNOWN_OPTION',
      "'nmae'",
      ['name', 'middleware'],
    );
    expect(commands.has('order.pay')).toBe(false);
    commands.handle('order.pay', handler);
    expectRefusal(
      await rejected(commands.send({ type: 'order.pay', data: {} }, { singal: AbortSignal.timeout(1) } as never)),
      'UNKNOWN_OPTION',
      "'singal'",
      ['signal', 'id'],
    );
    expectRefusal(
      await rejected(commands.send({ type: 'order.pay', data: {} }, 'cmd-1' as never)),
      'INVALID_OPTIONS',
      'string',
    );
    const queries = createQueryBus();
    queries.handle('order.get', handler);
    expectRefusal(
      await rejected(queries.send({ type: 'order.get', data: {} }, { signal: 'stop' } as never)),
      'INVALID_OPTION',
      "'signal'",
    );
    expect(handler).not.toHaveBeenCalled();
  });

  it('createTidings: top-level and middleware keys, and values named under createTidings', () => {
    expectRefusal(
      thrown(() => createTidings({ event: [] } as never)),
      'UNKNOWN_OPTION',
      "'event'",
      ['events', 'commands', 'queries', 'maxDescendants'],
    );
    expectRefusal(
      thrown(() => createTidings({ middleware: { sned: [] } } as never)),
      'UNKNOWN_OPTION',
      "'sned' in options.middleware",
      ['publish', 'handle', 'send', 'query'],
    );
    expectRefusal(
      thrown(() => createTidings({ middleware: { send: [42] } } as never)),
      'INVALID_OPTION',
      "'middleware.send'",
    );
    const error = thrown(() => createTidings({ closeTimeoutMs: -1 }));
    expectRefusal(error, 'INVALID_OPTION', "'closeTimeoutMs'");
    expect((error as Error).message).toMatch(/^createTidings: /);
    expectRefusal(
      thrown(() => createTidings({ commands: 'all' } as never)),
      'INVALID_OPTION',
      "'commands'",
    );
  });
});
