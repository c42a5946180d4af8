import {
  NoStreamRuleError,
  createTidings,
  defineCommand,
  defineDecider,
  defineEvent,
  defineProjection,
  payload,
  type EventStore,
  type ReadModel,
  type RecordedEvent,
} from 'tidings';
import { afterAll, describe, expect, it } from 'vitest';

/** A key/number table kept by a projection in the store's own database, for {@link appFacadeSuite}. */
export interface TotalsTable<Target = unknown, Connection = unknown> {
  readonly readModel: ReadModel<Target, Connection>;
  /** Adds `amount` to `key` in `target`, through the transaction's connection. */
  add(target: Target, connection: Connection, key: string, amount: number): unknown;
  /** Every key and total of the live table, sorted by key. */
  read(store: EventStore<Connection>): Promise<[string, number][]>;
}

const OrderPlaced = defineEvent('order.placed', payload<{ orderId: string; total: number }>(), {
  stream: (e) => `order-${e.data.orderId}`,
});
const Note = defineEvent('note.added', payload<{ text: string }>());
const PlaceOrder = defineCommand('order.place', payload<{ orderId: string; total: number }>());
const orders = defineDecider({
  commands: [PlaceOrder],
  events: [OrderPlaced],
  initialState: () => ({ placed: false }),
  decide: (c, s) => (s.placed ? [] : [OrderPlaced({ orderId: c.data.orderId, total: c.data.total })]),
  evolve: () => ({ placed: true }),
});

/**
 * The app facade with a store (`createTidings({ store })`), run on any store: moving from memory to
 * SQLite to PostgreSQL changes the store option only.
 */
export function appFacadeSuite<Target, Connection>(
  name: string,
  openStore: () => Promise<EventStore<Connection>>,
  totalsTable: (store: EventStore<Connection>) => TotalsTable<Target, Connection>,
): void {
  describe(`createTidings({ store }) on ${name}`, () => {
    const opened: EventStore<Connection>[] = [];
    const open = async () => {
      const store = await openStore();
      opened.push(store);
      return store;
    };
    afterAll(async () => {
      for (const s of opened) await s.close();
    });

    it('publish appends to the declared stream; durable subscribers resume from their checkpoint after stop(), nothing lost or doubled', async () => {
      const store = await open();
      const seen: bigint[] = [];
      const app = createTidings({ store, events: [OrderPlaced, Note], runner: { pollIntervalMs: 20 } });
      app.subscribe('order.placed', (e) => void seen.push((e as unknown as RecordedEvent).position), {
        name: 'seen',
        concurrency: 4,
      });
      await expect(app.publish(Note({ text: 'x' }))).rejects.toBeInstanceOf(NoStreamRuleError);
      expect(await store.headPosition()).toBe(0n);
      await app.start();
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => app.publish(OrderPlaced({ orderId: String(i % 7), total: i }))),
      );
      await app.stop();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => app.publish(OrderPlaced({ orderId: String(i % 5), total: i }))),
      );
      await app.start();
      await app.catchUp();
      await app.close();
      expect([...seen].sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: 80 }, (_, i) => BigInt(i + 1)));
      const first: RecordedEvent[] = [];
      for await (const e of store.readStream('order-3')) first.push(e);
      expect(first.every((e) => e.type === 'order.placed')).toBe(true);
    });

    it('a command handler appends through the decider with an inline projection table in the same transaction; rebuild gives the same table', async () => {
      const store = await open();
      const table = totalsTable(store);
      const projection = defineProjection({
        name: 'order-totals',
        mode: 'inline',
        events: [OrderPlaced],
        readModel: table.readModel,
        handle: async (events, { tx, target }) => {
          for (const e of events) await table.add(target, tx.connection, e.data.orderId, e.data.total);
        },
      });
      const app = createTidings({ store, events: [OrderPlaced], commands: [PlaceOrder], projections: [projection] });
      app.commands.handle('order.place', app.commandHandler(orders, { streamId: (c) => `order-${c.data.orderId}` }));
      await app.send(PlaceOrder({ orderId: 'a', total: 3 }), { id: '018f0000-0000-7000-8000-00000000000a' });
      await app.send(PlaceOrder({ orderId: 'a', total: 3 }), { id: '018f0000-0000-7000-8000-00000000000a' });
      await app.send(PlaceOrder({ orderId: 'b', total: 4 }));
      await app.publish(OrderPlaced({ orderId: 'c', total: 5 }));
      const live = await table.read(store);
      expect(live).toEqual([
        ['a', 3],
        ['b', 4],
        ['c', 5],
      ]);
      await expect(app.rebuild('order-totals')).resolves.toMatchObject({ events: 3, position: 3n });
      expect(await table.read(store)).toEqual(live);
      await app.close();
    });

    it('a failing subscriber is parked in the store; app.parked lists it and retries it once fixed', async () => {
      const store = await open();
      let down = true;
      const handled: string[] = [];
      const app = createTidings({ store, events: [OrderPlaced], runner: { onError: () => undefined } });
      app.subscribe(
        'order.placed',
        (e) => {
          if (down) throw new Error('service down');
          handled.push(e.data.orderId);
        },
        { name: 'flaky', retry: { maxAttempts: 2, baseDelayMs: 1 } },
      );
      await app.start();
      await app.publish(OrderPlaced({ orderId: 'p', total: 1 }));
      await app.catchUp();
      const [entry, ...rest] = await app.parked.list();
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({ processor: 'flaky', streamId: 'order-p', attempts: 2 });
      down = false;
      await expect(app.parked.retry(entry!.id)).resolves.toMatchObject({ outcome: 'handled' });
      expect(handled).toEqual(['p']);
      expect(await app.parked.list()).toEqual([]);
      await expect(app.parked.list({ processor: 'nope' })).rejects.toMatchObject({ code: 'UNKNOWN_PROCESSOR' });
      await app.close();
    });
  });
}
