import type { Middleware } from 'tidings';
import type { ShopApp } from '../shop-app.js';

/**
 * Updates product preferences. It calls a remote service that is down in the demo (`failing`):
 * its failures must not fail the payment nor stop the other observers. Its middleware retries
 * with backoff and, when the retries run out, dead-letters the event for a later retry.
 */
export function recommendationObserver(
  app: ShopApp,
  options: { failing: () => boolean; middleware: readonly Middleware[] },
) {
  const preferences = new Map<string, string[]>();
  // #region subscribe-with-middleware
  const subscription = app.subscribe(
    'order.paid',
    (event) => {
      if (options.failing()) throw new Error('recommendation service unavailable');
      preferences.set(
        event.data.userId,
        event.data.lines.map((l) => l.productId),
      );
    },
    { name: 'recommendations', queue: true, middleware: options.middleware },
  );
  // #endregion subscribe-with-middleware
  return { subscription, preferencesOf: (userId: string) => preferences.get(userId) ?? [] };
}
