import type { ShopApp } from '../shop-app.js';

/**
 * Updates product preferences. It calls a remote service that is down in the demo (`failing`):
 * its failures must not fail the payment nor stop the other observers.
 */
export function recommendationObserver(app: ShopApp, options: { failing: () => boolean }) {
  const preferences = new Map<string, string[]>();
  const subscription = app.subscribe(
    'order.paid',
    (event) => {
      if (options.failing()) throw new Error('recommendation service unavailable');
      preferences.set(
        event.data.userId,
        event.data.lines.map((l) => l.productId),
      );
    },
    { name: 'recommendations', queue: true },
  );
  return { subscription, preferencesOf: (userId: string) => preferences.get(userId) ?? [] };
}
