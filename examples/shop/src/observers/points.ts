import type { ShopApp } from '../shop-app.js';
import type { ShopState } from '../shop-state.js';
import { withState } from './observe.js';

/** One point per whole currency unit paid: amounts are cents, so 9900 earns 99 points. */
export function pointsObserver(app: ShopApp, state: ShopState) {
  const subscription = app.subscribe(
    'order.paid',
    (event, ctx) =>
      withState(state, async (s) => {
        const key = `points:${event.data.userId}`;
        await s.set(key, ((await s.get<number>(key)) ?? 0) + Math.floor(event.data.amount / 100));
      })(ctx as never),
    { name: 'points', effects: 'transactional' },
  );
  return {
    subscription,
    pointsOf: async (userId: string): Promise<number> =>
      ((await state.list(app.store!, `points:${userId}`))[0] as number | undefined) ?? 0,
  };
}
