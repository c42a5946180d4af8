import { createTidings, type Clock, type HandlerFailure } from 'tidings';
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
    orders.set(id, events.reduce(orderDecider.evolve, state));
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

  const observers = {
    inventory: inventoryObserver(app, options.stock ?? {}),
    points: pointsObserver(app),
    notifications: notificationObserver(app),
    userStats: userStatsObserver(app),
    recommendations: recommendationObserver(app, { failing: options.recommendationsDown ?? (() => false) }),
    audit: auditObserver(app),
  };

  return {
    app,
    ...observers,
    failures,
    /** Resolves when every observer has handled everything published so far. */
    settled: async (): Promise<void> => {
      await Promise.all(Object.values(observers).map((o) => o.subscription.idle()));
    },
    close: () => app.close(),
  };
}

export type Shop = ReturnType<typeof createShop>;
