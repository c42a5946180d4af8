import type { ShopApp } from '../shop-app.js';
import type { ShopState } from '../shop-state.js';
import { withState } from './observe.js';

type Stats = { orders: number; spent: number };

/** Purchases and spend per user. */
export function userStatsObserver(app: ShopApp, state: ShopState) {
  const subscription = app.subscribe(
    'order.paid',
    (event, ctx) =>
      withState(state, async (s) => {
        const key = `stats:${event.data.userId}`;
        const current = (await s.get<Stats>(key)) ?? { orders: 0, spent: 0 };
        await s.set(key, { orders: current.orders + 1, spent: current.spent + event.data.amount });
      })(ctx as never),
    { name: 'user-stats', effects: 'transactional' },
  );
  return {
    subscription,
    statsOf: async (userId: string): Promise<Stats> =>
      ((await state.list(app.store!, `stats:${userId}`))[0] as Stats | undefined) ?? { orders: 0, spent: 0 },
  };
}
