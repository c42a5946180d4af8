import { afterEach, describe, expect, it } from 'vitest';
import { loadState, type EventStore } from 'tidings';
import { createFakeClock, type FakeClock } from 'tidings/testing';
import { createFlashSale, type FlashSale } from '../flash-sale/flash-sale.js';
import type { OrderRequest } from '../flash-sale/sale-messages.js';
import { saleOrderDecider, saleOrderStream, type SaleOrderState } from '../flash-sale/sale-order.js';
import { memoryShopState, type ShopState } from '../shop-state.js';

const MINUTE = 60_000;
const OPEN = Date.parse('2026-03-01T10:00:00.000Z');
const ask = (orderId: string, quantity = 1): OrderRequest => ({
  orderId,
  userId: `u-${orderId}`,
  productId: 'p1',
  quantity,
  unitPrice: 500,
});

async function head(store: EventStore): Promise<bigint> {
  for await (const e of store.readAll({ direction: 'backward', limit: 1 })) return e.position;
  return 0n;
}

/** Real time passes (the app's processors and poller work) while the fake clock stands still. */
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2));

/**
 * Runs `work` while moving the fake clock 1 ms at a time, so what sleeps on it (a conflict retry's
 * backoff, when a buyer's payment and the saga's cancel meet on one order) goes on. Bounded: it
 * fails after 10 000 steps. Elsewhere time only moves by `advance`.
 */
async function driving<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let done = false;
  const result = work.finally(() => (done = true));
  result.catch(() => undefined); // handled by the caller, after the loop
  for (let i = 0; !done; i++) {
    if (i === 10_000) throw new Error('still running after 10 000 steps of the fake clock');
    await clock.advance(1);
    await tick();
  }
  return result;
}

/**
 * The flash sale (SCENARIOS.md S2) against any store, on a fake clock: no test waits 15 minutes.
 * After each test the sale's rules are checked on what the store holds (stock conserved, one
 * coupon per paid order, sold and locked units match the orders, no timer fired twice, …).
 */
