import {
  createInMemoryEventStore,
  createTidings,
  timerId,
  type AppRunnerOptions,
  type Clock,
  type ConflictRetryOptions,
  type EventStore,
  type ParkedEvent,
  type ProcessorRetryPolicy,
} from 'tidings';
import { memoryShopState, type ShopState } from '../shop-state.js';
import { checkoutSaga } from './checkout-saga.js';
import { PAYMENT_TIMEOUT } from './checkout-steps.js';
import { couponDecider, couponStream } from './coupon.js';
import type { FlashSaleApp } from './flash-sale-app.js';
import {
  CancelOrder,
  OpenStock,
  PayOrder,
  PlaceOrder,
  saleCommands,
  saleEvents,
  type OrderRequest,
  type PlaceOrderAnswer,
  type StockEvent,
} from './sale-messages.js';
import { saleOrderDecider, saleOrderStream } from './sale-order.js';
import { crmSync, saleNotifications } from './sale-observers.js';
import { saleReport } from './sale-report.js';
import { stockDecider, stockStream } from './stock.js';

export interface FlashSaleOptions {
  /** Where the sale is recorded. Default: an in-memory store. */
  readonly store?: EventStore;
  /** All time: the payment timeout, the timer poller, retries. Default: the system clock. */
  readonly clock?: Clock;
  /** Where the observers keep their state (default: in memory, for the in-memory store). */
  readonly state?: ShopState;
  /** Units on sale per product id (opened by `start()`). */
  readonly stock: Readonly<Record<string, number>>;
  /** While this returns true for an order the CRM is down and the `crm-sync` observer fails on it. */
  readonly crmDown?: (orderId: string) => boolean;
  /** Retries of the CRM observer before it parks an event. Default 3 attempts, 100 ms base delay. */
  readonly crmRetry?: ProcessorRetryPolicy;
  /** Processor runner settings (poll interval, lease TTL, …). */
  readonly runner?: AppRunnerOptions;
  /** Timer poller settings. */
  readonly timers?: { readonly pollIntervalMs?: number; readonly batchSize?: number };
  /**
   * How the command handlers retry when another writer appended to the same stream first (the
   * stock of a popular product is one hot stream). Default 50 retries, 10 ms first delay, 500 ms cap.
   */
  readonly conflictRetry?: ConflictRetryOptions;
  /** Bound of `settled()`, in ms on the app clock. Default 30 000. */
  readonly settleTimeoutMs?: number;
  /**
   * Retries of the checkout saga's reactions and sends and of the notification processor, before
   * they park an event. Default: the processors' default (3 attempts).
   */
  readonly retry?: ProcessorRetryPolicy;
  /** The checkout saga to run (default {@link checkoutSaga} with `retry`); the crash test's negative control swaps in a broken one. */
  readonly checkout?: ReturnType<typeof checkoutSaga>;
}

/**
 * The flash sale of SCENARIOS.md S2 on any store. `placeOrder` locks stock (the order follows,
 * payable for 15 minutes) or joins the wait list; the checkout saga coordinates payment, timeout,
 * coupon and release; notifications and the CRM copy are processors.
 */
