import { ValidationError } from '../errors.js';
import type { LazyEnvelope } from '../messages/envelope.js';
import type { Envelope } from '../messages/message.js';
import { assertPattern, compilePattern } from '../messages/names.js';
import type { Clock } from '../time/clock.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { EventHandler, SubscribeOptions, Subscription, SubscriptionStats } from './event-bus-types.js';
import { DispatchContext, type Hub } from './handler-context.js';
import { compose, type Middleware } from './middleware.js';

/** A handler as the bus calls it: the context is `undefined` for handlers that take none. */
export type Handler = (event: LazyEnvelope, ctx: DispatchContext | undefined) => unknown;

/** One subscription's internal record. */
export interface Sub {
  readonly name: string;
  readonly matches: ((type: string) => boolean) | undefined;
  readonly category: string | undefined;
  readonly call: Handler;
  /** False for handlers declared with exactly one parameter: they get no context object (none is allocated). */
  readonly needsCtx: boolean;
  readonly queue: DeliveryQueue<LazyEnvelope> | undefined;
  readonly once: boolean;
  active: boolean;
  handle: Subscription;
}

/** What the registry needs from its bus. */
export interface RegistryHost {
  readonly hub: Hub;
  readonly clock: Clock;
  readonly handleMiddleware: readonly Middleware[];
  /** Reports a handler failure (the bus's `onError`). */
  fail(error: unknown, handler: string, message: LazyEnvelope): void;
  /** Called after every change of the subscription set: cached routes are stale. */
  changed(): void;
}

/**
 * The subscriptions of one bus. The lists are replaced, never mutated, so a dispatch iterating a
 * list it read keeps a stable view while handlers subscribe or unsubscribe.
 */
export class SubscriptionRegistry {
  /** Subscriptions by type or pattern. */
  patterns: readonly Sub[] = [];
  /** Subscriptions by stream category. */
  categories: readonly Sub[] = [];
  /** How many category subscriptions are queued; when zero, the room checks skip them. */
  queuedCategories = 0;
  readonly #host: RegistryHost;
  #counter = 0;

  constructor(host: RegistryHost) {
    this.#host = host;
  }

  /** Every subscription, pattern ones first. */
  all(): Sub[] {
    return [...this.patterns, ...this.categories];
  }

  /** The active subscription with that name, if any. */
  find(name: string): Sub | undefined {
    return this.all().find((s) => s.name === name && s.active);
  }

  add(
    selector: string | { readonly category: string },
    handler: EventHandler<Envelope, DispatchContext>,
    options: SubscribeOptions<Envelope>,
    once: boolean,
  ): Subscription {
    const host = this.#host;
    let matches: ((type: string) => boolean) | undefined;
    let category: string | undefined;
    let label: string;
    if (typeof selector === 'string') {
      assertPattern(selector);
      matches = compilePattern(selector);
      label = selector;
    } else if (
      typeof selector === 'object' &&
      selector !== null &&
      typeof selector.category === 'string' &&
      selector.category.length > 0 &&
      !selector.category.includes('-')
    ) {
      category = selector.category;
      label = `category:${category}`;
    } else {
      throw new ValidationError(
        `Invalid subscription selector ${JSON.stringify(selector)}: expected a pattern string such as 'order.*' or { category: 'order' } (a category has no '-').`,
        [{ path: ['selector'], message: 'invalid selector' }],
        { code: 'INVALID_PATTERN' },
      );
    }
    if (typeof handler !== 'function') {
      throw new ValidationError(`subscribe('${label}') expects a handler function, got ${typeof handler}.`, [
        { path: ['handler'], message: 'not a function' },
      ]);
    }
    const name = options.name ?? `${label}#${++this.#counter}`;
    const middleware = [...host.handleMiddleware, ...(options.middleware ?? [])];
    const call = this.#wrap(name, handler, middleware);
    // A handler declared with one parameter never reads the context: skip allocating it.
    // (Zero parameters may mean `arguments` or a rest parameter, so those get one.)
    const needsCtx = middleware.length > 0 || handler.length !== 1;
    const queue =
      options.queue === undefined
        ? undefined
        : new DeliveryQueue<LazyEnvelope>(
            options.queue === true ? {} : options.queue,
            (e) => e.streamId,
            needsCtx
              ? (e) => call(e, new DispatchContext(host.hub, 'handle', e, name, sub))
              : (e) => call(e, undefined),
            (error, e) => host.fail(error, name, e),
            host.clock,
          );
    const unsubscribe = (): void => {
      if (!sub.active) return;
      sub.active = false;
      if (sub.category === undefined) this.patterns = this.patterns.filter((s) => s !== sub);
      else this.categories = this.categories.filter((s) => s !== sub);
      if (sub.category !== undefined && sub.queue !== undefined) this.queuedCategories--;
      host.changed();
      sub.queue?.close();
      // A long-lived signal (a shutdown signal shared by many subscriptions) must not keep this one alive.
      options.signal?.removeEventListener('abort', unsubscribe);
    };
    const handle: Subscription = {
      name,
      get active() {
        return sub.active;
      },
      unsubscribe,
      [Symbol.dispose]: unsubscribe,
      stats: (): SubscriptionStats => ({
        name,
        mode: queue === undefined ? 'inline' : 'queued',
        active: sub.active,
        queue: queue?.stats(),
      }),
      idle: () => queue?.idle() ?? Promise.resolve(),
    };
    const sub: Sub = { name, matches, category, call, needsCtx, queue, once, active: true, handle };
    if (category === undefined) this.patterns = [...this.patterns, sub];
    else this.categories = [...this.categories, sub];
    if (category !== undefined && queue !== undefined) this.queuedCategories++;
    host.changed();
    if (options.signal !== undefined) {
      if (options.signal.aborted) unsubscribe();
      else options.signal.addEventListener('abort', unsubscribe, { once: true });
    }
    return handle;
  }

  /** Without middleware the handler is called directly; with it, each call gets its own context. */
  #wrap(name: string, handler: EventHandler<Envelope, DispatchContext>, middleware: readonly Middleware[]): Handler {
    if (middleware.length === 0) return handler as Handler;
    const chain = compose(middleware, (ctx: DispatchContext) => handler(ctx.message, ctx));
    const hub = this.#host.hub;
    return (event, ctx) =>
      chain(
        ctx !== undefined && ctx.handler === name ? ctx : new DispatchContext(hub, 'handle', event, name, ctx?.from),
      );
  }
}
