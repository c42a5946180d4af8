// The step-by-step shop walkthrough (SCENARIOS.md S1): `npm start -- --walkthrough` runs it.
import { TidingsError } from 'tidings';
import { CancelOrder, CreateOrder, GetOrder, PayOrder, ShipOrder } from './messages.js';
import { openDemoStore } from './open-store.js';
import { createShop } from './shop.js';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function attempt(label: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    out(`  ok        ${label}`);
  } catch (error) {
    const code = error instanceof TidingsError ? error.code : 'ERROR';
    out(`  rejected  ${label}: [${code}] ${(error as Error).message}`);
  }
}

/** Walks through the S1 shop one command at a time, printing what each step records. */
export async function runWalkthrough(): Promise<void> {
  let recommendationsDown = true;
  const { store, state, where } = await openDemoStore();
  const shop = createShop({ store, state, stock: { 'prod-001': 10 }, recommendationsDown: () => recommendationsDown });
  const { app } = shop;
  await shop.start();

  out('Tidings shop demo: the order service records events; six durable observers follow the store.');
  out(`Orders are event-sourced in: ${where}  (TIDINGS_STORE=memory|sqlite|postgres)`);
  out();
  out('Commands');
  await attempt('create order o-1001 for user-001: prod-001 x2 at 49.50', () =>
    app.send(
      CreateOrder({
        orderId: 'o-1001',
        userId: 'user-001',
        lines: [{ productId: 'prod-001', quantity: 2, unitPrice: 4950 }],
      }),
    ),
  );
  await attempt('pay o-1001 with pay-001, 9900 cents (the recommendation service is down)', () =>
    app.send(PayOrder({ orderId: 'o-1001', paymentId: 'pay-001', amount: 9900 })),
  );
  await attempt('pay o-1001 again', () =>
    app.send(PayOrder({ orderId: 'o-1001', paymentId: 'pay-002', amount: 9900 })),
  );
  await attempt('create order o-1002 for user-001: prod-001 x1', () =>
    app.send(
      CreateOrder({
        orderId: 'o-1002',
        userId: 'user-001',
        lines: [{ productId: 'prod-001', quantity: 1, unitPrice: 4950 }],
      }),
    ),
  );
  await attempt('cancel o-1002', () => app.send(CancelOrder({ orderId: 'o-1002', reason: 'changed my mind' })));
  await attempt('pay the cancelled o-1002', () =>
    app.send(PayOrder({ orderId: 'o-1002', paymentId: 'pay-003', amount: 4950 })),
  );
  await attempt('pay o-1003 with a negative amount', () =>
    app.send(PayOrder({ orderId: 'o-1003', paymentId: 'pay-004', amount: -1 })),
  );
  await attempt('ship o-1001', () => app.send(ShipOrder({ orderId: 'o-1001', trackingNumber: 'TRK-42' })));
  await shop.settled(); // every observer has handled what is stored (the recommendation one parked its event)

  out();
  out('Orders');
  for (const orderId of ['o-1001', 'o-1002']) {
    const view = await app.query(GetOrder({ orderId }));
    out(`  ${orderId}: ${view?.status ?? 'unknown'}, total ${(view?.total ?? 0) / 100}`);
  }
  out();
  out(`Stock      prod-001: ${await shop.inventory.stockOf('prod-001')} (10 at opening, 2 sold)`);
  out(`Points     user-001: ${await shop.points.pointsOf('user-001')} (1 per whole unit of 9900 cents)`);
  const stats = await shop.userStats.statsOf('user-001');
  out(`User stats user-001: ${stats.orders} paid order(s), ${stats.spent / 100} spent`);
  out();
  out('Notifications');
  for (const line of await shop.notifications.sent()) out(`  ${line}`);
  out();
  out('Parked events (the recommendation observer was retried with backoff, then parked in the store)');
  for (const p of await app.parked.list()) {
    out(`  ${p.processor} ${p.type} ${p.streamId}: ${p.attempts} attempts, "${p.error.message}"`);
  }
  recommendationsDown = false;
  const retried = await shop.retryParked();
  out(`  recommendation service back: retried, ${retried.succeeded} succeeded, ${retried.failed} failed`);
  out(
    `  preferences of user-001 now: ${(await shop.recommendations.preferencesOf('user-001')).join(', ')}; parked left: ${(await app.parked.list()).length}`,
  );
  out();
  out('Audit trail');
  for (const line of await shop.audit.log()) out(`  ${line}`);
  out();
  out('The order streams, read back from the store');
  for await (const e of store.readAll()) {
    out(`  #${e.position} ${e.streamId} v${e.version} ${e.type} ${e.recordedAt.toISOString()}`);
  }
  await shop.close();
  await store.close();
}
