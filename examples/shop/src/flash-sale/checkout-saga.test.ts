import { describe, it } from 'vitest';
import { SagaScenario } from 'tidings/testing';
import { checkout } from './checkout-saga.js';
import {
  CancelOrder,
  ConfirmDeduction,
  CreateOrder,
  IssueCoupon,
  OrderPaid,
  PaymentTimedOut,
  StockLocked,
} from './sale-messages.js';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');
const request = { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1, unitPrice: 500 };
const locked = StockLocked({ ...request, fromWaitList: false });

describe('the checkout saga as defined (SagaScenario, by the runtime rules)', () => {
  const scenario = SagaScenario.for(checkout, { now: NOW });

  it('a lock creates the order and starts the 15-minute timeout', () => {
    scenario.when(locked).then({
      sends: [CreateOrder({ ...request, payBy: '2026-03-01T10:15:00.000Z' })],
      scheduled: [{ name: 'payment-timeout', event: PaymentTimedOut({ orderId: 'o1' }), dueAt: NOW + 15 * 60_000 }],
      completed: false,
    });
  });

  it('a payment stops the timeout, confirms the deduction, issues the coupon and completes', () => {
    scenario
      .given([locked])
      .when(OrderPaid({ orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1, paymentId: 'pay', amount: 500 }))
      .then({
        sends: [
          ConfirmDeduction({ productId: 'p1', orderId: 'o1' }),
          IssueCoupon({ orderId: 'o1', userId: 'u1', percentOff: 10 }),
        ],
        cancelled: ['payment-timeout'],
        completed: true,
      });
  });

  it('the timeout cancels the order with reason "payment timeout"', () => {
    scenario
      .given([locked])
      .when(PaymentTimedOut({ orderId: 'o1' }))
      .then({ sends: [CancelOrder({ orderId: 'o1', reason: 'payment timeout' })], completed: false });
  });
});
