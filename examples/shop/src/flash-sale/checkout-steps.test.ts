import { describe, expect, it } from 'vitest';
import type { Message } from 'tidings';
import { checkoutRejected, reactToCheckout, type CheckoutState } from './checkout-steps.js';
import { CancelOrder, OrderCancelled, OrderPaid, PaymentTimedOut, StockLocked } from './sale-messages.js';

function recorder(now = new Date('2026-01-01T00:00:00.000Z')) {
  const log: string[] = [];
  return {
    log,
    now,
    send: (c: Message) => log.push(`send ${c.type} ${JSON.stringify(c.data)}`),
    schedule: (name: string, e: Message, when: { after: number }) =>
      log.push(`schedule ${name} ${e.type} +${when.after}`),
    cancel: (name: string) => log.push(`cancel ${name}`),
    complete: () => log.push('complete'),
  };
}
const request = { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 2, unitPrice: 500 };
const waiting: CheckoutState = { ...request, status: 'awaiting-payment' };
const who = { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 2 };

describe('checkout saga steps (pure react)', () => {
  it('stock locked: creates the order due in 15 minutes and schedules the timeout', () => {
    const r = recorder();
    expect(reactToCheckout({ status: 'new' }, StockLocked({ ...request, fromWaitList: true }) as never, r)).toEqual(
      waiting,
    );
    expect(r.log).toEqual([
      `send order.create ${JSON.stringify({ ...request, payBy: '2026-01-01T00:15:00.000Z' })}`,
      'schedule payment-timeout checkout.payment-timed-out +900000',
    ]);
  });

  it('paid: stops the timeout, confirms the deduction, issues the coupon, completes', () => {
    const r = recorder();
    const next = reactToCheckout(waiting, OrderPaid({ ...who, paymentId: 'pay', amount: 1000 }), r);
    expect(next).toMatchObject({ status: 'paid' });
    expect(r.log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'cancel payment-timeout',
      'send stock.confirm-deduction',
      'send coupon.issue',
      'complete',
    ]);
  });

  it('timeout: cancels the order with reason "payment timeout"; the cancel releases the stock', () => {
    const r = recorder();
    const cancelling = reactToCheckout(waiting, PaymentTimedOut({ orderId: 'o1' }), r)!;
    expect(cancelling.status).toBe('cancelling');
    expect(r.log).toEqual([`send order.cancel ${JSON.stringify({ orderId: 'o1', reason: 'payment timeout' })}`]);
    const r2 = recorder();
    expect(
      reactToCheckout(cancelling, OrderCancelled({ ...who, reason: 'payment timeout' }) as never, r2),
    ).toMatchObject({
      status: 'cancelled',
    });
    expect(r2.log).toEqual([
      'cancel payment-timeout',
      `send stock.release ${JSON.stringify({ productId: 'p1', orderId: 'o1', reason: 'payment timeout' })}`,
      'complete',
    ]);
  });

  it('payment won the race: the refused cancel changes nothing, the payment completes the checkout', () => {
    const cancelling: CheckoutState = { ...request, status: 'cancelling' };
    const refused = Object.assign(new Error('already paid'), { code: 'ORDER_ALREADY_PAID' });
    expect(
      checkoutRejected(cancelling, {
        command: CancelOrder({ orderId: 'o1', reason: 'payment timeout' }),
        error: refused,
      }),
    ).toBeUndefined();
    const r = recorder();
    expect(
      reactToCheckout(cancelling, OrderPaid({ ...who, paymentId: 'pay', amount: 1000 }) as never, r),
    ).toMatchObject({ status: 'paid' });
    expect(r.log).toContain('complete');
  });

  it('any other refusal is thrown (parked, never dropped)', () => {
    const error = Object.assign(new Error('no lock'), { code: 'NO_LOCK' });
    expect(() => checkoutRejected(waiting, { command: CancelOrder({ orderId: 'o1', reason: 'x' }), error })).toThrow(
      /order\.cancel was refused: no lock/,
    );
  });

  it('a late timeout, or events before the start, record nothing', () => {
    const r = recorder();
    expect(
      reactToCheckout({ ...request, status: 'cancelling' }, PaymentTimedOut({ orderId: 'o1' }) as never, r),
    ).toBeUndefined();
    expect(
      reactToCheckout({ status: 'new' }, OrderPaid({ ...who, paymentId: 'p', amount: 1 }) as never, r),
    ).toBeUndefined();
    expect(r.log).toEqual([]);
  });
});
