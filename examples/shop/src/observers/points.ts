import type { ShopApp } from '../shop-app.js';

/** One point per whole currency unit paid: amounts are cents, so 9900 earns 99 points. */
export function pointsObserver(app: ShopApp) {
  const points = new Map<string, number>();
  const subscription = app.subscribe(
    'order.paid',
    (event) => {
      const earned = Math.floor(event.data.amount / 100);
      points.set(event.data.userId, (points.get(event.data.userId) ?? 0) + earned);
    },
    { name: 'points' },
  );
  return { subscription, pointsOf: (userId: string): number => points.get(userId) ?? 0 };
}
