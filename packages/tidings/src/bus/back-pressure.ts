import type { LazyEnvelope } from '../messages/envelope.js';
import { categoryOf } from '../messages/names.js';
import type { Clock } from '../time/clock.js';
import { QueueFullError } from './bus-errors.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { Route } from './routing.js';
import type { Sub, SubscriptionRegistry } from './subscription-registry.js';

/** What waiting for room needs from the bus: its routes and its delivery step. */
export interface Dispatcher {
  routeFor(type: string): Route;
  /** Delivers in the same synchronous step; returns the asynchronous inline handlers to await. */
  deliver(route: Route, envelope: LazyEnvelope, collect: boolean, from: unknown): Promise<unknown>[] | undefined;
}

/**
 * Room checks of queued subscriptions: a publish reaches every target queue or none. A
 * synchronous publish that cannot wait is refused; an awaited one waits for `wait` queues.
 */
export class BackPressure {
  readonly #registry: SubscriptionRegistry;
  readonly #clock: Clock;
  /** How long an awaited publish waits for room, in all, before QUEUE_WAIT_TIMEOUT. */
  readonly #waitTimeoutMs: number;

  constructor(registry: SubscriptionRegistry, clock: Clock, waitTimeoutMs: number) {
    this.#registry = registry;
    this.#clock = clock;
    this.#waitTimeoutMs = waitTimeoutMs;
  }

  /** A synchronous publish cannot wait: a full `wait` or `error` queue refuses the whole event. */
  refuseIfFull(route: Route, envelope: LazyEnvelope): void {
    if (route.queued.length === 0 && this.#registry.queuedCategories === 0) return;
    for (const sub of this.#queuedTargets(route, envelope)) {
      const queue = sub.queue!;
      if (queue.full && (queue.overflow === 'error' || queue.overflow === 'wait')) {
        throw new QueueFullError(
          'QUEUE_FULL',
          sub.name,
          queue.capacity,
          queue.overflow === 'wait'
            ? 'emit() cannot wait for room: use `await publish()`, or choose a drop overflow policy. Nothing was delivered.'
            : 'Its overflow policy is `error`. Nothing was delivered.',
        );
      }
    }
  }

  /** The first full `wait` queue to wait for; throws for a full `error` queue or a wait that would deadlock. */
  blockedBy(route: Route, envelope: LazyEnvelope, from: unknown): Sub | undefined {
    for (const sub of this.#queuedTargets(route, envelope)) {
      const queue = sub.queue!;
      if (!queue.full) continue;
      if (queue.overflow === 'error') {
        throw new QueueFullError(
          'QUEUE_FULL',
          sub.name,
          queue.capacity,
          'Its overflow policy is `error`. Nothing was delivered.',
        );
      }
      if (queue.overflow === 'wait') {
        if (from === sub) {
          throw new QueueFullError(
            'QUEUE_DEADLOCK',
            sub.name,
            queue.capacity,
            'Its own handler is publishing into it (directly, or through an inline handler it awaits); waiting for room would wait for itself. Use a drop policy, a larger capacity, or publish to another subscription. Nothing was delivered.',
          );
        }
        return sub;
      }
    }
    return undefined;
  }

  /**
   * Waits until every `wait` queue the event goes to has room, then delivers in the same
   * synchronous step as the last check, so no other publisher can take the room in between.
   */
  async deliverWhenRoom(dispatcher: Dispatcher, envelope: LazyEnvelope, from: unknown): Promise<void> {
    envelope.stamp(); // its time is when it was published, not when room was found
    let deadline: number | undefined;
    // The queue whose wake-up this publisher consumed. A queue wakes one waiter per freed slot, so a
    // woken publisher that does not use the slot (it is blocked by another queue, refused, or the
    // route changed) must hand the wake-up on, or a waiter behind it sleeps beside an empty queue.
    let woken: DeliveryQueue<LazyEnvelope> | undefined;
    try {
      for (;;) {
        const route = dispatcher.routeFor(envelope.type); // subscriptions may change while waiting
        const blocked = this.blockedBy(route, envelope, from);
        if (blocked === undefined) {
          const pending = dispatcher.deliver(route, envelope, true, from);
          woken?.passOn();
          woken = undefined;
          if (pending !== undefined) await Promise.all(pending);
          return;
        }
        woken?.passOn();
        woken = undefined;
        const queue = blocked.queue!;
        // close() lets an accepted publish finish: it drains the queues, which makes room.
        deadline ??= this.#clock.now() + this.#waitTimeoutMs;
        const remaining = deadline - this.#clock.now();
        if (remaining <= 0 || !(await queue.waitForSpace(remaining))) {
          throw new QueueFullError(
            'QUEUE_WAIT_TIMEOUT',
            blocked.name,
            queue.capacity,
            `publish() waited ${this.#waitTimeoutMs} ms (queueWaitTimeoutMs) for room and none came: its handler is slow or stuck. Nothing was delivered; raise queueWaitTimeoutMs, speed the handler up, or choose another overflow policy.`,
          );
        }
        woken = queue;
      }
    } finally {
      woken?.passOn();
    }
  }

  /** The queued subscriptions an event goes to: by pattern, and by category when it has a stream. */
  #queuedTargets(route: Route, envelope: LazyEnvelope): readonly Sub[] {
    const categories = this.#registry.categories;
    if (categories.length === 0 || envelope.streamId === undefined) return route.queued;
    const category = categoryOf(envelope.streamId);
    const byCategory = categories.filter((s) => s.queue !== undefined && s.category === category);
    return byCategory.length === 0 ? route.queued : [...route.queued, ...byCategory];
  }
}
