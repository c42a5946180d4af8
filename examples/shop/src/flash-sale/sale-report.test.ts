import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore, fireDueTimers, type EventStore, type Message } from 'tidings';
import {
  CouponIssued,
  OrderPaid,
  OrderPlaced,
  PaymentTimedOut,
  StockDeducted,
  StockLocked,
  StockOpened,
} from './sale-messages.js';
import { saleReport } from './sale-report.js';

const request = { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1, unitPrice: 500 };
const who = { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1 };

async function storeWith(streams: Record<string, Message[]>): Promise<EventStore> {
  const store = createInMemoryEventStore();
  for (const [streamId, events] of Object.entries(streams)) await store.append(streamId, events);
  return store;
}

/** A paid order, recorded consistently across its streams. */
const paidSale = (): Record<string, Message[]> => ({
  'stock-p1': [
    StockOpened({ productId: 'p1', quantity: 2 }),
    StockLocked({ ...request, fromWaitList: false }),
    StockDeducted({ productId: 'p1', orderId: 'o1', quantity: 1 }),
  ],
  'order-o1': [
    OrderPlaced({ ...request, total: 500, payBy: '2026-01-01T00:15:00.000Z' }),
    OrderPaid({ ...who, paymentId: 'pay', amount: 500 }),
  ],
  'coupon-o1': [CouponIssued({ couponId: 'FLASH-o1', orderId: 'o1', userId: 'u1', percentOff: 10 })],
});

describe('saleReport: the rules of the sale, read from the store', () => {
  it('a consistent sale has no problems', async () => {
    const report = await saleReport(await storeWith(paidSale()), { settled: true });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ orders: { paid: 1 }, coupons: 1, timedOut: 0 });
  });

  // Negative controls: each broken history must be caught.
  it('catches a coupon issued twice', async () => {
    const sale = paidSale();
    sale['coupon-o1']!.push(CouponIssued({ couponId: 'FLASH-o1', orderId: 'o1', userId: 'u1', percentOff: 10 }));
    expect((await saleReport(await storeWith(sale), { settled: true })).problems).toContain('order o1: 2 coupons');
  });

  it('catches a timeout fired twice', async () => {
    const sale = {
      ...paidSale(),
      'saga.checkout-o1': [PaymentTimedOut({ orderId: 'o1' }), PaymentTimedOut({ orderId: 'o1' })],
    };
    expect((await saleReport(await storeWith(sale), { settled: true })).problems).toContain(
      'order o1: payment timeout fired 2 times',
    );
  });

  it('catches a lost command: a lock whose order was never created, a payment whose deduction never came', async () => {
    const noOrder = paidSale();
    delete noOrder['order-o1'];
    delete noOrder['coupon-o1'];
    noOrder['stock-p1'] = noOrder['stock-p1']!.slice(0, 2);
    expect((await saleReport(await storeWith(noOrder), { settled: true })).problems).toEqual([
      'stock-p1: locked 1 but unpaid orders hold 0',
      'stock-p1: locked for o1, which has no order',
    ]);
    const noDeduction = paidSale();
    noDeduction['stock-p1'] = noDeduction['stock-p1']!.slice(0, 2);
    expect((await saleReport(await storeWith(noDeduction), { settled: true })).problems).toEqual([
      'stock-p1: sold 0 but paid orders hold 1',
      'stock-p1: locked 1 but unpaid orders hold 0',
    ]);
  });

  it('catches an unpaid order whose timeout is gone', async () => {
    const sale = paidSale();
    sale['order-o1'] = sale['order-o1']!.slice(0, 1);
    sale['stock-p1'] = sale['stock-p1']!.slice(0, 2);
    delete sale['coupon-o1'];
    const report = await saleReport(await storeWith(sale), { settled: true, pendingTimeouts: async () => false });
    expect(report.problems).toEqual(['order o1: awaiting payment without a pending payment timeout']);
  });

  it('catches a parked timer (its message refused when due: it never fires by itself)', async () => {
    const store = await storeWith(paidSale());
    await store.deleteStream('dead-end', { mode: 'hard' });
    await store.timers.schedule({
      id: '0190a000-0000-7000-8000-000000000001',
      streamId: 'dead-end',
      message: PaymentTimedOut({ orderId: 'o1' }),
      at: 0,
    });
    await fireDueTimers(store, { now: new Date(), limit: 10 });
    const problems = (await saleReport(store, { settled: true })).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^timer 0190a000-0000-7000-8000-000000000001 \(checkout\.payment-timed-out\) parked: /);
  });
});
