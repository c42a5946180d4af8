import type { Envelope, EnvelopeOf, EventMap, MessageOf } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import type { AnyDefinition } from '../messages/define.js';
import type { Clock } from '../time/clock.js';
import type { IdGenerator } from '../messages/ids.js';
import type { QueueOptions, QueueStats } from './delivery-queue.js';
import type { CloseOptions } from './drain.js';
import type { AnyRequestMap, HandlerContext, PublishOptions } from './handler-context.js';
import type { Middleware } from './middleware.js';
import type { CheckedPattern, MatchingTypes } from './pattern-types.js';

/** A handler of events. Returning a promise makes it asynchronous; its rejection is isolated like a throw. Other return values are ignored. */
export type EventHandler<E extends Envelope = Envelope, Ctx = HandlerContext> = (event: E, ctx: Ctx) => unknown;

/** Where a handler failure is reported. */
export interface HandlerFailure {
  readonly error: unknown;
  readonly message: Envelope;
  /** The subscription or handler name. */
  readonly handler: string;
}

export interface SubscribeOptions<E = Envelope> {
  /** Shown in errors, stats and dead letters. Default: the pattern plus a number. */
  readonly name?: string;
  /**
   * Queued delivery: the handler runs from its own bounded queue, off the publisher's time.
   * `true` uses the defaults (capacity 1024, concurrency 1, overflow `wait`).
   */
  readonly queue?: QueueOptions<E> | true;
  /** Wraps this subscription's handler (after the bus's own `handle` middleware). */
  readonly middleware?: readonly Middleware[];
  /** Unsubscribes when aborted. */
  readonly signal?: AbortSignal;
}

export interface SubscriptionStats {
  readonly name: string;
  readonly mode: 'inline' | 'queued';
  readonly active: boolean;
  /** Present for queued subscriptions. */
  readonly queue: QueueStats | undefined;
}

/** A live subscription. Dispose it (`using`) or call `unsubscribe()`; both are idempotent. */
export interface Subscription extends Disposable {
  readonly name: string;
  readonly active: boolean;
  /** After it returns the handler is not called again, also when called during a dispatch. Waiting queued messages are discarded. */
  unsubscribe(): void;
  stats(): SubscriptionStats;
  /**
   * Resolves when a queued subscription has nothing waiting or running. For an inline subscription
   * it resolves at once: its asynchronous handlers are awaited by `publish()` and by `close()`.
   */
  idle(): Promise<void>;
}

/** A message to hand to a handler again, as stored by a dead-letter store. */
export interface RedeliveredMessage {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: Metadata | undefined;
  readonly occurredAt?: Date | undefined;
  readonly streamId?: string | undefined;
}

export interface WaitForOptions {
  /** Milliseconds on the bus's clock before rejecting with `TimeoutError`. */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
}

export interface StreamOptions {
  /** Buffered events before the overflow policy applies. Default 1024. */
  readonly capacity?: number;
  /** Default `wait`: an awaited publish waits for the consumer. */
  readonly overflow?: QueueOptions<Envelope>['overflow'];
  readonly signal?: AbortSignal;
}

/** An AsyncIterable of events that unsubscribes when the loop ends, or when disposed. */
export interface EventStream<E extends Envelope> extends AsyncIterableIterator<E>, Disposable {
  readonly stats: () => SubscriptionStats;
}

export interface EventBusOptions {
  /** Event definitions: their schemas validate data at publish; with any given, undeclared types are refused. */
  readonly events?: readonly AnyDefinition[];
  readonly clock?: Clock;
  readonly nextId?: IdGenerator;
  /** Called for every handler failure. Default: `console.error`. */
  readonly onError?: (failure: HandlerFailure) => void;
  /** `publish` wraps each publish; `handle` wraps every handler. */
  readonly middleware?: { readonly publish?: readonly Middleware[]; readonly handle?: readonly Middleware[] };
  /** Longest chain of handler-caused publishes before `CausationDepthError`. Default 32. */
  readonly maxCausationDepth?: number;
  /**
   * Most messages one root message (published outside any handler) may cause through handler
   * contexts (`ctx.publish`, `ctx.emit`, `ctx.send`, `ctx.query`), every generation counted,
   * before `FanOutLimitError`: the guard against fan-out storms, which the depth limit cannot
   * stop. Integer >= 1 or `Infinity`; default 10 000.
   */
  readonly maxDescendants?: number;
  /** Check that data is JSON at publish (the rule every store applies). Default true. */
  readonly checkSerializable?: boolean;
  /**
   * How long `close()` waits for running handlers and accepted publishes before it gives up on
   * them with `CloseIncompleteError`, ms on the bus's clock; `Infinity` waits as long as they
   * take. Default 10 000.
   */
  readonly closeTimeoutMs?: number;
  /**
   * How long an awaited `publish()` waits, in all, for room in full `wait` queues before it is
   * refused with `QueueFullError` (code `QUEUE_WAIT_TIMEOUT`, nothing delivered), ms on the bus's
   * clock; `Infinity` waits as long as it takes. Default 30 000.
   */
  readonly queueWaitTimeoutMs?: number;
}

