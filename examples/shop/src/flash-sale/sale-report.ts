import { evolveAll, type EventStore, type RecordedEvent } from 'tidings';
import type { CouponEvent, OrderEvent, StockEvent } from './sale-messages.js';
import { saleOrderDecider, type SaleOrderState } from './sale-order.js';
import { lockedUnits, stockConserved, stockDecider, type StockState } from './stock.js';

/** The sale as the store tells it: orders by state, stock per product, coupons, timers fired. */
export interface SaleReport {
  readonly orders: { readonly 'awaiting-payment': number; readonly paid: number; readonly cancelled: number };
  /** Requests on a wait list, not (yet) orders. */
  readonly waiting: number;
  readonly stock: Readonly<Record<string, StockState>>;
  readonly coupons: number;
  readonly timedOut: number;
  /** Everything that breaks a rule of the sale (empty when it holds). */
  readonly problems: string[];
}

async function collect(store: EventStore, categories: string[]): Promise<Map<string, RecordedEvent[]>> {
  const streams = new Map<string, RecordedEvent[]>();
  for await (const e of store.readAll({ filter: { categories } })) {
    const list = streams.get(e.streamId) ?? [];
    list.push(e);
    streams.set(e.streamId, list);
  }
  return streams;
}

/**
 * Reads every stock, order and coupon stream and checks the rules of the sale. With `settled`
 * (nothing in flight: every saga send delivered) it also checks the streams against each other:
 * units sold = units of paid orders, units locked = units of unpaid orders, one coupon per paid
 * order and none for others, every unpaid order has its payment timeout pending, at most one
 * timeout fired per order.
 */
export async function saleReport(
  store: EventStore,
  options: { readonly settled: boolean; readonly pendingTimeouts?: (orderId: string) => Promise<boolean> },
): Promise<SaleReport> {
  const problems: string[] = [];
  const stock: Record<string, StockState> = {};
  for (const [streamId, events] of await collect(store, ['stock'])) {
    const s = evolveAll(stockDecider, events as unknown as StockEvent[], stockDecider.initialState());
    stock[s.productId] = s;
    if (!stockConserved(s)) {
      problems.push(
        `${streamId}: opening ${s.initial} != sold ${s.sold} + available ${s.available} + locked ${lockedUnits(s)}`,
      );
    }
    if (s.available < 0) problems.push(`${streamId}: available is ${s.available}`);
  }
  const orders: Record<string, Extract<SaleOrderState, { orderId: string }>> = {};
  for (const events of (await collect(store, ['order'])).values()) {
    const o = evolveAll(saleOrderDecider, events as unknown as OrderEvent[], saleOrderDecider.initialState());
    if (o.status !== 'none') orders[o.orderId] = o;
  }
  const couponsPerOrder = new Map<string, number>();
  for (const events of (await collect(store, ['coupon'])).values()) {
    for (const e of events as unknown as CouponEvent[]) {
      couponsPerOrder.set(e.data.orderId, (couponsPerOrder.get(e.data.orderId) ?? 0) + 1);
    }
  }
  const timeoutsPerOrder = new Map<string, number>();
  for await (const e of store.readAll({ filter: { types: ['checkout.payment-timed-out'] } })) {
    const orderId = (e.data as { orderId: string }).orderId;
    timeoutsPerOrder.set(orderId, (timeoutsPerOrder.get(orderId) ?? 0) + 1);
  }
  for (const [orderId, n] of timeoutsPerOrder)
    if (n > 1) problems.push(`order ${orderId}: payment timeout fired ${n} times`);
  for (const [orderId, n] of couponsPerOrder) if (n > 1) problems.push(`order ${orderId}: ${n} coupons`);
  for (const timer of await store.timers.listParked()) {
    problems.push(`timer ${timer.id} (${timer.message.type}) parked: ${timer.parked?.error.message ?? 'no error'}`);
  }

  const count = { 'awaiting-payment': 0, paid: 0, cancelled: 0 };
  for (const o of Object.values(orders)) count[o.status]++;
  if (options.settled) {
    for (const s of Object.values(stock)) {
      const mine = Object.values(orders).filter((o) => o.productId === s.productId);
      const sum = (status: string) => mine.filter((o) => o.status === status).reduce((a, o) => a + o.quantity, 0);
      if (s.sold !== sum('paid'))
        problems.push(`stock-${s.productId}: sold ${s.sold} but paid orders hold ${sum('paid')}`);
      if (lockedUnits(s) !== sum('awaiting-payment')) {
        problems.push(
          `stock-${s.productId}: locked ${lockedUnits(s)} but unpaid orders hold ${sum('awaiting-payment')}`,
        );
      }
    }
    for (const o of Object.values(orders)) {
      const coupons = couponsPerOrder.get(o.orderId) ?? 0;
      if (o.status === 'paid' && coupons !== 1) problems.push(`order ${o.orderId}: paid with ${coupons} coupons`);
      if (o.status !== 'paid' && coupons !== 0) problems.push(`order ${o.orderId}: ${o.status} with a coupon`);
      if (o.status === 'awaiting-payment' && options.pendingTimeouts !== undefined) {
        if (!(await options.pendingTimeouts(o.orderId))) {
          problems.push(`order ${o.orderId}: awaiting payment without a pending payment timeout`);
        }
      }
    }
    for (const s of Object.values(stock)) {
      for (const orderId of Object.keys(s.locks)) {
        if (orders[orderId] === undefined)
          problems.push(`stock-${s.productId}: locked for ${orderId}, which has no order`);
      }
    }
  }
  return {
    orders: count,
    waiting: Object.values(stock).reduce((a, s) => a + s.waiting.length, 0),
    stock,
    coupons: [...couponsPerOrder.values()].reduce((a, b) => a + b, 0),
    timedOut: timeoutsPerOrder.size,
    problems,
  };
}