export function createFlashSale(options: FlashSaleOptions) {
  const parkedLog: ParkedEvent[] = [];
  const store = options.store ?? createInMemoryEventStore(options.clock === undefined ? {} : { clock: options.clock });
  const app: FlashSaleApp = createTidings({
    store,
    events: saleEvents,
    commands: saleCommands,
    sagas: [options.checkout ?? checkoutSaga(options.retry === undefined ? {} : { retry: options.retry })],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    runner: {
      onError: () => undefined,
      pollIntervalMs: 50,
      ...options.runner,
      onParked: (entry) => {
        parkedLog.push(entry);
        options.runner?.onParked?.(entry);
      },
    },
    ...(options.timers === undefined ? {} : { timers: options.timers }),
  });

  // Each entity is an event-sourced stream; event ids derive from the command id, so a command
  // sent again (a saga's redelivered send, a buyer's retried click) is recorded once.
  const conflicts = { maxRetries: 50, ...options.conflictRetry };
  const stock = app.commandHandler(stockDecider, {
    ...conflicts,
    streamId: (c) => stockStream(c.data.productId),
    returns: (r): PlaceOrderAnswer | undefined => {
      const first = r.newEvents[0] as StockEvent | undefined;
      if (first?.type === 'stock.locked') return { outcome: 'locked', message: 'stock locked, pay within 15 minutes' };
      if (first?.type === 'stock.wait-listed') {
        return { outcome: 'waiting', message: 'added to wait list', position: first.data.position };
      }
      return undefined;
    },
  });
  app.commands.handle('stock.open', async (c) => void (await stock(c)));
  app.commands.handle('flash-sale.place-order', async (c) => (await stock(c)) as PlaceOrderAnswer);
  app.commands.handle('stock.confirm-deduction', async (c) => void (await stock(c)));
  app.commands.handle('stock.release', async (c) => void (await stock(c)));
  const order = app.commandHandler(saleOrderDecider, {
    ...conflicts,
    streamId: (c) => saleOrderStream(c.data.orderId),
  });
  app.commands.handle('order.create', order);
  app.commands.handle('order.pay', order);
  app.commands.handle('order.cancel', order);
  app.commands.handle(
    'coupon.issue',
    app.commandHandler(couponDecider, { streamId: (c) => couponStream(c.data.orderId) }),
  );

  const state = options.state ?? memoryShopState();
  const notifications = saleNotifications(app, state, options.retry);
  const crm = crmSync(app, state, {
    failing: options.crmDown ?? (() => false),
    retry: options.crmRetry ?? { maxAttempts: 3, baseDelayMs: 100 },
  });

  // Pending and not parked: a parked timeout (its message refused when due) never fires by itself.
  const pendingTimeout = async (orderId: string): Promise<boolean> => {
    const timer = await store.timers.get(await timerId(`checkout:${orderId}`, PAYMENT_TIMEOUT));
    return timer !== undefined && timer.parked === undefined;
  };

  return {
    app,
    store,
    notifications,
    crm,
    /** Events an observer gave up on (after its retries), in the order they were parked. */
    parkedLog,
    /** Opens the sale's stock (once: a restart re-sends the same command ids) and starts the app. */
    async start(): Promise<void> {
      await app.start();
      for (const [productId, quantity] of Object.entries(options.stock)) {
        await app.send(OpenStock({ productId, quantity }), { id: `open-stock-${productId}` });
      }
    },
    /** A buyer's order: stock locked (pay within 15 minutes) or "added to wait list". */
    placeOrder: (request: OrderRequest, id?: string): Promise<PlaceOrderAnswer> =>
      app.send(PlaceOrder(request), id === undefined ? {} : { id }),
    pay: (orderId: string, amount: number, id?: string): Promise<void> =>
      app.send(PayOrder({ orderId, paymentId: `pay-${orderId}`, amount }), id === undefined ? {} : { id }),
    cancel: (orderId: string, reason: string): Promise<void> => app.send(CancelOrder({ orderId, reason })),
    /** The checkout saga's instance of an order (state, version, completed), read from its stream. */
    checkoutOf: (orderId: string) => app.sagas.get('checkout', orderId),
    /** Whether the order's payment timeout is still pending. */
    pendingTimeout,
    /**
     * What the store holds about one order's checkout, for a problem report: the saga instance,
     * its stream and the order's stream (types, with the transitions' input and state), the timer.
     */
    async explain(orderId: string): Promise<string> {
      const types = async (streamId: string): Promise<string> => {
        const seen: string[] = [];
        for await (const e of store.readStream(streamId)) {
          const t = e.data as { input?: { type?: string }; state?: { status?: string } };
          seen.push(t.input === undefined ? e.type : `${e.type}(${t.input.type} -> ${t.state?.status})`);
        }
        return seen.join(', ');
      };
      const instance = await app.sagas.get('checkout', orderId);
      const timer = await store.timers.get(await timerId(`checkout:${orderId}`, PAYMENT_TIMEOUT));
      return [
        `checkout ${orderId}: ${JSON.stringify(instance, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
        `  saga stream: ${await types(`saga.checkout-${orderId}`)}`,
        `  order stream: ${await types(saleOrderStream(orderId))}`,
        `  timer: ${timer === undefined ? 'none' : JSON.stringify(timer)}`,
      ].join('\n');
    },
    /**
     * Resolves when the sale is quiet: every processor (saga, outbox, observers) has handled what
     * is stored AND handling it appended nothing more (`quiet`: one catch-up waits for the head as
     * it was when called, while the outbox may still be sending a command a transition just
     * recorded). Each round bounded by `settleTimeoutMs`.
     */
    settled: () => app.catchUp({ timeoutMs: options.settleTimeoutMs ?? 30_000, quiet: true }),
    /** The sale as recorded, with the rules checked (see `saleReport`). */
    report: (settled = true) => saleReport(store, { settled, pendingTimeouts: pendingTimeout }),
    /** Drains the processors and stops the timer poller; the store stays open (it is the caller's). */
    close: () => app.close(),
  };
}

export type FlashSale = ReturnType<typeof createFlashSale>;
