import { defineSaga, type ProcessorRetryPolicy } from 'tidings';
import { checkoutRejected, reactToCheckout, type CheckoutState } from './checkout-steps.js';
import {
  CancelOrder,
  ConfirmDeduction,
  CreateOrder,
  IssueCoupon,
  OrderCancelled,
  OrderPaid,
  PaymentTimedOut,
  ReleaseStock,
  StockLocked,
} from './sale-messages.js';

/** Variants of the checkout saga (tests and the sped-up demo). */
export interface CheckoutOptions {
  /** Retries of a failing reaction or send before it is parked (default: the processors' default). */
  readonly retry?: ProcessorRetryPolicy;
  /** Replaces the steps (the crash test's negative control sends outside the transition). */
  readonly react?: typeof reactToCheckout;
}

// #region checkout-saga
/**
 * The checkout of one flash-sale order, coordinated by a saga (a process manager): its state is
 * the stream `saga.checkout-<orderId>`; each reaction, its sends and its timers commit in one
 * transaction, and the sends are delivered at least once with a dedupe id.
 */
export function checkoutSaga(options: CheckoutOptions = {}) {
  const react = options.react ?? reactToCheckout;
  return defineSaga({
    name: 'checkout',
    startedBy: [StockLocked], // stock locked for an order (by the buyer, or handed to a waiter)
    handles: [OrderPaid, OrderCancelled, PaymentTimedOut],
    correlate: (event) => event.data.orderId,
    initialState: (): CheckoutState => ({ status: 'new' }),
    react: (state, event, saga) => react(state, event, saga),
    // The timeout's cancel lost the race to a payment: the payment completes the checkout.
    onRejected: (state, rejection) => checkoutRejected(state, rejection),
    sends: [CreateOrder, ConfirmDeduction, IssueCoupon, CancelOrder, ReleaseStock],
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
}
// #endregion checkout-saga

export const checkout = checkoutSaga();
