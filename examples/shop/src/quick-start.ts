import { createTidings, defineCommand, defineEvent, payload } from 'tidings';
import { z } from 'zod';

const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; userId: string; amount: number }>());
const PayOrder = defineCommand('order.pay', z.object({ orderId: z.string(), amount: z.number().int().positive() }));

export async function quickStart() {
  const app = createTidings({ events: [OrderPaid], commands: [PayOrder] });
  const points = new Map<string, number>();
  const audit: string[] = [];

  // The order service records what happened …
  app.commands.handle('order.pay', async (cmd, ctx) => {
    const paid = OrderPaid({ orderId: cmd.data.orderId, userId: 'user-001', amount: cmd.data.amount });
    await ctx.publish(paid, { streamId: `order-${cmd.data.orderId}` });
  });

  // … and observers react on their own bounded queues: one failing never fails the payment.
  app.subscribe('order.paid', (e) => points.set(e.data.userId, Math.floor(e.data.amount / 100)), { queue: true });
  app.subscribe('order.*', (e) => audit.push(`${e.type} ${e.streamId}`), { queue: { capacity: 1000 } });
  app.subscribe('order.paid', () => {
    throw new Error('recommendations are down');
  });

  await app.send(PayOrder({ orderId: 'o-1001', amount: 9900 }));
  await app.close(); // drains the queues
  return { points, audit }; // points: user-001 -> 99; audit: ['order.paid order-o-1001']
}
