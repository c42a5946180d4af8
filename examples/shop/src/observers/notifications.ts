import type { ShopApp } from '../shop-app.js';
import type { ShopState } from '../shop-state.js';
import { seq, withState } from './observe.js';

/** Tells the customer about created, paid and shipped orders (here: records the messages). */
export function notificationObserver(app: ShopApp, state: ShopState) {
  const subscription = app.subscribe(
    'order.*',
    (event, ctx) =>
      withState(state, async (s) => {
        let message: string | undefined;
        switch (event.type) {
          case 'order.created':
            message = `to ${event.data.userId}: order ${event.data.orderId} received, total ${event.data.total / 100}`;
            break;
          case 'order.paid':
            message = `to ${event.data.userId}: payment ${event.data.paymentId} for order ${event.data.orderId} confirmed`;
            break;
          case 'order.shipped':
            message = `to ${event.data.userId}: order ${event.data.orderId} shipped, tracking ${event.data.trackingNumber}`;
            break;
          default:
            break;
        }
        if (message !== undefined)
          await s.set(`notification:${seq((event as { position?: bigint }).position)}`, message);
      })(ctx as never),
    { name: 'notifications', effects: 'transactional' },
  );
  return { subscription, sent: async () => (await state.list(app.store!, 'notification:')) as string[] };
}
