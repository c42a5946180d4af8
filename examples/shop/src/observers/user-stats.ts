import type { ShopApp } from '../shop-app.js';

/** Purchases and spend per user. */
export function userStatsObserver(app: ShopApp) {
  const stats = new Map<string, { orders: number; spent: number }>();
  const subscription = app.subscribe(
    'order.paid',
    (event) => {
      const s = stats.get(event.data.userId) ?? { orders: 0, spent: 0 };
      stats.set(event.data.userId, { orders: s.orders + 1, spent: s.spent + event.data.amount });
    },
    { name: 'user-stats' },
  );
  return { subscription, statsOf: (userId: string) => stats.get(userId) ?? { orders: 0, spent: 0 } };
}
