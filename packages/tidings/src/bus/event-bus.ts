import { AbortedError, TidingsError, TimeoutError, ValidationError } from '../errors.js';
import type { AnyDefinition, EventMapOf } from '../messages/define.js';
import { LazyEnvelope } from '../messages/envelope.js';
import { uuidv7, type IdGenerator } from '../messages/ids.js';
import type { Envelope, EventMap, Message } from '../messages/message.js';
import { assertMessageType, assertPattern, categoryOf, compilePattern } from '../messages/names.js';
import { assertSerializable } from '../messages/serializable.js';
import { validateAsync, validateSync, type StandardSchemaV1 } from '../messages/standard-schema.js';
import { systemClock, type Clock } from '../time/clock.js';
import { BusClosedError, CausationDepthError, QueueFullError } from './bus-errors.js';
import { DeliveryQueue } from './delivery-queue.js';
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
import { compose, type Middleware } from './middleware.js';
import { createEventStream } from './event-stream.js';

type Handler = (event: LazyEnvelope, ctx: DispatchContext | undefined) => unknown;

/** One subscription's internal record. */
interface Sub {
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

/** The subscriptions one event type reaches, computed once per type and cached. */
interface Route {
  readonly type: string;
  readonly schema: StandardSchemaV1 | undefined;
  readonly inline: readonly Sub[];
  readonly queued: readonly Sub[];
  /**
   * True when a plain `emit` of this type needs nothing but inline delivery: no schema, no queues,
   * no category subscriptions, no publish middleware. Routes are rebuilt whenever any of those change.
   */
  readonly direct: boolean;
}

const MAX_CACHED_ROUTES = 10_000;

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
  readonly #schemas: Map<string, StandardSchemaV1 | undefined> | undefined;
  readonly #onError: (failure: HandlerFailure) => void;
  readonly #handleMiddleware: readonly Middleware[];
  readonly #publishChain: ((ctx: DispatchContext) => unknown) | undefined;
  readonly #emitChain: ((ctx: DispatchContext) => unknown) | undefined;
  readonly #maxDepth: number;
  readonly #checkSerializable: boolean;
  #subs: Sub[] = [];
  #categorySubs: Sub[] = [];
  #routes = new Map<string, Route>();
  /** One-entry cache in front of the map: bursts of one type skip the hash lookup. */
  #lastRoute: Route | undefined;
  /** How many category subscriptions are queued; when zero, the room checks skip them. */
  #queuedCategorySubs = 0;
  #counter = 0;
  #closed = false;
  readonly #streams = new Set<EventStream<Envelope>>();
  readonly #pendingAsync = new Set<Promise<unknown>>();
  /** Accepted publishes that have not delivered yet (see #inProgress). */
  readonly #publishing = new Set<Promise<void>>();

