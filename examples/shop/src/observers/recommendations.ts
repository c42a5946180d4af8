import type { ShopApp } from '../shop-app.js';
import type { ShopState } from '../shop-state.js';
import { withState } from './observe.js';

/**
 * Updates product preferences. It calls a remote service that is down in the demo (`failing`):
 * its failures must not fail the payment nor stop the other observers. The runner retries it with
 * backoff and, when the retries run out, parks the event in the store for a later retry.
 */
export function recommendationObserver(
  app: ShopApp,
  state: ShopState,
  options: { failing: () => boolean; retry: { readonly maxAttempts: number; readonly baseDelayMs: number } },
) {
  // #region subscribe-with-retry
  const subscription = app.subscribe(
    'order.paid',
    (event, ctx) =>
      withState(state, async (s) => {
        if (options.failing()) throw new Error('recommendation service unavailable');
        await s.set(
          `prefs:${event.data.userId}`,
          event.data.lines.map((l) => l.productId),
        );
      })(ctx as never),
    { name: 'recommendations', effects: 'transactional', retry: options.retry },
  );
  // #endregion subscribe-with-retry
  return {
    subscription,
    preferencesOf: async (userId: string): Promise<string[]> =>
      ((await state.list(app.store!, `prefs:${userId}`))[0] as string[] | undefined) ?? [],
  };
}
