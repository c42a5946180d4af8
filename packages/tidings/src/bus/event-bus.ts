import { TidingsError, ValidationError } from '../errors.js';
import type { AnyDefinition, EventMapOf } from '../messages/define.js';
import { LazyEnvelope } from '../messages/envelope.js';
import { uuidv7, type IdGenerator } from '../messages/ids.js';
import type { Envelope, EventMap, Message } from '../messages/message.js';
import { categoryOf } from '../messages/names.js';
import { assertSerializable } from '../messages/serializable.js';
import { validateAsync, validateSync } from '../messages/standard-schema.js';
import { integerOption, positiveOption } from '../reliability/options.js';
import { systemClock, type Clock } from '../time/clock.js';
import { BackPressure, type Dispatcher } from './back-pressure.js';
import {
  checkEventBusOptions,
  checkPublishOptions,
  checkStreamOptions,
  refusePublishOptions,
  checkSubscribeOptions,
  checkWaitFor,
} from './bus-options.js';
import { BusClosedError, CausationDepthError, type UnfinishedWork } from './bus-errors.js';
import { countDescendant, DEFAULT_MAX_DESCENDANTS } from './fan-out-budget.js';
import { closeOptionsOf, closeWithin, DEFAULT_CLOSE_TIMEOUT_MS, mergeUnfinished, type CloseOptions } from './drain.js';
import type {
  EventBus,
  EventBusOptions,
  EventHandler,
  EventStream,
  HandlerFailure,
  RedeliveredMessage,
  StreamOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionStats,
  WaitForOptions,
} from './event-bus-types.js';
import { DispatchContext, type AnyRequestMap, type Hub, type PublishOptions } from './handler-context.js';
import { compose } from './middleware.js';
import { RouteTable, type Route } from './routing.js';
import { SubscriptionRegistry, type Sub } from './subscription-registry.js';
import { Waiters } from './waiters.js';

// The hot path lives here: emit/publish, delivery to queues and inline handlers, failure
// isolation. Routing (routing.ts), the subscription registry (subscription-registry.ts), room
// checks of queues (back-pressure.ts) and waitFor/stream (waiters.ts) have their own files.

/** How long an awaited publish waits for room in full `wait` queues by default, ms (decision 0415). */
const DEFAULT_QUEUE_WAIT_TIMEOUT_MS = 30_000;

/** The name under which emit's publish middleware is tracked and reported. */
const PUBLISH_MIDDLEWARE = 'publish middleware';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

function defaultOnError(failure: HandlerFailure): void {
  console.error(`[tidings] handler '${failure.handler}' failed on '${failure.message.type}':`, failure.error);
}

/** @internal The implementation behind {@link createEventBus}; `createTidings` shares its hub. */
export class EventBusImpl implements EventBus<EventMap, AnyRequestMap, AnyRequestMap> {
  readonly clock: Clock;
  readonly nextId: IdGenerator;
  readonly hub: Hub;
  readonly #onError: (failure: HandlerFailure) => void;
  readonly #publishChain: ((ctx: DispatchContext) => unknown) | undefined;
  readonly #emitChain: ((ctx: DispatchContext) => unknown) | undefined;
  readonly #maxDepth: number;
  readonly #maxDescendants: number;
  readonly #checkSerializable: boolean;
  readonly #registry: SubscriptionRegistry;
  readonly #routes: RouteTable;
  readonly #backPressure: BackPressure;
  readonly #dispatcher: Dispatcher;
  readonly #waiters: Waiters;
  readonly #closeTimeoutMs: number;
  #closed = false;
  /** Set when a close has finished or given up: the drain stops. */
  #released = false;
  #closing: Promise<void> | undefined;
  /** Asynchronous inline handlers (and emit middleware) running, with who runs them on what. */
  readonly #pendingAsync = new Map<Promise<unknown>, { readonly name: string; readonly type: string }>();
  /** Accepted publishes that have not delivered yet (see #inProgress), with their event type. */
  readonly #publishing = new Map<Promise<void>, string>();