  constructor(options: EventBusOptions = {}, hub: Hub = {}) {
    this.clock = options.clock ?? systemClock;
    this.nextId = options.nextId ?? uuidv7;
    this.hub = hub;
    hub.events = this;
    this.#schemas = options.events === undefined ? undefined : schemaMap(options.events);
    this.#onError = options.onError ?? defaultOnError;
    this.#handleMiddleware = options.middleware?.handle ?? [];
    const publishMw = options.middleware?.publish ?? [];
    if (publishMw.length > 0) {
      // The room check happens in the final step, right before delivery, with no await in between.
      this.#publishChain = compose(publishMw, (ctx: DispatchContext) => this.#deliverWhenRoom(ctx.message, ctx.from));
      this.#emitChain = compose(publishMw, (ctx: DispatchContext) => {
        const route = this.#routeFor(ctx.message.type);
        this.#refuseIfFull(route, ctx.message);
        const pending = this.#deliver(route, ctx.message, true, undefined);
        return pending === undefined ? undefined : Promise.all(pending);
      });
    }
    this.#maxDepth = options.maxCausationDepth ?? 32;
    if (!Number.isInteger(this.#maxDepth) || this.#maxDepth < 1) {
      throw new TidingsError(
        'INVALID_OPTION',
        `maxCausationDepth must be a positive integer, got ${String(options.maxCausationDepth)}.`,
      );
    }
    this.#checkSerializable = options.checkSerializable ?? true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- publishing -------------------------------------------------------------------------

  emit(event: Message, options?: PublishOptions): void {
    // The hot path, small enough for V8 to inline: the same type as last time, inline handlers only.
    const route = this.#lastRoute;
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
    return this.publishFrom(event, options, undefined, undefined);
  }

  emitFrom(event: Message, options: PublishOptions | undefined, parent: LazyEnvelope | undefined): void {
    if (this.#closed) throw new BusClosedError(`emit '${describeType(event)}'`);
    const route = this.#routeFor(messageType(event));
    if (this.#checkSerializable && event.metadata !== undefined)
      assertSerializable(event.metadata, route.type, 'metadata');
    if (route.schema !== undefined) validateSync(route.schema, route.type, event.data, 'emit');
    else if (this.#checkSerializable) assertSerializable(event.data, route.type);
    const envelope = this.#envelope(event, options, parent);
    this.#refuseIfFull(route, envelope);
    if (this.#emitChain !== undefined) {
      envelope.stamp(); // middleware may delay delivery: the time is the publish time
      const ctx = new DispatchContext(this.hub, 'publish', envelope, undefined, undefined);
      this.#track(Promise.resolve(this.#emitChain(ctx)), 'publish middleware', envelope);
      return;
    }
    void this.#deliver(route, envelope, false, undefined);
  }

  /** A synchronous publish cannot wait: a full `wait` or `error` queue refuses the whole event. */
  #refuseIfFull(route: Route, envelope: LazyEnvelope): void {
    if (route.queued.length === 0 && this.#queuedCategorySubs === 0) return;
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

  async publishFrom(
    event: Message,
    options: PublishOptions | undefined,
    parent: LazyEnvelope | undefined,
    from: unknown,
  ): Promise<void> {
    if (this.#closed) throw new BusClosedError(`publish '${describeType(event)}'`);
    const route = this.#routeFor(messageType(event));
    if (this.#checkSerializable && event.metadata !== undefined)
      assertSerializable(event.metadata, route.type, 'metadata');
    if (route.schema === undefined) {
      if (this.#checkSerializable) assertSerializable(event.data, route.type);
      if (this.#publishChain === undefined) {
        const envelope = this.#envelope(event, options, parent);
        // The awaited path can afford the clock read; emit() stays lazy (decision 0004).
        envelope.stamp();
        // Fast path: room everywhere, deliver now without yielding (a yield would let others take the room).
        if (this.#blockedBy(route, envelope, from) === undefined) {
          const pending = this.#deliver(route, envelope, true, from);
          if (pending !== undefined) await Promise.all(pending);
          return;
        }
        return this.#inProgress(this.#deliverWhenRoom(envelope, from));
      }
    }
    return this.#inProgress(this.#deliverAfterYield(route, event, options, parent, from));
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
    if (this.#publishChain === undefined) return this.#deliverWhenRoom(envelope, from);
    envelope.stamp(); // middleware may delay delivery: the time is the publish time
    await this.#publishChain(new DispatchContext(this.hub, 'publish', envelope, undefined, from));
  }

  /**
   * Tracks a publish that was accepted but yields before it has delivered, so that close() waits
   * for it: otherwise it would resolve after close() had unsubscribed everyone, delivered to no one.
   */
  #inProgress(work: Promise<void>): Promise<void> {
    const settled: Promise<void> = work.then(
      () => void this.#publishing.delete(settled),
      () => void this.#publishing.delete(settled),
    );
    this.#publishing.add(settled);
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
    if (envelope.depth > this.#maxDepth) throw new CausationDepthError(this.#maxDepth, envelope.chain());
    return envelope;
  }

  /**
   * Waits until every `wait` queue the event goes to has room, then delivers in the same
   * synchronous step as the last check, so no other publisher can take the room in between.
   */
  async #deliverWhenRoom(envelope: LazyEnvelope, from: unknown): Promise<void> {
    envelope.stamp(); // its time is when it was published, not when room was found
    // The queue whose wake-up this publisher consumed. A queue wakes one waiter per freed slot, so a
    // woken publisher that does not use the slot (it is blocked by another queue, refused, or the
    // route changed) must hand the wake-up on, or a waiter behind it sleeps beside an empty queue.
    let woken: DeliveryQueue<LazyEnvelope> | undefined;
    try {
      for (;;) {
        const route = this.#routeFor(envelope.type); // subscriptions may change while waiting
        const blocked = this.#blockedBy(route, envelope, from);
        if (blocked === undefined) {
          const pending = this.#deliver(route, envelope, true, from);
          woken?.passOn();
          woken = undefined;
          if (pending !== undefined) await Promise.all(pending);
          return;
        }
        woken?.passOn();
        woken = blocked.queue!;
        // close() lets an accepted publish finish: it drains the queues, which makes room.
        await woken.waitForSpace();
      }
    } finally {
      woken?.passOn();
    }
  }

  /** The first full `wait` queue to wait for; throws for a full `error` queue or a wait that would deadlock. */
  #blockedBy(route: Route, envelope: LazyEnvelope, from: unknown): Sub | undefined {
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

  /** The queued subscriptions an event goes to: by pattern, and by category when it has a stream. */
  #queuedTargets(route: Route, envelope: LazyEnvelope): readonly Sub[] {
    if (this.#categorySubs.length === 0 || envelope.streamId === undefined) return route.queued;
    const category = categoryOf(envelope.streamId);
    const byCategory = this.#categorySubs.filter((s) => s.queue !== undefined && s.category === category);
    return byCategory.length === 0 ? route.queued : [...route.queued, ...byCategory];
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
      this.#categorySubs.length > 0 && envelope.streamId !== undefined
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
    for (const sub of this.#categorySubs) {
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
    this.#pendingAsync.add(settled);
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

  // ---- routing ----------------------------------------------------------------------------

  #routeFor(type: string): Route {
    const last = this.#lastRoute;
    if (last !== undefined && last.type === type) return last;
    const cached = this.#routes.get(type);
    if (cached !== undefined) return (this.#lastRoute = cached);
    assertMessageType(type, 'event type');
    let schema: StandardSchemaV1 | undefined;
    if (this.#schemas !== undefined) {
      if (!this.#schemas.has(type)) {
        throw new ValidationError(
          `Unknown event type '${type}': this bus was created with event definitions and '${type}' is not one of them. Add its defineEvent(...) to createEventBus({ events }).`,
          [{ path: ['type'], message: 'undeclared event type' }],
          { code: 'UNKNOWN_TYPE' },
        );
      }
      schema = this.#schemas.get(type);
    }
    const inline: Sub[] = [];
    const queued: Sub[] = [];
    for (const sub of this.#subs) if (sub.matches!(type)) (sub.queue === undefined ? inline : queued).push(sub);
    const direct =
      schema === undefined && queued.length === 0 && this.#categorySubs.length === 0 && this.#emitChain === undefined;
    const route: Route = { type, schema, inline, queued, direct };
    if (this.#routes.size >= MAX_CACHED_ROUTES) this.#routes.clear();
    this.#routes.set(type, route);
    return (this.#lastRoute = route);
  }

  // ---- subscribing ------------------------------------------------------------------------

  subscribe(
    selector: string | { readonly category: string },
    handler: EventHandler<never, never>,
    options: SubscribeOptions<never> = {},
  ): Subscription {
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
    const middleware = [...this.#handleMiddleware, ...(options.middleware ?? [])];
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
              ? (e) => call(e, new DispatchContext(this.hub, 'handle', e, name, sub))
              : (e) => call(e, undefined),
            (error, e) => this.#fail(error, name, e),
            this.clock,
          );
    const unsubscribe = (): void => {
      if (!sub.active) return;
      sub.active = false;
      if (sub.category === undefined) this.#subs = this.#subs.filter((s) => s !== sub);
      else this.#categorySubs = this.#categorySubs.filter((s) => s !== sub);
      this.#routes.clear();
      this.#lastRoute = undefined;
      if (sub.category !== undefined && sub.queue !== undefined) this.#queuedCategorySubs--;
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
    if (category === undefined) this.#subs = [...this.#subs, sub];
    else this.#categorySubs = [...this.#categorySubs, sub];
    if (category !== undefined && queue !== undefined) this.#queuedCategorySubs++;
    this.#routes.clear();
    this.#lastRoute = undefined;
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
    return (event, ctx) =>
      chain(
        ctx !== undefined && ctx.handler === name
          ? ctx
          : new DispatchContext(this.hub, 'handle', event, name, ctx?.from),
      );
  }

  waitFor(pattern: string, predicate?: (event: never) => boolean, options: WaitForOptions = {}): Promise<never> {
    const { timeout, signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortedError(`waitFor('${pattern}')`, signal.reason));
    if (timeout !== undefined && !(timeout >= 0)) {
      return Promise.reject(
        new TidingsError(
          'INVALID_OPTION',
          `waitFor timeout must be a non-negative number of milliseconds, got ${String(timeout)}.`,
        ),
      );
    }
    return new Promise<never>((resolve, reject) => {
      const cleanup = (): void => {
        sub.unsubscribe();
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        cleanup();
        reject(new AbortedError(`waitFor('${pattern}')`, signal?.reason));
      };
      const sub = this.#add(
        pattern,
        (event) => {
          let matched: boolean;
          try {
            matched = predicate === undefined || predicate(event as never);
          } catch (error) {
            cleanup();
            reject(error);
            return;
          }
          if (!matched) return;
          cleanup();
          (event as LazyEnvelope).stamp(); // read by the awaiting caller later
          resolve(event as never);
        },
        { name: `waitFor(${pattern})` },
        false,
      );
      const timer =
        timeout === undefined
          ? undefined
          : this.clock.setTimeout(() => {
              cleanup();
              reject(new TimeoutError(`waitFor('${pattern}') saw no matching event within ${timeout} ms.`, timeout));
            }, timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  stream(pattern: string, options: StreamOptions = {}): EventStream<never> {
    const stream = createEventStream(
      (handler, queue, signal) =>
        this.#add(pattern, handler, { name: `stream(${pattern})`, queue, ...(signal ? { signal } : {}) }, false),
      options,
      () => this.#streams.delete(stream),
    );
    this.#streams.add(stream);
    return stream as EventStream<never>;
  }

  async redeliver(subscription: string, message: RedeliveredMessage): Promise<void> {
    if (this.#closed) throw new BusClosedError(`redeliver to '${subscription}'`);
    const sub = [...this.#subs, ...this.#categorySubs].find((s) => s.name === subscription && s.active);
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
    return [...this.#subs, ...this.#categorySubs].map((s) => s.handle.stats());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of [...this.#streams]) void stream.return?.();
    const subs = [...this.#subs, ...this.#categorySubs];
    // Drain until quiet: accepted publishes, async inline handlers and emit middleware may still
    // enqueue after a queue went idle. Handlers cannot start new publishes (the bus is closed).
    for (;;) {
      await Promise.all(subs.map((s) => s.handle.idle()));
      if (this.#pendingAsync.size > 0 || this.#publishing.size > 0) {
        await Promise.all([...this.#pendingAsync, ...this.#publishing]);
        continue;
      }
      // Checked in the same step as the unsubscribes below, so nothing can slip in between.
      if (subs.every((s) => s.queue === undefined || s.queue.isIdle)) break;
    }
    for (const sub of subs) sub.handle.unsubscribe();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function schemaMap(definitions: readonly AnyDefinition[]): Map<string, StandardSchemaV1 | undefined> {
  const map = new Map<string, StandardSchemaV1 | undefined>();
  for (const def of definitions) {
    if (def.kind !== 'event') {
      throw new ValidationError(
        `createEventBus({ events }) got the ${def.kind} '${def.type}': only defineEvent(...) definitions belong there.`,
        [{ path: ['events'], message: 'not an event definition' }],
      );
    }
    if (map.has(def.type)) {
      throw new ValidationError(
        `createEventBus({ events }) got '${def.type}' twice: each event type is defined once. Remove the duplicate defineEvent('${def.type}', …).`,
        [{ path: ['events'], message: 'duplicate event type' }],
        { code: 'DUPLICATE_DEFINITION' },
      );
    }
    map.set(def.type, def.schema);
  }
  return map;
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
