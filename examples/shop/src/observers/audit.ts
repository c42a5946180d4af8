import type { ShopApp } from '../shop-app.js';

/** Records every event with its correlation, in order. */
export function auditObserver(app: ShopApp) {
  const log: string[] = [];
  const subscription = app.subscribe(
    '**',
    (event) => {
      log.push(`${event.type} ${event.streamId ?? ''} correlation=${event.metadata.correlationId ?? event.id}`);
    },
    { name: 'audit' },
  );
  return { subscription, log };
}
