import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import * as v from 'valibot';
import { z } from 'zod';
import { TidingsError, ValidationError } from '../errors.js';
import { defineEvent, payload } from '../messages/define.js';
import type { Envelope } from '../messages/message.js';
import { createFakeClock } from '../time/fake-clock.js';
import { BusClosedError, CausationDepthError } from './bus-errors.js';
import { createEventBus } from './event-bus.js';
import type { HandlerFailure } from './event-bus-types.js';

const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());
const OrderShipped = defineEvent('order.shipped', payload<{ orderId: string }>());
const UserPaid = defineEvent('user.paid', payload<{ userId: string }>());

function quietBus() {
  const failures: HandlerFailure[] = [];
  const bus = createEventBus({ onError: (f) => failures.push(f) });
  return { bus, failures };
}

describe('routing', () => {
  it('delivers by exact type, single-segment wildcard, trailing ** and prefix *', () => {
    const { bus } = quietBus();
    const seen: Record<string, string[]> = { exact: [], star: [], prefix: [], all: [], tail: [] };
    bus.subscribe('order.paid', (e) => void seen.exact!.push(e.type));
    bus.subscribe('order.*', (e) => void seen.star!.push(e.type));
    bus.subscribe('*.paid', (e) => void seen.prefix!.push(e.type));
    bus.subscribe('**', (e) => void seen.all!.push(e.type));
    bus.subscribe('order.**', (e) => void seen.tail!.push(e.type));
    bus.emit(OrderPaid({ orderId: 'o1', amount: 1 }));
    bus.emit(OrderShipped({ orderId: 'o1' }));
    bus.emit(UserPaid({ userId: 'u1' }));
    bus.emit({ type: 'order.line.added', data: {} });
    expect(seen).toEqual({
      exact: ['order.paid'],
      star: ['order.paid', 'order.shipped'],
      prefix: ['order.paid', 'user.paid'],
      all: ['order.paid', 'order.shipped', 'user.paid', 'order.line.added'],
      tail: ['order.paid', 'order.shipped', 'order.line.added'],
    });
  });

  it('delivers by category of the stream id', () => {
    const { bus } = quietBus();
    const seen: (string | undefined)[] = [];
    bus.subscribe({ category: 'order' }, (e) => void seen.push(e.streamId));
    bus.emit(OrderPaid({ orderId: '42', amount: 1 }), { streamId: 'order-42' });
    bus.emit(OrderPaid({ orderId: '43', amount: 1 }), { streamId: 'payment-43' });
    bus.emit(OrderPaid({ orderId: '44', amount: 1 }));
    expect(seen).toEqual(['order-42']);
  });

  it.each(['order..paid', 'order.**.x', '', '.order', 'order.', 'ord er', 'order.*x'])(
    'refuses the malformed pattern %j',
    (pattern) => {
      const { bus } = quietBus();
      expect(() => bus.subscribe(pattern as 'order.paid', () => {})).toThrow(
        expect.objectContaining({ code: 'INVALID_PATTERN' }),
      );
      expect(bus.stats()).toHaveLength(0);
    },
  );

  it.each(['order..paid', '', 'order.*', 'a b', 42, null])(
    'refuses to publish the malformed type %j and delivers nothing',
    (type) => {
      const { bus } = quietBus();
      const handler = vi.fn();
      bus.subscribe('**', handler);
      expect(() => bus.emit({ type: type as string, data: {} })).toThrow(ValidationError);
      expect(handler).not.toHaveBeenCalled();
    },
  );

  it('refuses an invalid category selector', () => {
    const { bus } = quietBus();
    expect(() => bus.subscribe({ category: 'order-1' }, () => {})).toThrow(
      expect.objectContaining({ code: 'INVALID_PATTERN' }),
    );
    expect(() => bus.subscribe({ category: '' }, () => {})).toThrow(ValidationError);
  });
});

