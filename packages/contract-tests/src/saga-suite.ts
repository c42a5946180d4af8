import { createFakeClock, type FakeClock } from 'tidings/testing';
import {
  createProcessorRunner,
  defineProcessor,
  SagaCommandNotHandledError,
  TimerNotHandledError,
  type EventStore,
  type RecordedEvent,
  type StoreTransaction,
  type TransitionData,
  type Tidings,
} from 'tidings';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CancelOrder,
  checkoutApp,
  checkoutSaga,
  orderHandler,
  ConfirmOrder,
  MIN,
  OrderPaid,
  PaymentTimedOut,
  RefundPayment,
  Reminder,
  StockLocked,
  streamOf,
  T0,
  until,
} from './saga-fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any app of the fixtures
type AnyApp = Tidings<any, any, any>;

async function withinRealTime<T>(what: string, work: Promise<T>, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms of real time`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Catches up until the head stops moving (a send appends, a rejection appends, the saga reacts…). */
async function settle(app: AnyApp, store: EventStore): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const head = await store.headPosition();
    // catchUp's own bound runs on the app clock, which a fake clock freezes: bound it in real time too.
    await withinRealTime('app.catchUp()', app.catchUp({ timeoutMs: 10_000 }));
    if ((await store.headPosition()) === head) return;
  }
  throw new Error('the app did not settle within 20 catch-up rounds');
}

/** Moves the fake clock and lets the app's poller fire what fell due. */
async function advance(app: AnyApp, store: EventStore, clock: FakeClock, ms: number): Promise<void> {
  await clock.advance(ms);
  await until('the due timers to fire', async () => {
    app.timers.wake();
    const next = await store.timers.nextDueAt();
    return next === undefined || next.getTime() > clock.now();
  });
  await settle(app, store);
}

const transitions = async (store: EventStore, id: string): Promise<RecordedEvent<string, TransitionData>[]> =>
  (await streamOf(store, `saga.checkout-${id}`)).filter((e) => e.type === 'saga.transitioned') as RecordedEvent<
    string,
    TransitionData
  >[];

const orderEvents = async (store: EventStore, id: string): Promise<string[]> =>
  (await streamOf(store, `order-${id}`)).map((e) => e.type);

/** A store whose transactions that append to a saga stream fail once after their work ran (a crash before COMMIT). */
function crashingOnce(store: EventStore, prefix: string): { store: EventStore; crashes: () => number } {
  let crashes = 0;
  const transaction = <R>(work: (tx: StoreTransaction) => Promise<R>): Promise<R> =>
    store.transaction(async (tx) => {
      let touched = false;
      const wrapped = new Proxy(tx, {
        get(target, prop) {
          if (prop === 'append') {
            return (
              streamId: string,
              ...rest: Parameters<StoreTransaction['append']> extends [string, ...infer T] ? T : never
            ) => {
              if (streamId.startsWith(prefix)) touched = true;
              return target.append(streamId, ...rest);
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const result = await work(wrapped);
      if (touched && crashes === 0) {
        crashes++;
        throw new Error('simulated crash before COMMIT');
      }
      return result;
    });
  const proxy = new Proxy(store, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, crashes: () => crashes };
}

/**
 * Sagas (process managers) and the app's timers on any store: the checkout with its 15-minute
 * payment timeout on a fake clock, redelivery, the outbox, rejections and bad input.
 */
export function sagaSuite(name: string, openStore: () => Promise<EventStore>): void {
  describe(`sagas on ${name}`, () => {
    // Each test closes its stores when it ends: PostgreSQL pools held until the end of the file
    // would exhaust the server's connections on a shared machine.
    const open = async (): Promise<EventStore> => {
      const store = await openStore();
      onTestFinished(() => store.close());
      return store;
    };

    it('payment at 14:59 confirms the order; the 15-minute timeout is cancelled and never fires', async () => {
      const store = await open();
      const clock = createFakeClock({ now: T0 });
      const { app } = checkoutApp({ store, clock });
      await app.start();
      await app.publish(StockLocked({ orderId: 'a' }));
      await settle(app, store);
      expect(await app.sagas.get('checkout', 'a')).toEqual({
        state: { status: 'awaiting-payment', orderId: 'a' },
        version: 1n,
        completed: false,
      });
      expect(await store.timers.count()).toBe(1);
      await advance(app, store, clock, 14 * MIN + 59_000);
      await app.publish(OrderPaid({ orderId: 'a' }));
      await settle(app, store);
      expect(await store.timers.count()).toBe(0);
      await advance(app, store, clock, 10 * MIN);
      expect(await orderEvents(store, 'a')).toEqual(['stock.locked', 'order.paid', 'order.confirmed']);
      expect(await app.sagas.get('checkout', 'a')).toMatchObject({ state: { status: 'paid' }, completed: true });
      const history = await transitions(store, 'a');
      expect(history.map((t) => t.data.input.type)).toEqual(['stock.locked', 'order.paid']);
      expect(history[1]!.data.sends.map((s) => s.command.type)).toEqual(['order.confirm']);
      expect(history[1]!.data.timers).toMatchObject([{ op: 'cancel', name: 'payment-timeout' }]);
      await app.close();
    });

    it('payment at 15:01: the timeout fired first, the order is cancelled with reason "payment timeout", the late payment is ignored', async () => {
      const store = await open();
      const clock = createFakeClock({ now: T0 });
      const ignored: string[] = [];
      const { app } = checkoutApp({
        store,
        clock,
        sagas: [checkoutSaga({ onIgnored: (e, reason) => void ignored.push(`${e.type}:${reason}`) })],
      });
      await app.start();
      await app.publish(StockLocked({ orderId: 'b' }));
      await settle(app, store);
      await advance(app, store, clock, 15 * MIN - 1);
      expect(await orderEvents(store, 'b')).toEqual(['stock.locked']);
      await advance(app, store, clock, 1);
      const fired = (await streamOf(store, 'saga.checkout-b')).find((e) => e.type === 'checkout.payment-timed-out');
      expect(fired?.metadata['timer']).toMatchObject({ lateMs: 0, dueAt: new Date(T0 + 15 * MIN).toISOString() });
      await advance(app, store, clock, MIN);
      await app.publish(OrderPaid({ orderId: 'b' }));
      await settle(app, store);
      const events = await streamOf(store, 'order-b');
      expect(events.map((e) => e.type)).toEqual(['stock.locked', 'order.cancelled', 'order.paid']);
      expect(events[1]!.data).toEqual({ orderId: 'b', reason: 'payment timeout' });
      expect(await app.sagas.get('checkout', 'b')).toMatchObject({ state: { status: 'timed-out' }, completed: true });
      expect(ignored).toEqual(['order.paid:completed']);
      await app.close();
    });

    it('redelivery changes nothing: replaying every event from position 0 appends no transition, timer or command', async () => {
      const store = await open();
      const clock = createFakeClock({ now: T0 });
      const ignored: string[] = [];
      const saga = checkoutSaga({ onIgnored: (_e, reason) => void ignored.push(reason) });
      const first = checkoutApp({ store, clock, sagas: [saga] }).app;
      await first.start();
      for (const id of ['r1', 'r2', 'r3']) await first.publish(StockLocked({ orderId: id }));
      await first.publish(OrderPaid({ orderId: 'r1' }));
      await settle(first, store);
      await advance(first, store, clock, 16 * MIN);
      await first.close();
      const head = await store.headPosition();
      const timers = await store.timers.count();
      expect(await orderEvents(store, 'r2')).toEqual(['stock.locked', 'order.cancelled']);
      // Restart both processors from nothing: every input and every transition is delivered again.
      await store.processing.deleteCheckpoints('saga:checkout');
      await store.processing.deleteCheckpoints('saga:checkout:outbox');
      const second = checkoutApp({ store, clock, sagas: [saga] }).app;
      await second.start();
      await settle(second, store);
      await second.close();
      expect(await store.headPosition()).toBe(head);
      expect(await store.timers.count()).toBe(timers);
      expect(ignored.filter((r) => r === 'duplicate')).toHaveLength(6); // 3 starts, 1 payment, 2 timeouts
      for (const id of ['r1', 'r2', 'r3']) expect(await transitions(store, id)).toHaveLength(2);
    });

    it("the send is recorded in the transition's transaction: a crash before COMMIT neither loses nor doubles the command (negative control: a send made outside the transaction is doubled)", async () => {
      // The saga: the crash rolls back state, outbox and checkpoint together; the retry records them once.
      const base = await open();
      const crashing = crashingOnce(base, 'saga.');
      const { app } = checkoutApp({ store: crashing.store });
      const confirms: string[] = [];
      await app.start();
      await app.publish(StockLocked({ orderId: 'c' }));
      await app.publish(OrderPaid({ orderId: 'c' }));
      await settle(app, base);
      await app.close();
      expect(crashing.crashes()).toBe(1);
      expect(await transitions(base, 'c')).toHaveLength(2);
      for (const t of await transitions(base, 'c')) confirms.push(...t.data.sends.map((s) => s.command.type));
      expect(confirms).toEqual(['order.confirm']);
      expect(await orderEvents(base, 'c')).toEqual(['stock.locked', 'order.paid', 'order.confirmed']);

      // Negative control: the same reaction as a processor that sends directly (outside its
      // transaction, a fresh command each time). The same crash makes it send twice.
      const other = await open();
      const crashingOther = crashingOnce(other, 'saga.');
      const received: string[] = [];
      const { app: brokenApp } = checkoutApp({ store: crashingOther.store, sagas: [], receiver: false });
      brokenApp.commands.handle('order.confirm', (command) => void received.push(command.data.orderId));
      const broken = defineProcessor({
        name: 'broken-checkout',
        events: ['order.paid'],
        effects: 'transactional',
        handle: async (event: RecordedEvent, { tx }) => {
          const orderId = (event.data as { orderId: string }).orderId;
          await brokenApp.send(ConfirmOrder({ orderId })); // outside the transaction
          await tx.append(`saga.broken-${orderId}`, [{ type: 'saga.transitioned', data: { status: 'paid' } }]);
        },
      });
      const runner = createProcessorRunner(crashingOther.store, { processors: [broken], onError: () => undefined });
      await runner.start();
      await brokenApp.publish(OrderPaid({ orderId: 'c' }));
      await runner.catchUp({ timeoutMs: 10_000 });
      await runner.stop();
      await brokenApp.close();
      expect(crashingOther.crashes()).toBe(1);
      expect(received).toEqual(['c', 'c']); // doubled: the check above would fail for this variant
    });

    it('payment and timeout at the same instant: exactly one wins (negative control: a saga that ignores its state lets both through)', async () => {
      const run = async (saga: ReturnType<typeof checkoutSaga>): Promise<Map<string, string[]>> => {
        const store = await open();
        const clock = createFakeClock({ now: T0 });
        const { app } = checkoutApp({ store, clock, sagas: [saga] });
        await app.start();
        const ids = Array.from({ length: 8 }, (_, i) => `race-${i}`);
        for (const id of ids) await app.publish(StockLocked({ orderId: id }));
        await settle(app, store);
        // The clock reaches the due time while the payments are being published.
        await Promise.all([
          advance(app, store, clock, 15 * MIN),
          ...ids.map((id) => app.publish(OrderPaid({ orderId: id }))),
        ]);
        await settle(app, store);
        const outcome = new Map<string, string[]>();
        for (const id of ids) {
          const sent = (await transitions(store, id)).flatMap((t) => t.data.sends.map((s) => s.command.type));
          outcome.set(id, sent);
        }
        await app.close();
        return outcome;
      };
      const exactlyOne = (outcome: Map<string, string[]>): boolean =>
        [...outcome.values()].every((sent) => sent.length === 1);
      const outcome = await run(checkoutSaga());
      expect(
        [...outcome.values()].every((s) => s.length === 1 && ['order.confirm', 'order.cancel'].includes(s[0]!)),
      ).toBe(true);
      const naive = checkoutSaga({
        react(state, event, saga) {
          if (event.type === 'stock.locked') {
            saga.schedule('payment-timeout', PaymentTimedOut({ orderId: event.data.orderId }), { after: 15 * MIN });
            return { status: 'awaiting-payment', orderId: event.data.orderId };
          }
          saga.send(
            event.type === 'order.paid'
              ? ConfirmOrder(event.data)
              : CancelOrder({ ...event.data, reason: 'payment timeout' }),
          );
          return state;
        },
      });
      expect(exactlyOne(await run(naive))).toBe(false);
    });

    it('the outbox delivers each send once to an app.commandHandler receiver even when re-run from the start', async () => {
      const store = await open();
      const { app } = checkoutApp({ store });
      await app.start();
      await app.publish(StockLocked({ orderId: 'o' }));
      await app.publish(OrderPaid({ orderId: 'o' }));
      await settle(app, store);
      await app.close();
      const [, paid] = await transitions(store, 'o');
      const sent = paid!.data.sends[0]!;
      expect(sent.id).toMatch(/^[0-9a-f-]{36}$/);
      // Re-run the outbox from the start: it sends the command again, with the same id.
      await store.processing.deleteCheckpoints('saga:checkout:outbox');
      const again = checkoutApp({ store, receiver: false }).app;
      const resentIds: string[] = [];
      const receiver = orderHandler(again);
      again.commands.handle('order.confirm', async (command) => {
        resentIds.push(command.id);
        await receiver(command);
      });
      again.commands.handle('order.cancel', orderHandler(again));
      await again.start();
      await settle(again, store);
      await again.close();
      expect(resentIds).toEqual([sent.id]); // delivered again (at least once)…
      const confirmed = (await streamOf(store, 'order-o')).filter((e) => e.type === 'order.confirmed');
      expect(confirmed).toHaveLength(1); // …and applied once: the receiver dedupes by the command id
      expect(confirmed[0]!.metadata.causationId).toBe(sent.id);
      expect(confirmed[0]!.metadata.correlationId).toBe(paid!.metadata.correlationId);
    });

    it('a refused command goes to onRejected, recorded as a transition in the saga stream; without onRejected the send is parked, not retried', async () => {
      for (const withHandler of [true, false]) {
        const store = await open();
        const saga = checkoutSaga(
          withHandler
            ? {
                onRejected(state, rejection, s) {
                  expect(rejection.error.code).toBe('ORDER_CLOSED');
                  s.send(RefundPayment({ orderId: state.orderId! }));
                  return { ...state, status: 'refund-needed' };
                },
              }
            : {},
        );
        const { app, refunds } = checkoutApp({ store, sagas: [saga] });
        await app.start();
        // The order is cancelled by someone else before the payment: the saga's ConfirmOrder is refused.
        await app.send(CancelOrder({ orderId: 'x', reason: 'customer' }));
        await app.publish(StockLocked({ orderId: 'x' }));
        await app.publish(OrderPaid({ orderId: 'x' }));
        await settle(app, store);
        const parked = await app.parked.list({ processor: 'saga:checkout:outbox' });
        if (withHandler) {
          expect(refunds).toEqual(['x']);
          expect(parked).toEqual([]);
          const history = await transitions(store, 'x');
          expect(history.map((t) => t.data.input.type)).toEqual([
            'stock.locked',
            'order.paid',
            'saga.command-rejected',
          ]);
          expect(history[2]!.data.state).toEqual({ status: 'refund-needed', orderId: 'x' });
          expect(await app.sagas.get('checkout', 'x')).toMatchObject({ completed: true });
        } else {
          expect(refunds).toEqual([]);
          expect(parked).toHaveLength(1);
          expect(parked[0]).toMatchObject({ attempts: 1, error: { code: 'SAGA_SEND_REJECTED' } });
          expect(parked[0]!.error.message).toContain("'order.confirm'");
        }
        await app.close();
      }
    });

    it('bad input: an undeclared handler is refused at start; a send without a handler, a timer nobody handles and a correlate returning garbage park the event', async () => {
      const store = await open();
      const declared = checkoutSaga({ sends: [ConfirmOrder, CancelOrder] });
      const startless = checkoutApp({ store, sagas: [declared], receiver: false }).app;
      await expect(startless.start()).rejects.toBeInstanceOf(SagaCommandNotHandledError);
      await expect(startless.start()).rejects.toThrow(/Saga 'checkout' sends 'order.confirm'/);
      await startless.close();

      const parkedCode = async (saga: ReturnType<typeof checkoutSaga>, receiver = true): Promise<string[]> => {
        const s = await open();
        const { app } = checkoutApp({ store: s, sagas: [saga], receiver });
        await app.start();
        await app.publish(StockLocked({ orderId: 'p' }));
        await app.publish(OrderPaid({ orderId: 'p' }));
        await settle(app, s);
        const parked = await app.parked.list({ processor: 'saga:checkout' });
        await app.close();
        expect(parked.every((p) => p.attempts === 1)).toBe(true);
        return parked.map((p) => `${p.type}:${p.error.code ?? ''}`);
      };
      expect(await parkedCode(checkoutSaga(), false)).toEqual(['order.paid:SAGA_COMMAND_NOT_HANDLED']);
      expect(
        await parkedCode(
          checkoutSaga({
            react(_state, event, saga) {
              saga.schedule('reminder', Reminder({ orderId: event.data.orderId }), { after: MIN });
              return { status: 'awaiting-payment' };
            },
          }),
        ),
      ).toEqual(['stock.locked:TIMER_NOT_HANDLED']);
      for (const garbage of ['', 42, undefined, 'x'.repeat(401)]) {
        expect(await parkedCode(checkoutSaga({ correlate: () => garbage as string }))).toEqual([
          'stock.locked:SAGA_CORRELATION',
          'order.paid:SAGA_CORRELATION',
        ]);
      }
    });

    it('timers in the past fire at once (saga and app.schedule); app.schedule refuses a type nobody receives and unknown keys', async () => {
      const store = await open();
      const clock = createFakeClock({ now: T0 });
      const saga = checkoutSaga({
        react(_state, event, s) {
          if (event.type === 'stock.locked') {
            s.schedule('payment-timeout', PaymentTimedOut(event.data), { at: T0 - 5 * MIN });
            return { status: 'awaiting-payment', orderId: event.data.orderId };
          }
          s.complete();
          return { status: 'timed-out' };
        },
      });
      const { app } = checkoutApp({ store, clock, sagas: [saga] });
      const reminders: RecordedEvent[] = [];
      app.subscribe('order.paid', (e) => void reminders.push(e as unknown as RecordedEvent), { name: 'paid-watch' });
      await app.start();
      await app.publish(StockLocked({ orderId: 'late' }));
      await settle(app, store);
      await until('the past timer to fire without the clock moving', async () => {
        app.timers.wake();
        return (await store.timers.count()) === 0;
      });
      await settle(app, store);
      expect(await app.sagas.get('checkout', 'late')).toMatchObject({ state: { status: 'timed-out' } });
      const fired = (await streamOf(store, 'saga.checkout-late')).find((e) => e.type === 'checkout.payment-timed-out');
      expect(fired?.metadata['timer']).toMatchObject({ lateMs: 5 * MIN });

      await expect(app.schedule(Reminder({ orderId: 'late' }), { after: MIN })).rejects.toBeInstanceOf(
        TimerNotHandledError,
      );
      await expect(
        app.schedule(OrderPaid({ orderId: 'late' }), { after: MIN, when: 1 } as never),
      ).rejects.toMatchObject({
        code: 'UNKNOWN_OPTION',
      });
      const id = await app.schedule(OrderPaid({ orderId: 'late' }), { at: new Date(T0 - MIN) });
      await until('the scheduled event to reach the subscription', async () => {
        app.timers.wake();
        await app.catchUp();
        return reminders.length === 1;
      });
      expect(reminders[0]!.id).toBe(id);
      expect(reminders[0]!.streamId).toBe('order-late');
      const cancelled = await app.schedule(OrderPaid({ orderId: 'late' }), { after: 60 * MIN });
      expect(await app.cancel(cancelled)).toBe(true);
      expect(await app.cancel(cancelled)).toBe(false);
      await expect(app.sagas.get('nope', 'x')).rejects.toMatchObject({ code: 'UNKNOWN_SAGA' });
      await app.close();
    });
  });
}