export function flashSaleSuite(
  name: string,
  openStore: () => Promise<EventStore>,
  stateFor: (store: EventStore) => ShopState = () => memoryShopState(),
): void {
  describe(`flash sale (S2) on ${name}`, () => {
    let current: { sale: FlashSale; store: EventStore } | undefined;

    const open = async (units: Record<string, number>) => {
      const store = await openStore();
      const clock = createFakeClock({ now: OPEN });
      const sale = createFlashSale({
        store,
        clock,
        state: stateFor(store),
        stock: units,
        // Leases are timed by the store (real time) and renewed on the app clock (fake): a long TTL.
        runner: { leaseTtlMs: 10 * MINUTE },
        timers: { pollIntervalMs: MINUTE },
      });
      await driving(clock, sale.start());
      current = { sale, store };

      /** Until nothing moves: processors caught up, the poller asleep, no timer due. */
      const settle = async (): Promise<void> => {
        for (let round = 0; round < 200; round++) {
          const before = await head(store);
          sale.app.timers.wake();
          for (let i = 0; i < 500 && sale.app.timers.sleepingUntil === undefined; i++) await tick();
          await driving(clock, sale.settled());
          const due = await store.timers.nextDueAt();
          if ((await head(store)) === before && (due === undefined || due.getTime() > clock.now())) return;
        }
        throw new Error('the sale did not settle');
      };
      /** Moves the sale's time forward; the timers that fall due fire. */
      const advance = async (ms: number): Promise<void> => {
        await clock.advance(ms);
        await settle();
      };
      const orderOf = async (orderId: string): Promise<SaleOrderState> =>
        (await loadState(store, saleOrderStream(orderId), saleOrderDecider)).state;
      const stock = async () => (await sale.report(false)).stock['p1']!;
      return {
        sale,
        store,
        clock,
        settle,
        advance,
        orderOf,
        stock,
        place: (r: OrderRequest) => driving(clock, sale.placeOrder(r)),
      };
    };

    afterEach(async () => {
      if (current === undefined) return;
      const { sale, store } = current;
      current = undefined;
      const report = await sale.report(true);
      await sale.close();
      await store.close();
      expect(report.problems).toEqual([]);
      for (const s of Object.values(report.stock)) {
        const locked = Object.values(s.locks).reduce((a, b) => a + b, 0);
        expect(s.initial, `stock of ${s.productId}`).toBe(s.sold + s.available + locked);
      }
    });

    it('payment at 14:59: the deduction is confirmed, the order paid, a coupon issued, the buyer notified', async () => {
      const t = await open({ p1: 1 });
      await expect(t.place(ask('o1'))).resolves.toEqual({
        outcome: 'locked',
        message: 'stock locked, pay within 15 minutes',
      });
      await t.settle();
      const placed = (await t.orderOf('o1')) as { status: string; payBy: string };
      expect(placed.status).toBe('awaiting-payment');
      // 15 minutes from when the stock was locked (the fake clock moved a few ms while placing).
      expect(Date.parse(placed.payBy) - OPEN).toBeGreaterThanOrEqual(15 * MINUTE);
      expect(Date.parse(placed.payBy) - OPEN).toBeLessThan(15 * MINUTE + 1_000);
      expect(await t.sale.pendingTimeout('o1')).toBe(true);

      await t.advance(14 * MINUTE + 59_000);
      await t.sale.pay('o1', 500);
      await t.settle();
      expect(await t.orderOf('o1')).toMatchObject({ status: 'paid' });
      expect(await t.stock()).toMatchObject({ sold: 1, available: 0, locks: {} });
      expect(await t.sale.pendingTimeout('o1')).toBe(false);
      expect(await t.sale.checkoutOf('o1')).toMatchObject({ completed: true, state: { status: 'paid' } });
      const report = await t.sale.report();
      expect(report).toMatchObject({ coupons: 1, timedOut: 0, orders: { paid: 1, cancelled: 0 } });
      expect(await t.sale.notifications.sent()).toEqual([
        expect.stringContaining('order o1 reserved'),
        'to u-o1: payment for order o1 received',
        'to u-o1: coupon FLASH-o1, 10% off your next order',
      ]);

      await t.advance(5 * MINUTE); // past the old deadline: nothing fires
      expect((await t.sale.report()).timedOut).toBe(0);
    });

    it('payment at 15:01 is refused: the timeout cancelled the order ("payment timeout") and gave the unit to the first waiter', async () => {
      const t = await open({ p1: 1 });
      await t.place(ask('o1'));
      await expect(t.place(ask('o2'))).resolves.toEqual({
        outcome: 'waiting',
        message: 'added to wait list',
        position: 1,
      });
      await expect(t.place(ask('o3'))).resolves.toMatchObject({ outcome: 'waiting', position: 2 });
      await t.settle();

      await t.advance(15 * MINUTE + 1_000);
      const refused = await t.sale.pay('o1', 500).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'ORDER_CANCELLED', rejected: true });
      expect((refused as Error).message).toContain('payment timeout');
      expect(await t.orderOf('o1')).toMatchObject({ status: 'cancelled', reason: 'payment timeout' });
      // The released unit went to o2, first in line, whose order now waits for its own payment.
      const o2 = await t.orderOf('o2');
      expect(o2).toMatchObject({ status: 'awaiting-payment' });
      // Its 15 minutes start when the unit was handed over (the timeout at 10:15 at the earliest).
      expect(Date.parse((o2 as { payBy: string }).payBy)).toBeGreaterThanOrEqual(OPEN + 30 * MINUTE);
      expect(await t.orderOf('o3')).toEqual({ status: 'none' });
      expect(await t.stock()).toMatchObject({ sold: 0, available: 0, locks: { o2: 1 }, waiting: [ask('o3')] });
      expect(await t.sale.notifications.sent()).toContain('to u-o1: order o1 cancelled (payment timeout)');

      await t.sale.pay('o2', 500);
      await t.settle();
      expect(await t.orderOf('o2')).toMatchObject({ status: 'paid' });
      expect(await t.sale.report()).toMatchObject({ coupons: 1, timedOut: 1, waiting: 1 });
    });

    it('two buyers racing for the last unit: exactly one locks it, the other is wait-listed', async () => {
      const t = await open({ p1: 1 });
      const answers = await driving(t.clock, Promise.all([t.sale.placeOrder(ask('o1')), t.sale.placeOrder(ask('o2'))]));
      expect(answers.map((a) => a.outcome).sort()).toEqual(['locked', 'waiting']);
      await t.settle();
      const winner = answers[0].outcome === 'locked' ? 'o1' : 'o2';
      expect(await t.stock()).toMatchObject({ available: 0, locks: { [winner]: 1 } });
      expect((await t.sale.report()).orders['awaiting-payment']).toBe(1);
    });

    it('payment and timeout at the same moment: exactly one wins, and the loser changes nothing', async () => {
      const t = await open({ p1: 4 });
      const ids = ['o1', 'o2', 'o3', 'o4'];
      for (const id of ids) await t.place(ask(id));
      await t.settle();
      // At 15:00:00.000 the four timeouts fall due while the four payments arrive.
      const paying = ids.map((id) =>
        t.sale.pay(id, 500).then(
          () => 'paid' as const,
          (e: { code?: string }) => e.code,
        ),
      );
      await t.clock.advance(15 * MINUTE);
      const answers = await driving(t.clock, Promise.all(paying));
      await t.settle();
      for (const [i, id] of ids.entries()) {
        const order = await t.orderOf(id);
        if (answers[i] === 'paid') {
          expect(order, id).toMatchObject({ status: 'paid' });
        } else {
          expect(answers[i], id).toBe('ORDER_CANCELLED');
          expect(order, id).toMatchObject({ status: 'cancelled', reason: 'payment timeout' });
        }
      }
      const paid = answers.filter((a) => a === 'paid').length;
      expect(await t.sale.report()).toMatchObject({ coupons: paid, orders: { paid, cancelled: 4 - paid } });
      expect(await t.stock()).toMatchObject({ sold: paid, available: 4 - paid, locks: {} });
    });

    it('a cancel of an already-paid order is refused; a buyer cancelling an unpaid order frees the unit', async () => {
      const t = await open({ p1: 2 });
      await t.place(ask('o1'));
      await t.place(ask('o2'));
      await t.settle();
      await t.sale.pay('o1', 500);
      await t.settle();
      await expect(t.sale.cancel('o1', 'changed my mind')).rejects.toMatchObject({
        code: 'ORDER_ALREADY_PAID',
        rejected: true,
      });
      expect(await t.orderOf('o1')).toMatchObject({ status: 'paid' });

      await t.sale.cancel('o2', 'changed my mind');
      await t.settle();
      expect(await t.sale.pendingTimeout('o2')).toBe(false);
      expect(await t.stock()).toMatchObject({ sold: 1, available: 1, locks: {} });
      await t.advance(16 * MINUTE);
      expect(await t.sale.report()).toMatchObject({ timedOut: 0, orders: { paid: 1, cancelled: 1 } });
    });

    it('a retried request (same command id) is recorded once and answered the same', async () => {
      const t = await open({ p1: 1 });
      const first = await driving(t.clock, t.sale.placeOrder(ask('o1'), 'req-o1'));
      const again = await driving(t.clock, t.sale.placeOrder(ask('o1'), 'req-o1'));
      expect(again).toEqual(first);
      await expect(t.place(ask('o1'))).rejects.toMatchObject({ code: 'ORDER_EXISTS' });
      await expect(t.place({ ...ask('o9'), quantity: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await t.settle();
      expect(await t.stock()).toMatchObject({ available: 0, locks: { o1: 1 }, waiting: [] });
    });
  });
}
