import type { ProcessorRetryPolicy } from 'tidings';
import { seq, withState } from '../observers/observe.js';
import type { ShopState } from '../shop-state.js';
import type { FlashSaleApp } from './flash-sale-app.js';

const money = (cents: number): string => (cents / 100).toFixed(2);

/**
 * Tells buyers what happened (here: records the messages). Not a critical step: a processor of
 * its own, after the fact, off the saga's path — its state commits with its checkpoint.
 */
export function saleNotifications(app: FlashSaleApp, state: ShopState, retry?: ProcessorRetryPolicy) {
  const subscription = app.subscribe(
    '**',
    (event, ctx) =>
      withState(state, async (s) => {
        let line: string;
        switch (event.type) {
          case 'stock.wait-listed':
            line = `to ${event.data.userId}: ${event.data.productId} is sold out for now, you are #${event.data.position} on the wait list`;
            break;
          case 'order.placed':
            line = `to ${event.data.userId}: order ${event.data.orderId} reserved, pay ${money(event.data.total)} by ${event.data.payBy}`;
            break;
          case 'order.paid':
            line = `to ${event.data.userId}: payment for order ${event.data.orderId} received`;
            break;
          case 'order.cancelled':
            line = `to ${event.data.userId}: order ${event.data.orderId} cancelled (${event.data.reason})`;
            break;
          case 'coupon.issued':
            line = `to ${event.data.userId}: coupon ${event.data.couponId}, ${event.data.percentOff}% off your next order`;
            break;
          default:
            return; // stock movements, the saga's own events: nothing to tell
        }
        await s.set(`notification:${seq((event as { position?: bigint }).position)}`, line);
      })(ctx as never),
    { name: 'sale-notifications', effects: 'transactional', ...(retry === undefined ? {} : { retry }) },
  );
  return { subscription, sent: async () => (await state.list(app.store!, 'notification:')) as string[] };
}

/**
 * Copies paid orders to a CRM that is sometimes down (`failing`, asked per order). Its failures are retried with
 * backoff, then the event is parked in the store; `app.parked.retryAll()` replays them later.
 */
export function crmSync(
  app: FlashSaleApp,
  state: ShopState,
  options: { readonly failing: (orderId: string) => boolean; readonly retry: ProcessorRetryPolicy },
) {
  const subscription = app.subscribe(
    'order.paid',
    (event, ctx) =>
      withState(state, async (s) => {
        if (options.failing(event.data.orderId)) throw new Error('CRM unavailable (HTTP 503)');
        await s.set(`crm:${event.data.orderId}`, { userId: event.data.userId, amount: event.data.amount });
      })(ctx as never),
    { name: 'crm-sync', effects: 'transactional', retry: options.retry },
  );
  return { subscription, synced: async () => (await state.list(app.store!, 'crm:')).length };
}
