import { seededRandom } from 'tidings/testing';
import type { Clock, EventStore } from 'tidings';
import type { FlashSale } from './flash-sale.js';
import { lookAtRest } from './sale-at-rest.js';
import { PAYMENT_WINDOW_MS, type OrderRequest } from './sale-messages.js';

/** What the simulated crowd does. Times are on the sale's clock (simulated minutes). */
export interface SimulationOptions {
  readonly customers: number;
  /** Chance that a buyer with a reserved order pays in time (the others let the timeout expire). */
  readonly payChance: number;
  /** Chance that a buyer who does not pay in time tries to pay a little after the deadline. */
  readonly latePayChance: number;
  /** Customers arrive over this many simulated minutes. */
  readonly arrivalMinutes: number;
  /** Seed of the crowd's choices (the same seed gives the same plan). */
  readonly seed: number;
  readonly unitPrice: number;
  /** Longest real wait for the sale to settle, in ms (then the run fails). */
  readonly timeoutMs: number;
}

/** Counts of what the store recorded so far, for the progress line. */
export interface SaleProgress {
  readonly placed: number;
  readonly paid: number;
  readonly timedOut: number;
  readonly cancelled: number;
  readonly waitListed: number;
  readonly servedFromWaitList: number;
  readonly locks: number;
  readonly unlocked: number;
  readonly events: number;
  readonly latePaymentsRefused: number;
}

interface Plan {
  readonly request: OrderRequest;
  readonly arriveAfterMs: number;
  /** Ms after the order is reserved that the buyer pays; undefined: never. */
  readonly payAfterMs: number | undefined;
}

function plan(options: SimulationOptions, products: readonly string[]): Plan[] {
  const random = seededRandom(options.seed);
  const minute = 60_000;
  return Array.from({ length: options.customers }, (_, i) => {
    const quantity = random() < 0.85 ? 1 : 2;
    const productId = products[Math.floor(random() * products.length)]!;
    const n = String(i + 1).padStart(4, '0');
    let payAfterMs: number | undefined;
    if (random() < options.payChance) payAfterMs = Math.round((1 + random() * 13) * minute);
    else if (random() < options.latePayChance) payAfterMs = PAYMENT_WINDOW_MS + Math.round((1 + random() * 2) * minute);
    return {
      request: { orderId: `o-${n}`, userId: `customer-${n}`, productId, quantity, unitPrice: options.unitPrice },
      arriveAfterMs: Math.round(random() * options.arrivalMinutes * minute),
      payAfterMs,
    };
  });
}

/** Follows the store from a position and counts what matters to the progress line. */
export function progressCounter(store: EventStore) {
  let from = 0n;
  const counts = {
    placed: 0,
    paid: 0,
    timedOut: 0,
    cancelled: 0,
    waitListed: 0,
    servedFromWaitList: 0,
    locks: 0,
    unlocked: 0,
    events: 0,
    latePaymentsRefused: 0,
  };
  return {
    counts: counts as SaleProgress & typeof counts,
    async refresh(): Promise<SaleProgress> {
      for await (const e of store.readAll({ from })) {
        from = e.position + 1n;
        counts.events++;
        const data = e.data as { reason?: string; fromWaitList?: boolean };
        if (e.type === 'order.placed') counts.placed++;
        else if (e.type === 'order.paid') counts.paid++;
        else if (e.type === 'order.cancelled') {
          counts.cancelled++;
          if (data.reason === 'payment timeout') counts.timedOut++;
        } else if (e.type === 'stock.wait-listed') counts.waitListed++;
        else if (e.type === 'stock.locked') {
          counts.locks++;
          if (data.fromWaitList === true) counts.servedFromWaitList++;
        } else if (e.type === 'stock.deducted' || e.type === 'stock.released') counts.unlocked++;
      }
      return { ...counts };
    },
  };
}

/**
 * Runs a crowd against a started flash sale: customers arrive, place orders (locked, or "added to
 * wait list"), some pay in time, some let the 15-minute timeout expire, a few try to pay too late
 * (refused). Waiters who receive released stock get an order and decide the same way. Returns when
 * every lock is paid or released and every processor has caught up (or when nothing can move any
 * more: no buyer action or timer pending, nothing recorded since the last look).
 */
export async function runSimulation(
  sale: FlashSale,
  clock: Clock,
  options: SimulationOptions,
  onTick: (progress: SaleProgress) => void,
  products: readonly string[],
): Promise<SaleProgress> {
  const plans = new Map(plan(options, products).map((p) => [p.request.orderId, p] as const));
  const counter = progressCounter(sale.store);
  const failures: unknown[] = [];
  let pending = 0; // arrivals and payments scheduled but not yet done
  const later = (ms: number, work: () => Promise<void>): void => {
    pending++;
    clock.setTimeout(() => {
      work()
        .catch((error: unknown) => failures.push(error))
        .finally(() => pending--);
    }, ms);
  };
  const buyerPays = (orderId: string): void => {
    const p = plans.get(orderId)!;
    if (p.payAfterMs === undefined) return;
    later(p.payAfterMs, async () => {
      try {
        await sale.pay(orderId, p.request.quantity * p.request.unitPrice, `pay-${orderId}`);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ORDER_CANCELLED') throw error;
        counter.counts.latePaymentsRefused++;
      }
    });
  };
  // A buyer learns their order exists from the store (an order reserved from the wait list
  // appears long after the request): watch order.placed events.
  let seen = 0n;
  const watchOrders = async (): Promise<void> => {
    for await (const e of sale.store.readAll({ from: seen, filter: { types: ['order.placed'] } })) {
      seen = e.position + 1n;
      buyerPays((e.data as { orderId: string }).orderId);
    }
  };
  for (const p of plans.values()) {
    later(p.arriveAfterMs, async () => {
      await sale.placeOrder(p.request, `place-${p.request.orderId}`);
    });
  }

  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    await watchOrders();
    const progress = await counter.refresh();
    onTick(progress);
    if (failures.length > 0) throw failures[0];
    if (pending === 0) {
      const look = await lookAtRest(
        {
          pendingTimers: () => sale.store.timers.count(),
          settle: async () => {
            await sale.settled();
            await watchOrders();
          },
          refresh: () => counter.refresh(),
        },
        progress,
      );
      // Done when every lock is paid or released, or when nothing can move any more (no buyer
      // action, no pending timer, nothing new recorded): a broken flow ends here, for the report.
      if (pending === 0 && (look.finished || look.quiet)) return look.progress;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The simulation did not settle within ${options.timeoutMs} ms: ${pending} buyer actions pending, ${progress.locks - progress.unlocked} locks open.`,
      );
    }
  }
}
