import type { ShopApp } from '../shop-app.js';
import type { ShopState } from '../shop-state.js';
import { seq, withState } from './observe.js';

/** Records every event with its correlation, in order. */
export function auditObserver(app: ShopApp, state: ShopState) {
  const subscription = app.subscribe(
    '**',
    (event, ctx) =>
      withState(state, (s) =>
        s.set(
          `audit:${seq((event as { position?: bigint }).position)}`,
          `${event.type} ${event.streamId ?? ''} correlation=${event.metadata.correlationId ?? event.id}`,
        ),
      )(ctx as never),
    { name: 'audit', effects: 'transactional' },
  );
  return { subscription, log: async () => (await state.list(app.store!, 'audit:')) as string[] };
}