type Ctx<E extends EventMap, C extends AnyRequestMap, Q extends AnyRequestMap> = HandlerContext<E, C, Q>;

/**
 * The in-process event bus.
 *
 * @example
 * const bus = createEventBus({ events: [OrderPaid, OrderShipped] });
 * bus.subscribe('order.*', (event) => console.log(event.type, event.data.orderId));
 * await bus.publish(OrderPaid({ orderId: 'o-1', amount: 9900 }));
 */
export interface EventBus<
  E extends EventMap = EventMap,
  C extends AnyRequestMap = AnyRequestMap,
  Q extends AnyRequestMap = AnyRequestMap,
> extends AsyncDisposable {
  /**
   * Publishes and runs inline handlers synchronously; queued subscriptions receive the event in
   * their queue. Never returns a promise and allocates none when no handler is asynchronous.
   * Throws `ValidationError` for bad input, `QueueFullError` when a `wait` or `error` queue is full.
   */
  emit(event: MessageOf<E>, options?: PublishOptions): void;
  /**
   * Publishes, waiting for room in `wait` queues and for asynchronous inline handlers to settle.
   * Handler failures never reject it; they go to `onError`.
   */
  publish(event: MessageOf<E>, options?: PublishOptions): Promise<void>;
  /**
   * Subscribes by exact type or pattern (`order.*`, `*.paid`, `order.**`, `**`).
   *
   * The handler receives `(event, ctx)`. A handler declared with exactly one parameter is not
   * given a context (none is allocated on the hot path); declare `ctx` as the second parameter
   * when you use it — not as a default-valued parameter, whose `length` JavaScript does not count.
   * Inline handlers of one dispatch share one context: treat it as read-only there.
   */
  subscribe<const P extends string>(
    pattern: P & CheckedPattern<E, P>,
    handler: EventHandler<EnvelopeOf<E, MatchingTypes<E, P> & keyof E & string>, Ctx<E, C, Q>>,
    options?: SubscribeOptions<EnvelopeOf<E>>,
  ): Subscription;
  /** Subscribes to every event published with a stream id of this category (`order` for `order-42`). */
  subscribe(
    selector: { readonly category: string },
    handler: EventHandler<EnvelopeOf<E>, Ctx<E, C, Q>>,
    options?: SubscribeOptions<EnvelopeOf<E>>,
  ): Subscription;
  /** Like subscribe, for the first matching event only. */
  once<const P extends string>(
    pattern: P & CheckedPattern<E, P>,
    handler: EventHandler<EnvelopeOf<E, MatchingTypes<E, P> & keyof E & string>, Ctx<E, C, Q>>,
  ): Subscription;
  /**
   * Resolves with the first matching event published from now on. Rejects with `TimeoutError`
   * after `timeout` ms, `AbortedError` when `signal` aborts, and `BusClosedError` when the bus
   * closes first.
   */
  waitFor<const P extends string>(
    pattern: P & CheckedPattern<E, P>,
    predicate?: (event: EnvelopeOf<E, MatchingTypes<E, P> & keyof E & string>) => boolean,
    options?: WaitForOptions,
  ): Promise<EnvelopeOf<E, MatchingTypes<E, P> & keyof E & string>>;
  /** The matching events as an AsyncIterable with a bounded buffer and backpressure. */
  stream<const P extends string>(
    pattern: P & CheckedPattern<E, P>,
    options?: StreamOptions,
  ): EventStream<EnvelopeOf<E, MatchingTypes<E, P> & keyof E & string>>;
  /**
   * Runs one subscription's handler (through its middleware) again with a message it already
   * received, keeping the message's id and time: how a dead letter is retried. Resolves when the
   * handler succeeds, rejects with its error. `SUBSCRIPTION_NOT_FOUND` when no active subscription
   * has that name.
   *
   * @example
   * await deadLetters.retry(letter.id, (l) => bus.redeliver(l.handler!, l.message));
   */
  redeliver(subscription: string, message: RedeliveredMessage): Promise<void>;
  // Note: a redelivery runs the handler directly, outside the subscription's queue, so it does not
  // count against its concurrency limit and is not ordered with queued messages of the same key.
  // Name subscriptions (`{ name }`) whose dead letters outlive the process: default names are not stable.
  /** Counters of every subscription. */
  stats(): SubscriptionStats[];
  /**
   * Stops accepting publishes (handlers' own publishes included) and ends streams, then waits until
   * publishes already accepted have been delivered (also those waiting for room or in publish
   * middleware) and queued and asynchronous handlers have finished. A `waitFor` still pending
   * then rejects with `BusClosedError`.
   *
   * The wait is bounded: after `timeoutMs` (default `closeTimeoutMs`, 10 s), or when `signal`
   * aborts, close() stops waiting, removes every subscription (waiting queued messages are
   * discarded) and rejects with `CloseIncompleteError` listing the handlers still running. A
   * second call returns the first call's promise.
   *
   * @example
   * await bus.close({ timeoutMs: 5_000 });
   */
  close(options?: CloseOptions): Promise<void>;
  readonly closed: boolean;
}
