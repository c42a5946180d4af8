import {
  createDeadLetterStore,
  createInMemoryEventStore,
  createTidings,
  handleCommand,
  loadState,
  reliabilityStack,
  type Clock,
  type EventStore,
  type HandlerFailure,
} from 'tidings';
import { shopCommands, shopEvents, shopQueries, type OrderView } from './messages.js';
import { orderDecider, orderStream, type OrderCommand } from './order.js';
import { auditObserver } from './observers/audit.js';
import { inventoryObserver } from './observers/inventory.js';
import { notificationObserver } from './observers/notifications.js';
import { pointsObserver } from './observers/points.js';
import { recommendationObserver } from './observers/recommendations.js';
import { userStatsObserver } from './observers/user-stats.js';
import type { ShopApp, ShopContext } from './shop-app.js';

export interface ShopOptions {
  /** Where orders are recorded. Default: an in-memory store (the demo passes a SQLite file). */
  readonly store?: EventStore;
  readonly clock?: Clock;
  /** Opening stock per product id. */
  readonly stock?: Readonly<Record<string, number>>;
  /** While this returns true the recommendation service fails. */
  readonly recommendationsDown?: () => boolean;
  /** How the flaky recommendation observer is retried before it is dead-lettered. Default: 3 attempts, 100 ms base delay. */
  readonly retry?: { readonly maxAttempts: number; readonly baseDelayMs: number };
}

/**
 * The shop of SCENARIOS.md S1. The order service only records what happened to an order
 * (`order.paid`, …); inventory, points, notifications, user stats, recommendations and audit each
 * react on their own queue. A failing observer fails neither the payment nor the others.
 */
export function createShop(options: ShopOptions = {}) {
  const failures: HandlerFailure[] = [];
  const app: ShopApp = createTidings({
    events: shopEvents,
    commands: shopCommands,
    queries: shopQueries,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    onError: (failure) => failures.push(failure),
  });

  // The order service: each order is an event-sourced stream (`order-<id>`). handleCommand loads it,
  // decides, and appends with the loaded version (retrying on a conflict); event ids derive from the
  // command id, so a retried command never records twice. The recorded events are then published
  // to the in-process observers with their stored ids.
  const store = options.store ?? createInMemoryEventStore(options.clock === undefined ? {} : { clock: options.clock });
  const execute = async (command: OrderCommand & { readonly id: string }, ctx: ShopContext): Promise<void> => {
    const result = await handleCommand(store, orderStream(command.data.orderId), orderDecider, command);
    // A retried command (same id) appends nothing and returns the original events: they were
    // published the first time, so they are not published again.
    if (result.duplicate) return;
    for (const event of result.newEvents) {
      await ctx.publish(event, { streamId: event.streamId, id: event.id, occurredAt: event.recordedAt });
    }
  };
  app.commands.handle('order.create', async (cmd, ctx) => {
    await execute(cmd, ctx);
    return { total: cmd.data.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) };
  });
  app.commands.handle('order.pay', (cmd, ctx) => execute(cmd, ctx));
  app.commands.handle('order.cancel', (cmd, ctx) => execute(cmd, ctx));
  app.commands.handle('order.ship', (cmd, ctx) => execute(cmd, ctx));
  app.queries.handle('order.get', async (q): Promise<OrderView | undefined> => {
    const { state: s } = await loadState(store, orderStream(q.data.orderId), orderDecider);
    return s.status === 'none' ? undefined : { orderId: s.orderId, userId: s.userId, status: s.status, total: s.total };
  });

  // #region reliability
  // Events an observer could not handle after its retries wait here, with the error and attempts.
  const deadLetters = createDeadLetterStore(options.clock === undefined ? {} : { clock: options.clock });
  const reliable = reliabilityStack({
    deadLetter: { store: deadLetters },
    retry: options.retry ?? { maxAttempts: 3, baseDelayMs: 100 },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  // #endregion reliability

  const observers = {
    inventory: inventoryObserver(app, options.stock ?? {}),
    points: pointsObserver(app),
    notifications: notificationObserver(app),
    userStats: userStatsObserver(app),
    recommendations: recommendationObserver(app, {
      failing: options.recommendationsDown ?? (() => false),
      middleware: reliable,
    }),
    audit: auditObserver(app),
  };

  return {
    app,
    ...observers,
    failures,
    deadLetters,
    /**
     * Retries every dead letter through the subscription that failed it (its middleware included).
     * Returns how many succeeded; those that fail again stay in the list with one more attempt.
     */
    retryDeadLetters: async (): Promise<{ succeeded: number; failed: number }> => {
      let succeeded = 0;
      let failed = 0;
      for (const letter of await deadLetters.list()) {
        // #region dead-letter-retry
        const outcome = await deadLetters.retry(letter.id, (l) => app.events.redeliver(l.handler ?? '', l.message));
        // #endregion dead-letter-retry
        if (outcome.status === 'succeeded') succeeded++;
        else failed++;
      }
      return { succeeded, failed };
    },
    /** Resolves when every observer has handled everything published so far. */
    settled: async (): Promise<void> => {
      await Promise.all(Object.values(observers).map((o) => o.subscription.idle()));
    },
    store,
    /** Drains the observers; the store stays open (it is the caller's). */
    close: () => app.close(),
  };
}

export type Shop = ReturnType<typeof createShop>;
