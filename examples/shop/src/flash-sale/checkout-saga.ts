import { defineSaga } from 'tidings';
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

// #region checkout-saga
/**
 * The checkout of one flash-sale order, coordinated by a saga (a process manager): its state is
 * the stream `saga.checkout-<orderId>`; each reaction, its sends and its timers commit in one
 * transaction, and the sends are delivered at least once with a dedupe id.
 */
export const checkout = defineSaga({
  name: 'checkout',
  startedBy: [StockLocked], // stock locked for an order (by the buyer, or handed to a waiter)
  handles: [OrderPaid, OrderCancelled, PaymentTimedOut],
  correlate: (event) => event.data.orderId,
  initialState: (): CheckoutState => ({ status: 'new' }),
  react: (state, event, saga) => reactToCheckout(state, event, saga),
  // The timeout's cancel lost the race to a payment: the payment completes the checkout.
  onRejected: (state, rejection) => checkoutRejected(state, rejection),
  sends: [CreateOrder, ConfirmDeduction, IssueCoupon, CancelOrder, ReleaseStock],
});
// #endregion checkout-saga
