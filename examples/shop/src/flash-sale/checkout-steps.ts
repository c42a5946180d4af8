import type { Message } from 'tidings';
import {
  CancelOrder,
  ConfirmDeduction,
  CreateOrder,
  IssueCoupon,
  PAYMENT_WINDOW_MS,
  PaymentTimedOut,
  ReleaseStock,
  type OrderEvent,
  type OrderRequest,
  type StockEvent,
} from './sale-messages.js';

/** Where one checkout (one order) stands. */
export type CheckoutState =
  | { readonly status: 'new' }
  | (OrderRequest & {
      /**
       * awaiting-payment: the order exists, the timeout is scheduled; cancelling: the timeout fired
       * and the order's cancel is sent; paid / cancelled: done (the saga completed).
       */
      readonly status: 'awaiting-payment' | 'cancelling' | 'paid' | 'cancelled';
    });

/** The events that reach the checkout saga. */
export type CheckoutEvent =
  | Extract<StockEvent, { type: 'stock.locked' }>
  | Extract<OrderEvent, { type: 'order.paid' | 'order.cancelled' }>
  | ReturnType<typeof PaymentTimedOut>;

/** What the saga's `react` may record (the shape of the saga API's recorder). */
export interface CheckoutRecorder {
  send(command: Message): void;
  schedule(name: string, event: Message, when: { after: number }): void;
  cancel(name: string): void;
  complete(): void;
  readonly now: Date;
}

export const PAYMENT_TIMEOUT = 'payment-timeout';
export const PAYMENT_TIMEOUT_REASON = 'payment timeout';
/** Percent off the next purchase, earned by a paid flash-sale order. */
export const COUPON_PERCENT_OFF = 10;

/**
 * The checkout saga's reaction to one event: pure, it only records what to send and schedule.
 * Stock locked → create the pending-payment order and start the 15-minute payment timeout.
 * Paid → stop the timeout, confirm the deduction, issue the coupon. Timeout → cancel the order
 * ("payment timeout"); the order decides between a payment and the cancel, so exactly one wins.
 * Cancelled (by the timeout or the buyer) → release the stock, which goes to the first waiter.
 */
// #region react
export function reactToCheckout(
  state: CheckoutState,
  event: CheckoutEvent,
  saga: CheckoutRecorder,
): CheckoutState | undefined {
  switch (event.type) {
    case 'stock.locked': {
      if (state.status !== 'new') return undefined;
      const { fromWaitList: _fromWaitList, ...request } = event.data;
      const payBy = new Date(saga.now.getTime() + PAYMENT_WINDOW_MS).toISOString();
      saga.send(CreateOrder({ ...request, payBy }));
      saga.schedule(PAYMENT_TIMEOUT, PaymentTimedOut({ orderId: request.orderId }), { after: PAYMENT_WINDOW_MS });
      return { ...request, status: 'awaiting-payment' };
    }
    case 'order.paid': {
      if (state.status === 'new') return undefined;
      saga.cancel(PAYMENT_TIMEOUT);
      saga.send(ConfirmDeduction({ productId: state.productId, orderId: state.orderId }));
      saga.send(IssueCoupon({ orderId: state.orderId, userId: state.userId, percentOff: COUPON_PERCENT_OFF }));
      saga.complete();
      return { ...state, status: 'paid' };
    }
    case 'checkout.payment-timed-out': {
      if (state.status !== 'awaiting-payment') return undefined;
      saga.send(CancelOrder({ orderId: state.orderId, reason: PAYMENT_TIMEOUT_REASON }));
      return { ...state, status: 'cancelling' };
    }
    case 'order.cancelled': {
      if (state.status === 'new') return undefined;
      saga.cancel(PAYMENT_TIMEOUT); // a buyer who cancels before the timeout
      saga.send(ReleaseStock({ productId: state.productId, orderId: state.orderId, reason: event.data.reason }));
      saga.complete();
      return { ...state, status: 'cancelled' };
    }
  }
}
// #endregion react

/**
 * A command the checkout sent was refused. The one expected refusal: the timeout's cancel lost
 * the race to a payment (`ORDER_ALREADY_PAID`); the `order.paid` event follows and completes the
 * checkout, so nothing changes here. Any other refusal is a bug in the flow: thrown, so the
 * saga's event is parked and visible, never dropped.
 */
export function checkoutRejected(
  state: CheckoutState,
  rejection: { readonly command: Message; readonly error: Error & { readonly code?: string } },
): CheckoutState | undefined {
  if (rejection.command.type === 'order.cancel' && rejection.error.code === 'ORDER_ALREADY_PAID') return undefined;
  throw new Error(
    `checkout ${state.status === 'new' ? '' : state.orderId}: ${rejection.command.type} was refused: ${rejection.error.message}`,
    { cause: rejection.error },
  );
}
