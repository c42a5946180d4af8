import {
  CommandRejectedError,
  createTidings,
  defineCommand,
  defineDecider,
  defineEvent,
  defineSaga,
  payload,
  type Clock,
  type EventStore,
  type RecordedEvent,
  type SagaIgnoredReason,
  type SagaSpec,
  type Tidings,
  type EventSelector,
} from 'tidings';

// The checkout of the flash sale in miniature: a locked stock item waits 15 minutes for payment.

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 0, 1, 12);

const orderStream = (e: { data: { orderId: string } }): string => `order-${e.data.orderId}`;
export const StockLocked = defineEvent('stock.locked', payload<{ orderId: string }>(), { stream: orderStream });
export const OrderPaid = defineEvent('order.paid', payload<{ orderId: string }>(), { stream: orderStream });
export const PaymentTimedOut = defineEvent('checkout.payment-timed-out', payload<{ orderId: string }>());
export const OrderConfirmed = defineEvent('order.confirmed', payload<{ orderId: string }>(), { stream: orderStream });
export const OrderCancelled = defineEvent('order.cancelled', payload<{ orderId: string; reason: string }>(), {
  stream: orderStream,
});
export const Reminder = defineEvent('checkout.reminder', payload<{ orderId: string }>(), { stream: orderStream });
export const ConfirmOrder = defineCommand('order.confirm', payload<{ orderId: string }>());
export const CancelOrder = defineCommand('order.cancel', payload<{ orderId: string; reason: string }>());
export const RefundPayment = defineCommand('payment.refund', payload<{ orderId: string }>());

export const EVENTS = [StockLocked, OrderPaid, PaymentTimedOut, OrderConfirmed, OrderCancelled, Reminder] as const;
export const COMMANDS = [ConfirmOrder, CancelOrder, RefundPayment] as const;

/** A domain refusal: a cancelled order cannot be confirmed, a confirmed one cannot be cancelled. */
export class OrderClosedError extends CommandRejectedError {
  constructor(orderId: string, status: string) {
    super(`Order ${orderId} is ${status}: it cannot change any more.`, { code: 'ORDER_CLOSED' });
  }
}

interface OrderState {
  readonly status: 'open' | 'confirmed' | 'cancelled';
}

/** The receiver of the saga's commands: an event-sourced order (deduped by command id by app.commandHandler). */
export const orders = defineDecider({
  commands: [ConfirmOrder, CancelOrder],
  events: [OrderConfirmed, OrderCancelled],
  initialState: (): OrderState => ({ status: 'open' }),
  decide: (command, state) => {
    if (state.status !== 'open') throw new OrderClosedError(command.data.orderId, state.status);
    return command.type === 'order.confirm'
      ? [OrderConfirmed({ orderId: command.data.orderId })]
      : [OrderCancelled({ orderId: command.data.orderId, reason: command.data.reason })];
  },
  evolve: (state, event): OrderState =>
    event.type === 'order.confirmed'
      ? { status: 'confirmed' }
      : event.type === 'order.cancelled'
        ? { status: 'cancelled' }
        : state, // the order stream also holds stock.locked and order.paid
});

export interface CheckoutState {
  readonly status: 'new' | 'awaiting-payment' | 'paid' | 'timed-out' | 'refund-needed';
  readonly orderId?: string;
}

type CheckoutSpec = SagaSpec<CheckoutState, typeof StockLocked, typeof OrderPaid | typeof PaymentTimedOut>;

/** The checkout saga; `overrides` make the variants of the tests. */
export function checkoutSaga(overrides: Partial<CheckoutSpec> = {}) {
  // #region checkout-saga
  return defineSaga({
    name: 'checkout',
    startedBy: [StockLocked],
    handles: [OrderPaid, PaymentTimedOut],
    correlate: (event) => event.data.orderId,
    initialState: (): CheckoutState => ({ status: 'new' }),
    react(state, event, saga): CheckoutState | undefined {
      switch (event.type) {
        case 'stock.locked':
          saga.schedule('payment-timeout', PaymentTimedOut({ orderId: event.data.orderId }), { after: 15 * MIN });
          return { status: 'awaiting-payment', orderId: event.data.orderId };
        case 'order.paid':
          if (state.status !== 'awaiting-payment') return undefined;
          saga.cancel('payment-timeout');
          saga.send(ConfirmOrder({ orderId: event.data.orderId }));
          saga.complete();
          return { ...state, status: 'paid' };
        case 'checkout.payment-timed-out':
          if (state.status !== 'awaiting-payment') return undefined;
          saga.send(CancelOrder({ orderId: event.data.orderId, reason: 'payment timeout' }));
          saga.complete();
          return { ...state, status: 'timed-out' };
      }
    },
    ...overrides,
  });
  // #endregion checkout-saga
}

/** The order receiver of an app: `app.commandHandler` over the order decider (dedupes by command id). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any app of the fixtures
export const orderHandler = (app: Tidings<any, any, any>) =>
  app.commandHandler(orders, { streamId: (c) => `order-${c.data.orderId}` });

/** Options of {@link checkoutApp}. */
export interface CheckoutAppOptions {
  readonly store: EventStore;
  readonly clock?: Clock;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any saga of the fixture
  readonly sagas?: readonly ReturnType<typeof defineSaga<any, EventSelector, EventSelector>>[];
  /** Register the order receiver (default true). */
  readonly receiver?: boolean;
  readonly ignored?: { event: RecordedEvent; reason: SagaIgnoredReason }[];
}

/** The app of the tests: the saga, the order receiver, a refund handler counting its calls. */
export function checkoutApp(options: CheckoutAppOptions) {
  const refunds: string[] = [];
  const app = createTidings({
    store: options.store,
    events: EVENTS,
    commands: COMMANDS,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    sagas: options.sagas ?? [checkoutSaga()],
    // One hour: the poller sleeps until the next due timer, so advancing the fake clock wakes it once.
    timers: { pollIntervalMs: 60 * MIN },
    runner: { onError: () => undefined, pollIntervalMs: 20 },
  });
  if (options.receiver !== false) {
    app.commands.handle('order.confirm', orderHandler(app));
    app.commands.handle('order.cancel', orderHandler(app));
  }
  app.commands.handle('payment.refund', (command) => {
    refunds.push(command.data.orderId);
  });
  return { app, refunds };
}

/** Waits, in real time with a bound, until `check` holds (the fake clock does not move by itself). */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
}

/** Every event of a stream. */
export async function streamOf(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(streamId)) out.push(e);
  return out;
}
