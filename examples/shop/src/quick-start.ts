import { createInMemoryEventStore, createTidings, defineCommand, defineEvent, payload, type EventStore } from 'tidings';
import { z } from 'zod';

// Each event type says which stream it goes to: one stream per order, never one per type.
const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; userId: string; amount: number }>(), {
  stream: (e) => `order-${e.data.orderId}`,
});
const PayOrder = defineCommand('order.pay', z.object({ orderId: z.string(), amount: z.number().int().positive() }));

// SQLite or PostgreSQL instead of memory: pass `await sqliteEventStore('shop.db')` or
// `postgresEventStore({ connectionString })` as `store`. Nothing else changes.
export async function quickStart(store: EventStore = createInMemoryEventStore()) {
  const app = createTidings({ store, events: [OrderPaid], commands: [PayOrder] });
  const points = new Map<string, number>();
  const audit: string[] = [];

  // The order service records what happened: publish validates and appends to order-<id> …
  app.commands.handle('order.pay', async (cmd, ctx) => {
    await ctx.publish(OrderPaid({ orderId: cmd.data.orderId, userId: 'user-001', amount: cmd.data.amount }));
  });

  // … and observers are durable processors: each reads the store from its own checkpoint, so a
  // crash or a restart loses nothing, and one failing (retried, then parked) never fails the payment.
  app.subscribe('order.paid', (e) => points.set(e.data.userId, Math.floor(e.data.amount / 100)), { name: 'points' });
  app.subscribe('order.*', (e) => audit.push(`${e.type} ${e.streamId}`), { name: 'audit' });
  app.subscribe(
    'order.paid',
    () => {
      throw new Error('recommendations are down');
    },
    { name: 'recommendations', retry: { maxAttempts: 2, baseDelayMs: 10 } },
  );

  await app.start();
  await app.send(PayOrder({ orderId: 'o-1001', amount: 9900 }));
  await app.catchUp(); // every processor has handled what is stored
  await app.close(); // graceful drain: in-flight handlers finish, checkpoints are written
  const parked = await store.processing.listParked();
  return { points, audit, parked: parked.map((p) => p.processor) };
  // points: user-001 -> 99; audit: ['order.paid order-o-1001']; parked: ['recommendations']
}
