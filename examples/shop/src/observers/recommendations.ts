import type { ShopApp } from '../shop-app.js';

/**
 * Updates product preferences. It calls a remote service that is down in the demo (`failing`):
 * its failures must not fail the payment nor stop the other observers. The runner retries it with
 * backoff and, when the retries run out, parks the event in the store for a later retry.
 */
export function recommendationObserver(
  app: ShopApp,
  options: { failing: () => boolean; retry: { readonly maxAttempts: number; readonly baseDelayMs: number } },
) {
  const preferences = new Map<string, string[]>();
  // #region subscribe-with-retry
  const subscription = app.subscribe(
    'order.paid',
    (event) => {
      if (options.failing()) throw new Error('recommendation service unavailable');
      preferences.set(
        event.data.userId,
        event.data.lines.map((l) => l.productId),
      );
    },
    { name: 'recommendations', retry: options.retry },
  );
  // #endregion subscribe-with-retry
  return { subscription, preferencesOf: (userId: string) => preferences.get(userId) ?? [] };
}
