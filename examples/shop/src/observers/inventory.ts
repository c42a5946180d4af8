import type { ShopApp } from '../shop-app.js';
import type { ShopState } from '../shop-state.js';
import { withState } from './observe.js';

/** Stock per product: deducted when an order is paid, restored when a paid order is cancelled. */
export function inventoryObserver(app: ShopApp, state: ShopState, initialStock: Readonly<Record<string, number>>) {
  const subscription = app.subscribe(
    'order.*',
    (event, ctx) =>
      withState(state, async (s) => {
        const adjust = async (productId: string, delta: number): Promise<void> => {
          await s.set(`stock:${productId}`, ((await s.get<number>(`stock:${productId}`)) ?? 0) + delta);
        };
        if (event.type === 'order.paid') for (const l of event.data.lines) await adjust(l.productId, -l.quantity);
        if (event.type === 'order.cancelled' && event.data.wasPaid)
          for (const l of event.data.lines) await adjust(l.productId, l.quantity);
      })(ctx as never),
    { name: 'inventory', effects: 'transactional' },
  );
  return {
    subscription,
    stockOf: async (productId: string): Promise<number> =>
      (initialStock[productId] ?? 0) +
      (((await state.list(app.store!, `stock:${productId}`))[0] as number | undefined) ?? 0),
  };
}
