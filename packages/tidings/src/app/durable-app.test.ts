import { describe, expect, it } from 'vitest';
import { defineCommand, defineEvent, payload } from '../messages/define.js';
import { defineProjection } from '../projections/define-projection.js';
import { memoryCollection } from '../projections/memory-collection.js';
import { defineDecider } from '../sourcing/decider.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { RecordedEvent } from '../store/types.js';
import { NoStoreError, NoStreamRuleError } from './app-errors.js';
import { createTidings } from './create-tidings.js';

const OrderPlaced = defineEvent('order.placed', payload<{ orderId: string; total: number }>(), {
  stream: (e) => `order-${e.data.orderId}`,
});
const OrderPaid = defineEvent('order.paid', payload<{ orderId: string }>(), {
  stream: (e) => `order-${e.data.orderId}`,
});
const Noted = defineEvent('note.added', payload<{ text: string }>());
const PlaceOrder = defineCommand('order.place', payload<{ orderId: string; total: number }>());

const orderDecider = defineDecider({
  commands: [PlaceOrder],
  events: [OrderPlaced],
  initialState: () => ({ placed: false }),
  decide: (command, state) =>
    state.placed ? [] : [OrderPlaced({ orderId: command.data.orderId, total: command.data.total })],
  evolve: () => ({ placed: true }),
});

async function all(store: ReturnType<typeof createInMemoryEventStore>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll()) out.push(e);
  return out;
}

describe('createTidings({ store })', () => {
  it('publish appends to the stream the event type declares', async () => {
    const store = createInMemoryEventStore();
    await using app = createTidings({ store, events: [OrderPlaced, OrderPaid, Noted] });
    await app.publish(OrderPlaced({ orderId: '1', total: 5 }));
    await app.publish(OrderPaid({ orderId: '1' }));
    await app.publish(Noted({ text: 'x' }), { streamId: 'note-1' });
    expect((await all(store)).map((e) => [e.streamId, e.version, e.type])).toEqual([
      ['order-1', 1n, 'order.placed'],
      ['order-1', 2n, 'order.paid'],
      ['note-1', 1n, 'note.added'],
    ]);
  });

  it('refuses an event type without a stream rule, and writes nothing', async () => {
    const store = createInMemoryEventStore();
    await using app = createTidings({ store, events: [Noted] });
    await expect(app.publish(Noted({ text: 'x' }))).rejects.toBeInstanceOf(NoStreamRuleError);
    await expect(app.publish(Noted({ text: 'x' }))).rejects.toThrow(/declares no stream/);
    expect(await store.headPosition()).toBe(0n);
  });

  it('durable subscribers receive events from the store once, never also directly; a name is required', async () => {
    const store = createInMemoryEventStore();
    const app = createTidings({ store, events: [OrderPlaced, OrderPaid] });
    const seen: string[] = [];
    expect(() => app.subscribe('order.*', () => undefined, {})).toThrow(/needs a stable name/);
    app.subscribe('order.*', (e) => void seen.push(`${e.type}@${(e as unknown as RecordedEvent).position}`), {
      name: 'audit',
    });
    await app.publish(OrderPlaced({ orderId: '1', total: 5 }));
    expect(seen).toEqual([]); // not delivered directly
    await app.start();
    await app.publish(OrderPaid({ orderId: '1' }));
    await app.catchUp();
    expect(seen).toEqual(['order.placed@1', 'order.paid@2']);
    await app.stop();
    await app.publish(OrderPaid({ orderId: '2' }));
    await app.start();
    await app.catchUp();
    expect(seen).toEqual(['order.placed@1', 'order.paid@2', 'order.paid@3']); // from the checkpoint
    await app.close();
    expect(() => app.subscribe('order.*', () => undefined, { name: 'late' })).not.toThrow(); // stopped again: allowed
  });

  it('stop() under load drains in-flight handlers and loses nothing', async () => {
    const store = createInMemoryEventStore();
    const app = createTidings({ store, events: [OrderPlaced] });
    const handled = new Set<string>();
    app.subscribe(
      'order.placed',
      async (e) => {
        await Promise.resolve();
        handled.add((e as unknown as RecordedEvent).id);
      },
      { name: 'slow', concurrency: 4 },
    );
    await app.start();
    const publishing = Array.from({ length: 200 }, (_, i) =>
      app.publish(OrderPlaced({ orderId: String(i % 17), total: i })),
    );
    await Promise.all(publishing);
    await app.stop();
    await app.start();
    await app.catchUp();
    await app.close();
    expect(handled.size).toBe(200);
  });

  it('ctx.publish in a durable handler appends with causation', async () => {
    const store = createInMemoryEventStore();
    const app = createTidings({ store, events: [OrderPlaced, OrderPaid] });
    app.subscribe('order.placed', (e, ctx) => ctx.publish(OrderPaid({ orderId: e.data.orderId })), { name: 'payer' });
    await app.start();
    await app.publish(OrderPlaced({ orderId: '7', total: 1 }));
    await app.catchUp();
    await app.catchUp();
    await app.close();
    const [placed, paid] = await all(store);
    expect(paid).toMatchObject({ type: 'order.paid', streamId: 'order-7' });
    expect(paid!.metadata).toMatchObject({ causationId: placed!.id, correlationId: placed!.id });
  });

  it('commandHandler appends through the decider and keeps an inline projection in the same transaction', async () => {
    const store = createInMemoryEventStore();
    const totals = memoryCollection<number>('totals');
    const projection = defineProjection({
      name: 'totals',
      mode: 'inline',
      events: [OrderPlaced],
      readModel: totals,
      handle: (events, { target }) => {
        for (const e of events) target.set(e.data.orderId, e.data.total);
      },
    });
    await using app = createTidings({
      store,
      events: [OrderPlaced],
      commands: [PlaceOrder],
      projections: [projection],
    });
    app.commands.handle(
      'order.place',
      app.commandHandler(orderDecider, { streamId: (c) => `order-${c.data.orderId}` }),
    );
    await app.send(PlaceOrder({ orderId: 'a', total: 3 }), { id: '018f0000-0000-7000-8000-000000000001' });
    await app.send(PlaceOrder({ orderId: 'a', total: 3 }), { id: '018f0000-0000-7000-8000-000000000001' }); // retried
    expect(totals.get('a')).toBe(3); // no start(): inline, in the append's transaction
    await app.publish(OrderPlaced({ orderId: 'b', total: 4 }));
    expect(totals.values()).toEqual([3, 4]);
    expect((await all(store)).length).toBe(2);
    expect((await app.rebuild('totals')).events).toBe(2);
  });

  it('history and replay read the store', async () => {
    const store = createInMemoryEventStore();
    await using app = createTidings({ store, events: [OrderPlaced, OrderPaid] });
    for (let i = 0; i < 5; i++) await app.publish(OrderPlaced({ orderId: String(i), total: i }));
    await app.publish(OrderPaid({ orderId: '1' }));
    expect((await app.history({ type: 'order.placed', limit: 2 })).map((e) => e.data)).toEqual([
      { orderId: '3', total: 3 },
      { orderId: '4', total: 4 },
    ]);
    const replayed: bigint[] = [];
    expect(await app.replay({ types: ['order.placed'], from: 2n, to: 4n }, (e) => void replayed.push(e.position))).toBe(
      3,
    );
    expect(replayed).toEqual([2n, 3n, 4n]);
    await expect(app.history({ limit: 2, extra: 1 } as never)).rejects.toThrow(/unknown option/);
  });

  it('without a store, history and commandHandler say a store is needed; unknown option keys are refused', async () => {
    await using app = createTidings({ events: [Noted] });
    await expect(app.history()).rejects.toBeInstanceOf(NoStoreError);
    expect(() => app.commandHandler(orderDecider, { streamId: () => 's' })).toThrow(NoStoreError);
    expect(() => createTidings({ stores: 1 } as never)).toThrow(/unknown option 'stores'/);
  });
});

