import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from 'tidings';
import { CancelOrder, CreateOrder, GetOrder, PayOrder, ShipOrder } from '../messages.js';
import { OrderRejectedError } from '../order.js';
import { createShop as createShopWith, type ShopOptions } from '../shop.js';
import { memoryShopState, type ShopState } from '../shop-state.js';

const create = (orderId: string, quantity = 2) =>
  CreateOrder({ orderId, userId: 'user-001', lines: [{ productId: 'prod-001', quantity, unitPrice: 4950 }] });

/**
 * The shop's behaviour (SCENARIOS.md S1), run against any event store: the same tests pass on the
 * in-memory store, on SQLite and on PostgreSQL.
 */
export function shopSuite(
  name: string,
  openStore: () => Promise<EventStore>,
  stateFor: (store: EventStore) => ShopState = () => memoryShopState(),
): void {
  describe(`shop (S1) on ${name}`, () => {
    const stores: EventStore[] = [];
    const createShop = async (options: Omit<ShopOptions, 'store'> = {}) => {
      const store = await openStore();
      stores.push(store);
      const shop = createShopWith({
        retry: { maxAttempts: 3, baseDelayMs: 1 },
        ...options,
        store,
        state: stateFor(store),
      });
      await shop.start();
      return shop;
    };
    afterAll(async () => {
      for (const store of stores) await store.close();
    });

    it('paying records order.paid and every observer reacts', async () => {
      const shop = await createShop({ stock: { 'prod-001': 10 } });
      await shop.app.send(create('o-1'));
      await shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'pay-001', amount: 9900 }));
      await shop.settled();
      expect(await shop.inventory.stockOf('prod-001')).toBe(8);
      expect(await shop.points.pointsOf('user-001')).toBe(99);
      expect(await shop.userStats.statsOf('user-001')).toEqual({ orders: 1, spent: 9900 });
      expect(await shop.recommendations.preferencesOf('user-001')).toEqual(['prod-001']);
      expect(await shop.notifications.sent()).toHaveLength(2);
      expect((await shop.audit.log()).map((l) => l.split(' ')[0])).toEqual(['order.created', 'order.paid']);
      expect(shop.parkedLog).toEqual([]);
      await shop.close();
    });

    it('a retried payment (same command id) is recorded and observed once', async () => {
      const shop = await createShop({ stock: { 'prod-001': 10 } });
      await shop.app.send(create('o-1'));
      const pay = PayOrder({ orderId: 'o-1', paymentId: 'pay-001', amount: 9900 });
      await shop.app.send(pay, { id: 'cmd-pay-o-1' });
      await expect(shop.app.send(pay, { id: 'cmd-pay-o-1' })).resolves.toBeUndefined();
      await shop.settled();
      expect(await shop.points.pointsOf('user-001')).toBe(99);
      expect(await shop.inventory.stockOf('prod-001')).toBe(8);
      const paid = [];
      for await (const e of shop.store.readStream('order-o-1')) if (e.type === 'order.paid') paid.push(e);
      expect(paid).toHaveLength(1);
      await expect(shop.app.send(pay, { id: '' })).rejects.toMatchObject({ code: 'INVALID_ID' });
      await shop.close();
    });

    it('paying twice is rejected and changes nothing', async () => {
      const shop = await createShop({ stock: { 'prod-001': 10 } });
      await shop.app.send(create('o-1'));
      await shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'pay-001', amount: 9900 }));
      const error = await shop.app
        .send(PayOrder({ orderId: 'o-1', paymentId: 'pay-002', amount: 9900 }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OrderRejectedError);
      expect((error as OrderRejectedError).code).toBe('ORDER_NOT_PAYABLE');
      await shop.settled();
      expect(await shop.inventory.stockOf('prod-001')).toBe(8);
      expect(await shop.points.pointsOf('user-001')).toBe(99);
      await shop.close();
    });

    it('paying a cancelled order is rejected; cancelling a paid order restores stock', async () => {
      const shop = await createShop({ stock: { 'prod-001': 10 } });
      await shop.app.send(create('o-1'));
      await shop.app.send(CancelOrder({ orderId: 'o-1', reason: 'changed my mind' }));
      await expect(shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'p', amount: 9900 }))).rejects.toMatchObject({
        code: 'ORDER_NOT_PAYABLE',
      });
      await shop.app.send(create('o-2', 3));
      await shop.app.send(PayOrder({ orderId: 'o-2', paymentId: 'p2', amount: 3 * 4950 }));
      await shop.settled();
      expect(await shop.inventory.stockOf('prod-001')).toBe(7);
      await shop.app.send(CancelOrder({ orderId: 'o-2', reason: 'refund' }));
      await shop.settled();
      expect(await shop.inventory.stockOf('prod-001')).toBe(10);
      await expect(shop.app.query(GetOrder({ orderId: 'o-2' }))).resolves.toMatchObject({ status: 'cancelled' });
      await shop.close();
    });

    it('a failing observer fails neither the payment nor the other observers', async () => {
      const shop = await createShop({ stock: { 'prod-001': 10 }, recommendationsDown: () => true });
      await shop.app.send(create('o-1'));
      await expect(
        shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'pay-001', amount: 9900 })),
      ).resolves.toBeUndefined();
      await shop.settled();
      expect(shop.parkedLog.map((p) => [p.processor, p.type])).toEqual([['recommendations', 'order.paid']]);
      expect(await shop.inventory.stockOf('prod-001')).toBe(8);
      expect(await shop.points.pointsOf('user-001')).toBe(99);
      expect(await shop.notifications.sent()).toHaveLength(2);
      await expect(shop.app.query(GetOrder({ orderId: 'o-1' }))).resolves.toMatchObject({ status: 'paid' });
      await shop.close();
    });

    it('the flaky observer is retried with backoff, parked in the store, and retried from there once fixed', async () => {
      let down = true;
      let calls = 0;
      const shop = await createShop({ recommendationsDown: () => (calls++, down) });
      await shop.app.send(create('o-1'));
      await shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'pay-001', amount: 9900 }));
      await shop.settled();
      expect(calls).toBe(3);
      const [entry, ...others] = await shop.app.parked.list();
      expect(others).toEqual([]);
      expect(entry).toMatchObject({
        processor: 'recommendations',
        attempts: 3,
        type: 'order.paid',
        streamId: 'order-o-1',
      });
      expect(entry!.error.message).toBe('recommendation service unavailable');
      expect(await shop.recommendations.preferencesOf('user-001')).toEqual([]);

      // Still down: the retry fails and the entry stays, with one more attempt.
      await expect(shop.retryParked()).resolves.toEqual({ succeeded: 0, failed: 1 });
      expect((await shop.app.parked.list())[0]!.attempts).toBeGreaterThan(3);

      down = false;
      await expect(shop.retryParked()).resolves.toEqual({ succeeded: 1, failed: 0 });
      expect(await shop.recommendations.preferencesOf('user-001')).toEqual(['prod-001']);
      expect(await shop.app.parked.list()).toEqual([]);
      await shop.close();
    });

    it('rejects bad commands before anything is recorded', async () => {
      const shop = await createShop();
      await expect(shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'p', amount: -1 }))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(shop.app.send(ShipOrder({ orderId: 'missing', trackingNumber: 't' }))).rejects.toMatchObject({
        code: 'ORDER_NOT_FOUND',
      });
      await shop.app.send(create('o-1'));
      await expect(shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'p', amount: 100 }))).rejects.toMatchObject({
        code: 'PAYMENT_AMOUNT_MISMATCH',
      });
      await shop.settled();
      expect(await shop.audit.log()).toHaveLength(1);
      await shop.close();
    });

    it('events caused by one command share its correlation id, and the observers see them as recorded', async () => {
      const shop = await createShop();
      await shop.app.send(create('o-1'));
      // The caller's correlation id (e.g. from an HTTP request) travels to the event; the causation is the command.
      await shop.app.send(PayOrder({ orderId: 'o-1', paymentId: 'p', amount: 9900 }, { correlationId: 'req-7' }));
      const recorded = [];
      for await (const e of shop.store.readStream('order-o-1')) recorded.push(e);
      expect(recorded.map((e) => e.type)).toEqual(['order.created', 'order.paid']);
      const paid = recorded[1]!;
      expect(paid.metadata.correlationId).toBe('req-7');
      expect(paid.metadata.causationId).toEqual(expect.any(String));
      expect(paid.metadata.causationId).not.toBe('req-7');
      // Another command starts another correlation.
      expect(recorded[0]!.metadata.correlationId).not.toBe('req-7');
      await shop.settled();
      expect((await shop.audit.log())[1]).toBe('order.paid order-o-1 correlation=req-7');
      await shop.close();
    });
  });
}