describe('validation at publish', () => {
  const zodPaid = defineEvent('order.paid', z.object({ orderId: z.string(), amount: z.number().int().positive() }));
  const valibotPaid = defineEvent(
    'order.paid',
    v.object({ orderId: v.string(), lines: v.array(v.object({ qty: v.number() })) }),
  );

  it('rejects zod schema failures with the path, delivering nothing', async () => {
    const handler = vi.fn();
    const bus = createEventBus({ events: [zodPaid] });
    bus.subscribe('order.paid', handler);
    const bad = { type: 'order.paid' as const, data: { orderId: 'o1', amount: -5 } };
    const error = await bus.publish(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.path).toEqual(['amount']);
    expect((error as Error).message).toContain('amount');
    expect(() => bus.emit(bad)).toThrow(ValidationError);
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects valibot schema failures with a nested path', async () => {
    const bus = createEventBus({ events: [valibotPaid] });
    const error = await bus
      .publish({ type: 'order.paid', data: { orderId: 'o1', lines: [{ qty: 1 }, { qty: 'x' as unknown as number }] } })
      .catch((e: unknown) => e);
    expect((error as ValidationError).issues[0]!.path).toEqual(['lines', 1, 'qty']);
  });

  it('refuses undeclared types on a bus created with definitions', () => {
    const bus = createEventBus({ events: [zodPaid] });
    expect(() => bus.emit({ type: 'order.refunded', data: {} } as never)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_TYPE' }),
    );
  });

  it.each([
    ['a bigint', { n: 1n }, 'data.n'],
    ['a function', { f: () => 1 }, 'data.f'],
    ['NaN', { x: Number.NaN }, 'data.x'],
    ['a Map', { m: new Map() }, 'data.m'],
    ['undefined in an array', { a: [1, undefined] }, 'data.a.1'],
  ])('refuses non-JSON data (%s) with the path', (_what, data, path) => {
    const { bus } = quietBus();
    const handler = vi.fn();
    bus.subscribe('**', handler);
    let error: unknown;
    try {
      bus.emit({ type: 'thing.happened', data });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('NOT_SERIALIZABLE');
    expect((error as Error).message).toContain(path);
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses non-JSON metadata, also on the repeated-type fast path', async () => {
    const { bus } = quietBus();
    const handler = vi.fn();
    bus.subscribe('x.y', handler);
    bus.emit({ type: 'x.y', data: 1 });
    expect(() => bus.emit({ type: 'x.y', data: 2, metadata: { tenant: 1n } })).toThrow(
      expect.objectContaining({ code: 'NOT_SERIALIZABLE' }),
    );
    await expect(bus.publish({ type: 'x.y', data: 3, metadata: { f: () => 1 } })).rejects.toMatchObject({
      code: 'NOT_SERIALIZABLE',
    });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('refuses the same event type defined twice', () => {
    expect(() => createEventBus({ events: [OrderPaid, defineEvent('order.paid')] })).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_DEFINITION' }),
    );
  });

  it('refuses cycles', () => {
    const { bus } = quietBus();
    const data: Record<string, unknown> = {};
    data['self'] = data;
    expect(() => bus.emit({ type: 'thing.happened', data })).toThrow(
      expect.objectContaining({ code: 'NOT_SERIALIZABLE' }),
    );
  });

  it('accepts Dates and drops undefined properties, as JSON does', () => {
    const { bus } = quietBus();
    expect(() => bus.emit({ type: 'thing.happened', data: { at: new Date(0), gone: undefined } })).not.toThrow();
  });
});

describe('the repeated-type fast path of emit', () => {
  it('still checks data, the closed state and new subscriptions after the first emit of a type', async () => {
    const { bus, failures } = quietBus();
    const seen: unknown[] = [];
    bus.subscribe('x.y', (e) => void seen.push(e.data));
    bus.emit({ type: 'x.y', data: 1 });
    bus.emit({ type: 'x.y', data: 2 }); // same type: fast path
    expect(() => bus.emit({ type: 'x.y', data: { bad: 1n } })).toThrow(
      expect.objectContaining({ code: 'NOT_SERIALIZABLE' }),
    );
    const late: unknown[] = [];
    bus.subscribe('x.*', (e) => void late.push(e.data));
    const queued: unknown[] = [];
    const q = bus.subscribe('x.y', (e) => void queued.push(e.data), { queue: true });
    bus.emit({ type: 'x.y', data: 3 });
    bus.emit({ type: 'x.y', data: 4 }, { streamId: 'x-1' });
    await q.idle();
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(late).toEqual([3, 4]);
    expect(queued).toEqual([3, 4]);
    await bus.close();
    expect(() => bus.emit({ type: 'x.y', data: 5 })).toThrow(BusClosedError);
    expect(failures).toEqual([]);
  });

  it('a throwing handler on the fast path is still isolated', () => {
    const { bus, failures } = quietBus();
    bus.subscribe('x.y', () => {
      throw new Error('boom');
    });
    bus.emit({ type: 'x.y', data: 1 });
    bus.emit({ type: 'x.y', data: 2 });
    expect(failures).toHaveLength(2);
  });
});

describe('failure isolation', () => {
  it('a throwing or rejecting handler stops neither the publisher nor the others', async () => {
    const { bus, failures } = quietBus();
    const calls: string[] = [];
    bus.subscribe(
      'order.paid',
      () => {
        calls.push('a');
        throw new Error('boom');
      },
      { name: 'thrower' },
    );
    bus.subscribe(
      'order.paid',
      async () => {
        calls.push('b');
        await Promise.resolve();
        throw new Error('async boom');
      },
      { name: 'rejecter' },
    );
    bus.subscribe('order.paid', () => void calls.push('c'), { name: 'fine' });
    await expect(bus.publish(OrderPaid({ orderId: 'o1', amount: 1 }))).resolves.toBeUndefined();
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(failures.map((f) => [f.handler, (f.error as Error).message])).toEqual([
      ['thrower', 'boom'],
      ['rejecter', 'async boom'],
    ]);
    expect(() => bus.emit(OrderPaid({ orderId: 'o2', amount: 1 }))).not.toThrow();
  });

  it('a throwing onError hook does not reach the publisher', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const bus = createEventBus({
      onError: () => {
        throw new Error('hook broke');
      },
    });
    bus.subscribe('x.y', () => {
      throw new Error('handler broke');
    });
    expect(() => bus.emit({ type: 'x.y', data: null })).not.toThrow();
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('subscriptions', () => {
  it('unsubscribing during dispatch stops later delivery at once', () => {
    const { bus } = quietBus();
    const calls: string[] = [];
    bus.subscribe('x.y', () => {
      calls.push('first');
      second.unsubscribe();
    });
    const second = bus.subscribe('x.y', () => void calls.push('second'));
    bus.emit({ type: 'x.y', data: 1 });
    bus.emit({ type: 'x.y', data: 2 });
    expect(calls).toEqual(['first', 'first']);
    expect(second.active).toBe(false);
  });

  it('works with `using`', () => {
    const { bus } = quietBus();
    const handler = vi.fn();
    {
      using _sub = bus.subscribe('x.y', handler);
      bus.emit({ type: 'x.y', data: 1 });
    }
    bus.emit({ type: 'x.y', data: 2 });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('once delivers one event, also when the handler publishes the same type', () => {
    const { bus } = quietBus();
    const handler = vi.fn((_e: Envelope, ctx: { emit: (e: { type: string; data: unknown }) => void }) =>
      ctx.emit({ type: 'x.y', data: 'again' }),
    );
    bus.once('x.y', handler);
    bus.emit({ type: 'x.y', data: 1 });
    bus.emit({ type: 'x.y', data: 2 });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('an aborted signal unsubscribes', () => {
    const { bus } = quietBus();
    const handler = vi.fn();
    const controller = new AbortController();
    bus.subscribe('x.y', handler, { signal: controller.signal });
    controller.abort();
    bus.emit({ type: 'x.y', data: 1 });
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses to publish or subscribe after close', async () => {
    const { bus } = quietBus();
    await bus.close();
    expect(() => bus.emit({ type: 'x.y', data: 1 })).toThrow(BusClosedError);
    await expect(bus.publish({ type: 'x.y', data: 1 })).rejects.toThrow(BusClosedError);
    expect(() => bus.subscribe('x.y', () => {})).toThrow(BusClosedError);
  });
});

describe('envelopes, correlation and loop protection', () => {
  it('creates ids lazily but stably, and carries correlation and causation through ctx.publish', async () => {
    const { bus } = quietBus();
    let root: Envelope | undefined;
    let child: Envelope | undefined;
    let grandchild: Envelope | undefined;
    bus.subscribe('a.happened', async (e, ctx) => {
      root = e;
      await ctx.publish({ type: 'b.happened', data: {} });
    });
    bus.subscribe('b.happened', (e, ctx) => {
      child = e;
      ctx.emit({ type: 'c.happened', data: {}, metadata: { source: 'test' } });
    });
    bus.subscribe('c.happened', (e) => void (grandchild = e));
    await bus.publish({
      type: 'a.happened',
      data: {},
      metadata: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(root!.id).toBe(root!.id);
    expect(root!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(child!.metadata.causationId).toBe(root!.id);
    expect(child!.metadata.correlationId).toBe(root!.id);
    expect(child!.metadata.traceparent).toBe(root!.metadata.traceparent);
    expect(grandchild!.metadata).toMatchObject({ causationId: child!.id, correlationId: root!.id, source: 'test' });
  });

  it('turns an event storm into CausationDepthError naming the chain', () => {
    const { bus, failures } = quietBus();
    let hops = 0;
    bus.subscribe('ping.sent', (_e, ctx) => {
      hops++;
      ctx.emit({ type: 'pong.sent', data: {} });
    });
    bus.subscribe('pong.sent', (_e, ctx) => ctx.emit({ type: 'ping.sent', data: {} }));
    bus.emit({ type: 'ping.sent', data: {} });
    expect(failures).toHaveLength(1);
    const error = failures[0]!.error as CausationDepthError;
    expect(error).toBeInstanceOf(CausationDepthError);
    // 32 hops allowed: the root, 32 descendants, and the refused 33rd.
    expect(error.chain).toHaveLength(34);
    expect(error.message).toContain('ping.sent -> pong.sent -> ping.sent');
    expect(hops).toBe(17);
  });

  it('honours a custom depth limit', () => {
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ maxCausationDepth: 2, onError: (f) => failures.push(f) });
    bus.subscribe('a.b', (_e, ctx) => ctx.emit({ type: 'a.b', data: {} }));
    bus.emit({ type: 'a.b', data: {} });
    expect((failures[0]!.error as CausationDepthError).chain).toEqual(['a.b', 'a.b', 'a.b', 'a.b']);
    expect(() => createEventBus({ maxCausationDepth: 0 })).toThrow(TidingsError);
  });
});

describe('waitFor', () => {
  it('resolves with the first matching event', async () => {
    const { bus } = quietBus();
    const waiting = bus.waitFor('order.*', (e) => (e.data as { orderId: string }).orderId === 'o2');
    bus.emit(OrderPaid({ orderId: 'o1', amount: 1 }));
    bus.emit(OrderShipped({ orderId: 'o2' }));
    await expect(waiting).resolves.toMatchObject({ type: 'order.shipped', data: { orderId: 'o2' } });
    expect(bus.stats()).toHaveLength(0);
  });

  it('times out on the bus clock', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock });
    const waiting = bus.waitFor('x.y', undefined, { timeout: 5_000 });
    const assertion = expect(waiting).rejects.toMatchObject({ code: 'TIMEOUT' });
    await clock.advance(5_000);
    await assertion;
    expect(bus.stats()).toHaveLength(0);
  });

  it('rejects an already-aborted signal at once, subscribing nothing', async () => {
    const { bus } = quietBus();
    await expect(bus.waitFor('x.y', undefined, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toMatchObject(
      { code: 'ABORTED' },
    );
    expect(bus.stats()).toHaveLength(0);
  });

  it('rejects when aborted later', async () => {
    const { bus } = quietBus();
    const controller = new AbortController();
    const waiting = bus.waitFor('x.y', undefined, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects when the predicate throws', async () => {
    const { bus } = quietBus();
    const waiting = bus.waitFor('x.y', () => {
      throw new Error('bad predicate');
    });
    bus.emit({ type: 'x.y', data: 1 });
    await expect(waiting).rejects.toThrow('bad predicate');
  });
});

describe('middleware', () => {
  it('wraps handlers and publishes, outermost first, with the handler name', async () => {
    const log: string[] = [];
    const bus = createEventBus({
      middleware: {
        publish: [
          async (ctx, next) => {
            log.push(`publish:${ctx.message.type}`);
            return next();
          },
        ],
        handle: [
          async (ctx, next) => {
            log.push(`outer:${ctx.handler ?? '?'}`);
            try {
              return await next();
            } finally {
              log.push('outer:done');
            }
          },
        ],
      },
    });
    bus.subscribe('x.y', (_e, ctx) => void log.push(`handler attempt ${ctx.attempt}`), {
      name: 'h',
      middleware: [
        async (ctx, next) => {
          log.push('inner');
          ctx.attempt = 2;
          return next();
        },
      ],
    });
    await bus.publish({ type: 'x.y', data: 1 });
    expect(log).toEqual(['publish:x.y', 'outer:h', 'inner', 'handler attempt 2', 'outer:done']);
  });
});

describe('lazy ids and timestamps', () => {
  it('a synchronous dispatch whose handlers read only type and data asks for no id and no time', () => {
    const nextId = vi.fn(() => '0190a5b2-7c41-7000-8f3e-000000000001');
    const now = vi.fn(() => 1_000);
    const clock = { ...createFakeClock(), now };
    const bus = createEventBus({ clock, nextId });
    let sum = 0;
    bus.subscribe('x.y', (e) => void (sum += e.data as number));
    bus.subscribe('x.*', (e) => void (sum += e.type.length));
    for (let i = 0; i < 3; i++) bus.emit({ type: 'x.y', data: 1 });
    expect(sum).toBe(3 * (1 + 3));
    expect(nextId).not.toHaveBeenCalled();
    expect(now).not.toHaveBeenCalled();
    let id: string | undefined;
    bus.subscribe('x.y', (e) => void (id = e.id));
    bus.emit({ type: 'x.y', data: 1 });
    expect(id).toBe('0190a5b2-7c41-7000-8f3e-000000000001');
    expect(nextId).toHaveBeenCalledTimes(1);
  });
});

describe('occurredAt is the publish time, also when read later', () => {
  it('by an async inline handler after an await, by waitFor and by onError', async () => {
    const clock = createFakeClock({ now: 1_000 });
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ clock, onError: (f) => failures.push(f) });
    const read: Record<string, number> = {};
    bus.subscribe('async.read', async (e) => {
      await clock.sleep(500);
      read['async'] = e.occurredAt.getTime();
    });
    bus.subscribe('fails.later', async () => {
      await clock.sleep(500);
      throw new Error('late failure');
    });

    const asyncRead = bus.publish({ type: 'async.read', data: 1 }); // at 1000
    await clock.advance(500);
    await asyncRead;

    const waiting = bus.waitFor('waited.for');
    bus.emit({ type: 'waited.for', data: 1 }); // at 1500
    await clock.advance(100);
    read['waitFor'] = (await waiting).occurredAt.getTime();

    bus.emit({ type: 'fails.later', data: 1 }); // at 1600
    await clock.advance(500);
    await clock.advance(100);
    read['onError'] = failures[0]!.message.occurredAt.getTime();

    expect(read).toEqual({ async: 1_000, waitFor: 1_500, onError: 1_600 });
  });

  it('behind publish middleware that waits', async () => {
    const clock = createFakeClock({ now: 1_000 });
    const bus = createEventBus({
      clock,
      middleware: {
        publish: [
          async (_ctx, next) => {
            await clock.sleep(300); // e.g. a rate limit in wait mode
            return next();
          },
        ],
      },
    });
    const read: number[] = [];
    bus.subscribe('slow.published', (e) => void read.push(e.occurredAt.getTime()));
    const slow = bus.publish({ type: 'slow.published', data: 1 });
    bus.emit({ type: 'slow.published', data: 2 });
    await clock.advance(300);
    await slow;
    expect(read).toEqual([1_000, 1_000]);
  });
});

describe('a long-lived AbortSignal shared by many short subscriptions', () => {
  it('holds no listener for subscriptions, streams or waitFor calls that already ended', async () => {
    const { bus } = quietBus();
    const shutdown = new AbortController();
    for (let i = 0; i < 50; i++) {
      bus.subscribe('x.y', () => {}, { signal: shutdown.signal }).unsubscribe();
      bus.stream('x.y', { signal: shutdown.signal })[Symbol.dispose]();
      const waiting = bus.waitFor('x.y', undefined, { signal: shutdown.signal });
      bus.emit({ type: 'x.y', data: i });
      await waiting;
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    expect(bus.stats()).toHaveLength(0);
  });
});
