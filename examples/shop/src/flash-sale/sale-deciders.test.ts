import { describe, expect, it } from 'vitest';
import { DeciderSpec } from 'tidings/testing';
import { evolveAll } from 'tidings';
import { couponDecider } from './coupon.js';
import {
  CancelOrder,
  ConfirmDeduction,
  CouponIssued,
  CreateOrder,
  IssueCoupon,
  OpenStock,
  OrderCancelled,
  OrderPaid,
  OrderPlaced,
  PayOrder,
  PlaceOrder,
  ReleaseStock,
  StockDeducted,
  StockLocked,
  StockOpened,
  StockReleased,
  WaitListed,
} from './sale-messages.js';
import { saleOrderDecider } from './sale-order.js';
import { SaleRejectedError } from './sale-rejected-error.js';
import { stockConserved, stockDecider } from './stock.js';

const ask = (orderId: string, quantity = 1) => ({
  orderId,
  userId: `u-${orderId}`,
  productId: 'p1',
  quantity,
  unitPrice: 500,
});
const code = (c: string) => (e: unknown) => e instanceof SaleRejectedError && e.code === c && e.rejected;

describe('stock decider', () => {
  const spec = DeciderSpec.for(stockDecider);
  const opened = StockOpened({ productId: 'p1', quantity: 2 });

  it('locks while stock lasts, then wait-lists in order', () => {
    spec
      .given([opened])
      .when(PlaceOrder(ask('o1', 2)))
      .then([StockLocked({ ...ask('o1', 2), fromWaitList: false })]);
    spec
      .given([opened, StockLocked({ ...ask('o1', 2), fromWaitList: false })])
      .when(PlaceOrder(ask('o2')))
      .then([WaitListed({ ...ask('o2'), position: 1 })]);
  });

  it('a newcomer queues behind waiters even when a unit is free', () => {
    spec
      .given([opened, StockLocked({ ...ask('o1'), fromWaitList: false }), WaitListed({ ...ask('o2', 2), position: 1 })])
      .when(PlaceOrder(ask('o3')))
      .then([WaitListed({ ...ask('o3'), position: 2 })]);
  });

  it('a release goes to the first waiters that fit, in order', () => {
    const history = [
      opened,
      StockLocked({ ...ask('o1', 2), fromWaitList: false }),
      WaitListed({ ...ask('o2'), position: 1 }),
      WaitListed({ ...ask('o3'), position: 2 }),
      WaitListed({ ...ask('o4'), position: 3 }),
    ];
    spec
      .given(history)
      .when(ReleaseStock({ productId: 'p1', orderId: 'o1', reason: 'payment timeout' }))
      .then([
        StockReleased({ productId: 'p1', orderId: 'o1', quantity: 2, reason: 'payment timeout' }),
        StockLocked({ ...ask('o2'), fromWaitList: true }),
        StockLocked({ ...ask('o3'), fromWaitList: true }),
      ]);
  });

  it('the head of the wait list is never overtaken', () => {
    spec
      .given([
        opened,
        StockLocked({ ...ask('o1'), fromWaitList: false }),
        StockLocked({ ...ask('o2'), fromWaitList: false }),
        WaitListed({ ...ask('o3', 2), position: 1 }),
        WaitListed({ ...ask('o4'), position: 2 }),
      ])
      .when(ReleaseStock({ productId: 'p1', orderId: 'o1', reason: 'payment timeout' }))
      .then([StockReleased({ productId: 'p1', orderId: 'o1', quantity: 1, reason: 'payment timeout' })]);
  });

  it('refuses what the state does not allow', () => {
    spec.when(PlaceOrder(ask('o1'))).thenThrows(code('NOT_ON_SALE'));
    spec
      .given([opened])
      .when(OpenStock({ productId: 'p1', quantity: 3 }))
      .thenThrows(code('STOCK_ALREADY_OPEN'));
    spec
      .given([opened])
      .when(PlaceOrder(ask('o1', 3)))
      .thenThrows(code('QUANTITY_EXCEEDS_STOCK'));
    spec
      .given([opened, StockLocked({ ...ask('o1'), fromWaitList: false })])
      .when(PlaceOrder(ask('o1')))
      .thenThrows(code('ORDER_EXISTS'));
    spec
      .given([opened])
      .when(ConfirmDeduction({ productId: 'p1', orderId: 'o9' }))
      .thenThrows(code('NO_LOCK'));
    spec
      .given([
        opened,
        StockLocked({ ...ask('o1'), fromWaitList: false }),
        StockDeducted({ productId: 'p1', orderId: 'o1', quantity: 1 }),
      ])
      .when(ReleaseStock({ productId: 'p1', orderId: 'o1', reason: 'x' }))
      .thenThrows(code('NO_LOCK'));
  });

  it('conserves stock through every event, and the check catches a broken count', () => {
    const state = evolveAll(
      stockDecider,
      [
        opened,
        StockLocked({ ...ask('o1'), fromWaitList: false }),
        StockLocked({ ...ask('o2'), fromWaitList: false }),
        StockDeducted({ productId: 'p1', orderId: 'o1', quantity: 1 }),
        StockReleased({ productId: 'p1', orderId: 'o2', quantity: 1, reason: 'payment timeout' }),
      ] as never[],
      stockDecider.initialState(),
    );
    expect(state).toMatchObject({ initial: 2, sold: 1, available: 1, locks: {} });
    expect(stockConserved(state)).toBe(true);
    expect(stockConserved({ ...state, sold: 2 })).toBe(false); // negative control of the check itself
  });
});

