import { createDeadLetterStore, createTidings, reliabilityStack, type Clock, type HandlerFailure } from 'tidings';
import { shopCommands, shopEvents, shopQueries, type OrderView } from './messages.js';
import { orderDecider, orderStream, type OrderCommand, type OrderState } from './order.js';
import { auditObserver } from './observers/audit.js';
import { inventoryObserver } from './observers/inventory.js';
import { notificationObserver } from './observers/notifications.js';
import { pointsObserver } from './observers/points.js';
import { recommendationObserver } from './observers/recommendations.js';
import { userStatsObserver } from './observers/user-stats.js';
import type { ShopApp, ShopContext } from './shop-app.js';

export interface ShopOptions {
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

  // The order service: decide on the current state, record the resulting events, publish them.
  const orders = new Map<string, OrderState>();
  const execute = async (command: OrderCommand, ctx: ShopContext): Promise<void> => {
    const id = command.data.orderId;
    const state = orders.get(id) ?? orderDecider.initialState();
    const events = orderDecider.decide(command, state);
    // Recorded before anything is published, so a concurrent command sees the new state.
    orders.set(
      id,
      events.reduce((s, e) => orderDecider.evolve(s, e), state),
    );
    for (const event of events) await ctx.publish(event, { streamId: orderStream(id) });
  };
  app.commands.handle('order.create', async (cmd, ctx) => {
    await execute(cmd, ctx);
    return { total: cmd.data.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) };
  });
  app.commands.handle('order.pay', (cmd, ctx) => execute(cmd, ctx));
  app.commands.handle('order.cancel', (cmd, ctx) => execute(cmd, ctx));
  app.commands.handle('order.ship', (cmd, ctx) => execute(cmd, ctx));
  app.queries.handle('order.get', (q): OrderView | undefined => {
    const s = orders.get(q.data.orderId);
    return s === undefined || s.status === 'none'
      ? undefined
      : { orderId: s.orderId, userId: s.userId, status: s.status, total: s.total };
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
    close: () => app.close(),
  };
}

export type Shop = ReturnType<typeof createShop>;
