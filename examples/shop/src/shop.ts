import {
  createInMemoryEventStore,
  createTidings,
  loadState,
  type Clock,
  type EventStore,
  type ParkedEvent,
} from 'tidings';
import { shopCommands, shopEvents, shopQueries, type OrderView } from './messages.js';
import { orderDecider, orderStream } from './order.js';
import { auditObserver } from './observers/audit.js';
import { inventoryObserver } from './observers/inventory.js';
import { notificationObserver } from './observers/notifications.js';
import { pointsObserver } from './observers/points.js';
import { recommendationObserver } from './observers/recommendations.js';
import { userStatsObserver } from './observers/user-stats.js';
import type { ShopApp } from './shop-app.js';
import { memoryShopState, type ShopState } from './shop-state.js';

export interface ShopOptions {
  /** Where orders are recorded. Default: an in-memory store (the demo passes a SQLite file). */
  readonly store?: EventStore;
  readonly clock?: Clock;
  /** Opening stock per product id. */
  readonly stock?: Readonly<Record<string, number>>;
  /** While this returns true the recommendation service fails. */
  readonly recommendationsDown?: () => boolean;
  /** How the flaky recommendation observer is retried before it is parked. Default: 3 attempts, 100 ms base delay. */
  readonly retry?: { readonly maxAttempts: number; readonly baseDelayMs: number };
  /**
   * How long an observer's lease outlives a crashed process, in ms (default 30 000): a restarted
   * shop takes the observers over once the dead process's leases expire.
   */
  readonly leaseTtlMs?: number;
  /** Where the observers keep their state: in the store's database (default: in memory, for the in-memory store). */
  readonly state?: ShopState;
}

/**
 * The shop of SCENARIOS.md S1. The order service only records what happened to an order
 * (`order.paid`, …) in the store; inventory, points, notifications, user stats, recommendations
 * and audit are durable processors that each read the store from their own checkpoint. A failing
 * observer fails neither the payment nor the others; after its retries its event is parked.
 */
export function createShop(options: ShopOptions = {}) {
  const parkedLog: ParkedEvent[] = [];
  const store = options.store ?? createInMemoryEventStore(options.clock === undefined ? {} : { clock: options.clock });
  const app: ShopApp = createTidings({
    store,
    events: shopEvents,
    commands: shopCommands,
    queries: shopQueries,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    // Handler attempts that failed are retried by the runner; what it finally parks is kept here.
    runner: {
      onError: () => undefined,
      onParked: (entry) => parkedLog.push(entry),
      pollIntervalMs: 50,
      ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
    },
  });

  // The order service: each order is an event-sourced stream (`order-<id>`). The command handler
  // loads it, decides, and appends with the loaded version (retrying on a conflict); event ids
  // derive from the command id, so a retried command never records twice.
  const execute = app.commandHandler(orderDecider, { streamId: (command) => orderStream(command.data.orderId) });
  app.commands.handle('order.create', async (cmd) => {
    await execute(cmd);
    return { total: cmd.data.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) };
  });
  app.commands.handle('order.pay', execute);
  app.commands.handle('order.cancel', execute);
  app.commands.handle('order.ship', execute);
  app.queries.handle('order.get', async (q): Promise<OrderView | undefined> => {
    const { state: s } = await loadState(store, orderStream(q.data.orderId), orderDecider);
    return s.status === 'none' ? undefined : { orderId: s.orderId, userId: s.userId, status: s.status, total: s.total };
  });

  const state = options.state ?? memoryShopState();
  const observers = {
    inventory: inventoryObserver(app, state, options.stock ?? {}),
    points: pointsObserver(app, state),
    notifications: notificationObserver(app, state),
    userStats: userStatsObserver(app, state),
    recommendations: recommendationObserver(app, state, {
      failing: options.recommendationsDown ?? (() => false),
      retry: options.retry ?? { maxAttempts: 3, baseDelayMs: 100 },
    }),
    audit: auditObserver(app, state),
  };

  return {
    app,
    ...observers,
    /** Events an observer gave up on (after its retries), in the order they were parked. */
    parkedLog,
    /** Starts the observers: each catches up from its checkpoint, then follows the store live. */
    start: () => app.start(),
    /**
     * Retries every parked event through the processor that parked it. Returns how many succeeded;
     * those that fail again stay parked with one more attempt.
     */
    retryParked: async (): Promise<{ succeeded: number; failed: number }> => {
      // #region parked-retry
      const outcomes = await app.parked.retryAll();
      // #endregion parked-retry
      const succeeded = outcomes.filter((o) => o.outcome === 'handled').length;
      return { succeeded, failed: outcomes.length - succeeded };
    },
    /** Resolves when every observer has handled everything stored so far. */
    settled: () => app.catchUp(),
    store,
    /** Drains the observers (their checkpoints are written); the store stays open (it is the caller's). */
    close: () => app.close(),
  };
}

export type Shop = ReturnType<typeof createShop>;