describe('flash-sale order decider', () => {
  const spec = DeciderSpec.for(saleOrderDecider);
  const placed = OrderPlaced({ ...ask('o1', 2), total: 1000, payBy: '2026-01-01T00:15:00.000Z' });
  const who = { orderId: 'o1', userId: 'u-o1', productId: 'p1', quantity: 2 };

  it('is created awaiting payment, then paid once', () => {
    spec.when(CreateOrder({ ...ask('o1', 2), payBy: '2026-01-01T00:15:00.000Z' })).then([placed]);
    spec
      .given([placed])
      .when(PayOrder({ orderId: 'o1', paymentId: 'pay-1', amount: 1000 }))
      .then([OrderPaid({ ...who, paymentId: 'pay-1', amount: 1000 })]);
  });

  it('a cancel of an already-paid order is refused', () => {
    spec
      .given([placed, OrderPaid({ ...who, paymentId: 'pay-1', amount: 1000 })])
      .when(CancelOrder({ orderId: 'o1', reason: 'payment timeout' }))
      .thenThrows(code('ORDER_ALREADY_PAID'));
  });

  it('a payment of a cancelled order is refused, naming the reason', () => {
    spec
      .given([placed, OrderCancelled({ ...who, reason: 'payment timeout' })])
      .when(PayOrder({ orderId: 'o1', paymentId: 'pay-1', amount: 1000 }))
      .thenThrows((e) => code('ORDER_CANCELLED')(e) && (e as Error).message.includes('payment timeout'));
  });

  it('refuses a wrong amount, a second payment, a missing order', () => {
    spec
      .given([placed])
      .when(PayOrder({ orderId: 'o1', paymentId: 'p', amount: 999 }))
      .thenThrows(code('PAYMENT_AMOUNT_MISMATCH'));
    spec
      .given([placed, OrderPaid({ ...who, paymentId: 'pay-1', amount: 1000 })])
      .when(PayOrder({ orderId: 'o1', paymentId: 'pay-2', amount: 1000 }))
      .thenThrows(code('ORDER_ALREADY_PAID'));
    spec.when(PayOrder({ orderId: 'o1', paymentId: 'p', amount: 1 })).thenThrows(code('ORDER_NOT_FOUND'));
  });
});

describe('coupon decider', () => {
  it('issues one coupon per order', () => {
    const spec = DeciderSpec.for(couponDecider);
    const issue = IssueCoupon({ orderId: 'o1', userId: 'u1', percentOff: 10 });
    const issued = CouponIssued({ couponId: 'FLASH-o1', orderId: 'o1', userId: 'u1', percentOff: 10 });
    spec.when(issue).then([issued]);
    spec.given([issued]).when(issue).thenThrows(code('COUPON_ALREADY_ISSUED'));
  });
});