  constructor(options: EventBusOptions = {}, hub: Hub = {}, component = 'createEventBus') {
    checkEventBusOptions(component, options);
    this.clock = options.clock ?? systemClock;
    this.nextId = options.nextId ?? uuidv7;
    this.hub = hub;
    hub.events = this;
    this.#onError = options.onError ?? defaultOnError;
    const publishMw = options.middleware?.publish ?? [];
    this.#registry = new SubscriptionRegistry({
      hub,
      clock: this.clock,
      handleMiddleware: options.middleware?.handle ?? [],
      fail: (error, handler, message) => this.#fail(error, handler, message),
      changed: () => this.#routes.clear(),
    });
    this.#routes = new RouteTable(this.#registry, options.events, publishMw.length > 0);
    this.#backPressure = new BackPressure(
      this.#registry,
      this.clock,
      positiveOption(
        component,
        'queueWaitTimeoutMs',
        options.queueWaitTimeoutMs ?? DEFAULT_QUEUE_WAIT_TIMEOUT_MS,
        true,
      ),
    );
    this.#dispatcher = {
      routeFor: (type) => this.#routes.routeFor(type),
      deliver: (route, envelope, collect, from) => this.#deliver(route, envelope, collect, from),
    };
    this.#waiters = new Waiters(this.clock, (pattern, handler, name, queue, signal) =>
      this.#add(
        pattern,
        handler,
        { name, ...(queue === undefined ? {} : { queue }), ...(signal === undefined ? {} : { signal }) },
        false,
      ),
    );
    if (publishMw.length > 0) {
      // The room check happens in the final step, right before delivery, with no await in between.
      this.#publishChain = compose(publishMw, (ctx: DispatchContext) =>
        this.#backPressure.deliverWhenRoom(this.#dispatcher, ctx.message, ctx.from),
      );
      this.#emitChain = compose(publishMw, (ctx: DispatchContext) => {
        const route = this.#routes.routeFor(ctx.message.type);
        this.#backPressure.refuseIfFull(route, ctx.message);
        const pending = this.#deliver(route, ctx.message, true, undefined);
        return pending === undefined ? undefined : Promise.all(pending);
      });
    }
    this.#maxDepth = integerOption(component, 'maxCausationDepth', options.maxCausationDepth ?? 32, 1);
    this.#maxDescendants = integerOption(
      component,
      'maxDescendants',
      options.maxDescendants ?? DEFAULT_MAX_DESCENDANTS,
      1,
      true,
    );
    this.#checkSerializable = options.checkSerializable ?? true;
    this.#closeTimeoutMs = positiveOption(
      component,
      'closeTimeoutMs',
      options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      true,
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- publishing -------------------------------------------------------------------------

  emit(event: Message, options?: PublishOptions): void {
    // The hot path, small enough for V8 to inline: the same type as last time, inline handlers only.
    const route = this.#routes.last;
    if (
      options === undefined &&
      route !== undefined &&
      route.direct &&
      typeof event === 'object' &&
      event !== null &&
      event.type === route.type &&
      event.metadata === undefined &&
      !this.#closed
    ) {
      if (this.#checkSerializable) assertSerializable(event.data, route.type);
      void this.#runInline(
        route.inline,
        new LazyEnvelope(this, event, undefined, undefined),
        false,
        undefined,
        undefined,
      );
      return;
    }
    this.emitFrom(event, options, undefined);
  }

  publish(event: Message, options?: PublishOptions): Promise<void> {
    // Checked here and in ctx.publish, not in publishFrom: growing that async function past V8's
    // inlining budget cost the awaited benchmark a fifth of its rate.
    if (options !== undefined) {
      const refused = refusePublishOptions(options);
      if (refused !== undefined) return refused;
    }
    return this.publishFrom(event, options, undefined, undefined);
  }

  emitFrom(event: Message, options: PublishOptions | undefined, parent: LazyEnvelope | undefined): void {
    if (this.#closed) throw new BusClosedError(`emit '${describeType(event)}'`);
    if (options !== undefined) checkPublishOptions('emit', options);
    const route = this.#routes.routeFor(messageType(event));
    if (this.#checkSerializable && event.metadata !== undefined)
      assertSerializable(event.metadata, route.type, 'metadata');
    if (route.schema !== undefined) validateSync(route.schema, route.type, event.data, 'emit');
    else if (this.#checkSerializable) assertSerializable(event.data, route.type);
    const envelope = this.#envelope(event, options, parent);
    this.#backPressure.refuseIfFull(route, envelope);
    if (this.#emitChain !== undefined) {
      envelope.stamp(); // middleware may delay delivery: the time is the publish time
      const ctx = new DispatchContext(this.hub, 'publish', envelope, undefined, undefined);
      this.#track(Promise.resolve(this.#emitChain(ctx)), PUBLISH_MIDDLEWARE, envelope);
      return;
    }
    void this.#deliver(route, envelope, false, undefined);
  }

  async publishFrom(
    event: Message,
    options: PublishOptions | undefined,
    parent: LazyEnvelope | undefined,
    from: unknown,
  ): Promise<void> {
    if (this.#closed) throw new BusClosedError(`publish '${describeType(event)}'`);
    const route = this.#routes.routeFor(messageType(event));
    if (this.#checkSerializable && event.metadata !== undefined)
      assertSerializable(event.metadata, route.type, 'metadata');
    if (route.schema === undefined) {
      if (this.#checkSerializable) assertSerializable(event.data, route.type);
      if (this.#publishChain === undefined) {
        const envelope = this.#envelope(event, options, parent);
        // The awaited path can afford the clock read; emit() stays lazy (decision 0004).
        envelope.stamp();
        // Fast path: room everywhere, deliver now without yielding (a yield would let others take the room).
        if (this.#backPressure.blockedBy(route, envelope, from) === undefined) {
          const pending = this.#deliver(route, envelope, true, from);
          if (pending !== undefined) await Promise.all(pending);
          return;
        }
        return this.#inProgress(this.#backPressure.deliverWhenRoom(this.#dispatcher, envelope, from), route.type);
      }
    }
    return this.#inProgress(this.#deliverAfterYield(route, event, options, parent, from), route.type);
  }

  /** The publish steps that yield before delivery: asynchronous validation, publish middleware. */
  async #deliverAfterYield(
    route: Route,
    event: Message,
    options: PublishOptions | undefined,
    parent: LazyEnvelope | undefined,
    from: unknown,
  ): Promise<void> {
    if (route.schema !== undefined) await validateAsync(route.schema, route.type, event.data, 'publish');
    const envelope = this.#envelope(event, options, parent);
    if (this.#publishChain === undefined) return this.#backPressure.deliverWhenRoom(this.#dispatcher, envelope, from);
    envelope.stamp(); // middleware may delay delivery: the time is the publish time
    await this.#publishChain(new DispatchContext(this.hub, 'publish', envelope, undefined, from));
  }

  /**
   * Tracks a publish that was accepted but yields before it has delivered, so that close() waits
   * for it: otherwise it would resolve after close() had unsubscribed everyone, delivered to no one.
   */
  #inProgress(work: Promise<void>, type: string): Promise<void> {
    const settled: Promise<void> = work.then(
      () => void this.#publishing.delete(settled),
      () => void this.#publishing.delete(settled),
    );
    this.#publishing.set(settled, type);
    return work;
  }

  #envelope(event: Message, options: PublishOptions | undefined, parent: LazyEnvelope | undefined): LazyEnvelope {
    if (options === undefined && parent === undefined) return new LazyEnvelope(this, event, undefined, undefined);
    const envelope =
      options?.id === undefined && options?.occurredAt === undefined
        ? new LazyEnvelope(this, event, options?.streamId, parent)
        : new LazyEnvelope(this, event, options.streamId, parent, {
            id: options.id,
            at: options.occurredAt?.getTime(),
          });
    if (parent !== undefined) {
      if (envelope.depth > this.#maxDepth) throw new CausationDepthError(this.#maxDepth, envelope.chain());
      countDescendant(envelope, this.#maxDescendants);
    }
    return envelope;
  }

  /**
   * Enqueues to queued subscriptions, then runs inline handlers. Returns the async inline handlers to
   * await, if asked. Queues come first: their room was checked in this same synchronous step, and an
   * inline handler that publishes must neither take that room (the offer would then find a full
   * `wait`/`error` queue after inline delivery) nor get its consequences queued ahead of this event.
   * `from` is the queued subscription whose handler awaits this delivery, passed on to the inline
   * handlers' context: one of them waiting for room in that queue would wait for itself.
   */
  #deliver(route: Route, envelope: LazyEnvelope, collect: boolean, from: unknown): Promise<unknown>[] | undefined {
    if (route.queued.length > 0) {
      const at = envelope.stamp();
      for (const sub of route.queued) if (sub.active) sub.queue!.offer(envelope, at);
    }
    const byCategory =
      this.#registry.categories.length > 0 && envelope.streamId !== undefined
        ? this.#offerByCategory(envelope, envelope.streamId)
        : undefined;
    let pending =
      route.inline.length === 0 ? undefined : this.#runInline(route.inline, envelope, collect, undefined, from);
    if (byCategory !== undefined) pending = this.#runInline(byCategory, envelope, collect, pending, from);
    return pending;
  }

  /** The hot loop, kept small so it inlines: guarded calls, a context only for handlers that take one. */
  #runInline(
    subs: readonly Sub[],
    envelope: LazyEnvelope,
    collect: boolean,
    pending: Promise<unknown>[] | undefined,
    from: unknown,
  ): Promise<unknown>[] | undefined {
    let ctx: DispatchContext | undefined;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      if (!sub.active) continue;
      if (sub.once) sub.handle.unsubscribe();
      try {
        const result = sub.needsCtx
          ? sub.call(envelope, (ctx ??= new DispatchContext(this.hub, 'handle', envelope, undefined, from)))
          : sub.call(envelope, undefined);
        if (isThenable(result)) {
          // The handler goes on after this call and may read the time then: fix it now, at publish time.
          envelope.stamp();
          const settled = this.#settle(result, sub.name, envelope);
          if (collect) (pending ??= []).push(settled);
        }
      } catch (error) {
        this.#fail(error, sub.name, envelope);
      }
    }
    return pending;
  }

  /** Enqueues to the queued category subscriptions of the stream; returns the inline ones to run, if any. */
  #offerByCategory(envelope: LazyEnvelope, streamId: string): Sub[] | undefined {
    const category = categoryOf(streamId);
    let inline: Sub[] | undefined;
    for (const sub of this.#registry.categories) {
      if (!sub.active || sub.category !== category) continue;
      if (sub.queue !== undefined) sub.queue.offer(envelope, envelope.stamp());
      else (inline ??= []).push(sub);
    }
    return inline;
  }

  /** Never rejects: a failure goes to onError. Tracked so close() can wait for it. */
  #settle(result: PromiseLike<unknown>, name: string, envelope: LazyEnvelope): Promise<unknown> {
    const settled: Promise<unknown> = Promise.resolve(result).then(
      () => {
        this.#pendingAsync.delete(settled);
      },
      (error: unknown) => {
        this.#pendingAsync.delete(settled);
        this.#fail(error, name, envelope);
      },
    );
    this.#pendingAsync.set(settled, { name, type: envelope.type });
    return settled;
  }

  #track(result: Promise<unknown>, name: string, envelope: LazyEnvelope): void {
    void this.#settle(result, name, envelope);
  }

  #fail(error: unknown, handler: string, message: LazyEnvelope): void {
    message.stamp(); // the hook may keep the failure and read the time later
    try {
      this.#onError({ error, message, handler });
    } catch (hookError) {
      // The error hook itself failed: never let that reach the publisher.
      defaultOnError({ error: hookError, message, handler: `onError hook (while reporting '${handler}')` });
    }
  }

  // ---- subscribing ------------------------------------------------------------------------

  subscribe(
    selector: string | { readonly category: string },
    handler: EventHandler<never, never>,
    options: SubscribeOptions<never> = {},
  ): Subscription {
    checkSubscribeOptions(options as SubscribeOptions<unknown>);
    return this.#add(
      selector,
      handler as unknown as EventHandler<Envelope, DispatchContext>,
      options as SubscribeOptions<Envelope>,
      false,
    );
  }

  once(pattern: string, handler: EventHandler<never, never>): Subscription {
    return this.#add(pattern, handler as unknown as EventHandler<Envelope, DispatchContext>, {}, true);
  }

  #add(
    selector: string | { readonly category: string },
    handler: EventHandler<Envelope, DispatchContext>,
    options: SubscribeOptions<Envelope>,
    once: boolean,
  ): Subscription {
    if (this.#closed) throw new BusClosedError('subscribe');
    return this.#registry.add(selector, handler, options, once);
  }

  waitFor(pattern: string, predicate?: (event: never) => boolean, options: WaitForOptions = {}): Promise<never> {
    try {
      checkWaitFor(predicate, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#waiters.waitFor(pattern, predicate, options);
  }

  stream(pattern: string, options: StreamOptions = {}): EventStream<never> {
    checkStreamOptions(options);
    return this.#waiters.stream(pattern, options);
  }

  async redeliver(subscription: string, message: RedeliveredMessage): Promise<void> {
    if (this.#closed) throw new BusClosedError(`redeliver to '${subscription}'`);
    const sub = this.#registry.find(subscription);
    if (sub === undefined) {
      throw new TidingsError(
        'SUBSCRIPTION_NOT_FOUND',
        `No active subscription named '${subscription}' to redeliver '${message.type}' to. Subscribe it again (with the same name) first.`,
      );
    }
    const at = message.occurredAt?.getTime() ?? this.clock.now();
    const envelope = new LazyEnvelope(
      this,
      { type: message.type, data: message.data, metadata: message.metadata },
      message.streamId,
      undefined,
      {
        id: message.id,
        at,
      },
    );
    await sub.call(envelope, new DispatchContext(this.hub, 'handle', envelope, sub.name, sub));
  }

  stats(): SubscriptionStats[] {
    return this.#registry.all().map((s) => s.handle.stats());
  }

  close(options?: CloseOptions): Promise<void> {
    try {
      closeOptionsOf('close', options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.beginClose();
    return (this.#closing ??= closeWithin(
      {
        what: 'the event bus',
        clock: this.clock,
        defaultTimeoutMs: this.#closeTimeoutMs,
        setting: 'closeTimeoutMs',
        drain: () => this.drain(),
        unfinished: () => this.unfinished(),
        release: () => this.release(),
      },
      options,
    ));
  }

  /** @internal Refuses new publishes and subscriptions, and ends streams (the first step of a close). */
  beginClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.endStreams();
  }

  /**
   * @internal Resolves once the bus is quiet (after {@link beginClose}): accepted publishes
   * delivered, queued and asynchronous handlers finished; then removes the subscriptions.
   */
  async drain(): Promise<void> {
    const subs = this.#registry.all();
    // Drain until quiet: accepted publishes, async inline handlers and emit middleware may still
    // enqueue after a queue went idle. Handlers cannot start new publishes (the bus is closed).
    for (;;) {
      if (this.#released) return;
      await Promise.all(subs.map((s) => s.handle.idle()));
      if (this.#released) return;
      if (this.#pendingAsync.size > 0 || this.#publishing.size > 0) {
        await Promise.all([...this.#pendingAsync.keys(), ...this.#publishing.keys()]);
        continue;
      }
      // Checked in the same step as the unsubscribes below, so nothing can slip in between.
      if (subs.every((s) => s.queue === undefined || s.queue.isIdle)) break;
    }
    for (const sub of subs) sub.handle.unsubscribe();
  }

  /** @internal What is still running, for a close that stopped waiting. */
  unfinished(): UnfinishedWork[] {
    const work: UnfinishedWork[] = [];
    for (const sub of this.#registry.all()) {
      if (sub.queue === undefined || sub.queue.isIdle) continue;
      const { inFlight, length } = sub.queue.stats();
      work.push({ kind: 'queued', name: sub.name, messageType: undefined, running: inFlight, waiting: length });
    }
    for (const { name, type } of this.#pendingAsync.values()) {
      const kind = name === PUBLISH_MIDDLEWARE ? 'publish' : 'inline';
      work.push({ kind, name: kind === 'publish' ? type : name, messageType: type, running: 1, waiting: 0 });
    }
    for (const type of this.#publishing.values()) {
      work.push({ kind: 'publish', name: type, messageType: type, running: 1, waiting: 0 });
    }
    return mergeUnfinished(work);
  }

  /** @internal Ends what is left after a close: subscriptions (queues discard what waits) and waitFor calls. */
  release(): void {
    this.#released = true;
    for (const sub of this.#registry.all()) sub.handle.unsubscribe();
    this.#waiters.rejectPending();
  }

  /** `await using bus = …`: {@link close} with its defaults. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function messageType(event: Message): string {
  if (typeof event !== 'object' || event === null) {
    throw new ValidationError(
      `Expected an event object { type, data, metadata? }, got ${event === null ? 'null' : typeof event}.`,
      [{ path: [], message: 'not an object' }],
    );
  }
  return event.type;
}

function describeType(event: unknown): string {
  return typeof event === 'object' && event !== null ? String((event as { type?: unknown }).type) : String(event);
}

/**
 * Creates an in-process event bus. With `events` given, its types and schemas come from the
 * definitions; otherwise pass an event map as the type argument, or nothing for an untyped bus.
 *
 * @example
 * const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());
 * const bus = createEventBus({ events: [OrderPaid] });
 * using sub = bus.subscribe('order.paid', (e) => console.log(e.data.amount));
 * bus.emit(OrderPaid({ orderId: 'o-1', amount: 9900 }));
 */
export function createEventBus<const Defs extends readonly AnyDefinition[]>(
  options: EventBusOptions & { readonly events: Defs },
): EventBus<EventMapOf<Defs>>;
export function createEventBus<E extends EventMap = EventMap>(options?: EventBusOptions): EventBus<E>;
export function createEventBus(options?: EventBusOptions): EventBus {
  return new EventBusImpl(options);
}