describe('app.catchUp({ quiet })', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A processor that, for each order.placed, appends an order.paid (as a saga's outbox sends a command); a slow one counts those. */
  async function chain() {
    const store = createInMemoryEventStore();
    const app = createTidings({ store, events: [OrderPlaced, OrderPaid] });
    let paid = 0;
    app.subscribe(
      'order.placed',
      async (e, ctx) => {
        await sleep(20);
        await ctx.publish(OrderPaid({ orderId: e.data.orderId }));
      },
      { name: 'payer' },
    );
    app.subscribe(
      'order.paid',
      async () => {
        await sleep(300);
        paid++;
      },
      { name: 'slow-counter' },
    );
    await app.start();
    await app.publish(OrderPlaced({ orderId: '1', total: 5 }));
    return { app, paid: () => paid };
  }

  it('waits for what the processors append while catching up', async () => {
    const { app, paid } = await chain();
    await app.catchUp({ quiet: true });
    expect(paid()).toBe(1);
    await app.close();
  });

  it('refuses unknown keys and a non-boolean quiet', async () => {
    const store = createInMemoryEventStore();
    await using app = createTidings({ store, events: [OrderPlaced] });
    await expect(app.catchUp({ quite: true } as never)).rejects.toThrow(/unknown option 'quite'/);
    await expect(app.catchUp({ quiet: 'yes' } as never)).rejects.toThrow(/'quiet' must be a boolean/);
  });
});
