import type { ShopApp } from '../shop-app.js';

/** Tells the customer about created, paid and shipped orders (here: records the messages). */
export function notificationObserver(app: ShopApp) {
  const sent: string[] = [];
  const subscription = app.subscribe(
    'order.*',
    (event) => {
      switch (event.type) {
        case 'order.created':
          sent.push(`to ${event.data.userId}: order ${event.data.orderId} received, total ${event.data.total / 100}`);
          break;
        case 'order.paid':
          sent.push(
            `to ${event.data.userId}: payment ${event.data.paymentId} for order ${event.data.orderId} confirmed`,
          );
          break;
        case 'order.shipped':
          sent.push(
            `to ${event.data.userId}: order ${event.data.orderId} shipped, tracking ${event.data.trackingNumber}`,
          );
          break;
        default:
          break;
      }
    },
    { name: 'notifications' },
  );
  return { subscription, sent };
}
