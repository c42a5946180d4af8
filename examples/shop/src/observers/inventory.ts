import type { ShopApp } from '../shop-app.js';

/** Stock per product: deducted when an order is paid, restored when a paid order is cancelled. */
export function inventoryObserver(app: ShopApp, initialStock: Readonly<Record<string, number>>) {
  const stock = new Map(Object.entries(initialStock));
  const adjust = (productId: string, delta: number): void => {
    stock.set(productId, (stock.get(productId) ?? 0) + delta);
  };
  const subscription = app.subscribe(
    'order.*',
    (event) => {
      if (event.type === 'order.paid') for (const l of event.data.lines) adjust(l.productId, -l.quantity);
      if (event.type === 'order.cancelled' && event.data.wasPaid)
        for (const l of event.data.lines) adjust(l.productId, l.quantity);
    },
    { name: 'inventory' },
  );
  return { subscription, stockOf: (productId: string): number => stock.get(productId) ?? 0 };
}
