import { TidingsError } from '../errors.js';
import type { LazyEnvelope } from '../messages/envelope.js';
import type { EventMap, Message, MessageOf, RequestMap } from '../messages/message.js';
import { refusePublishOptions } from './bus-options.js';
import type { MiddlewareContext, MiddlewareKind } from './middleware.js';

/** Options of a publish or emit. */
export interface PublishOptions {
  /** The stream the event belongs to (`order-42`): used by category subscriptions and per-key ordering. */
  readonly streamId?: string | undefined;
  /**
   * The id the event already has, when it was recorded elsewhere first (an event read back from a
   * store after append). Default: a new UUIDv7, created when first read.
   */
  readonly id?: string | undefined;
  /** When the event happened, if it is already known (its `recordedAt`). Default: publish time. */
  readonly occurredAt?: Date | undefined;
}

/** Options of a send or query. */
export interface RequestOptions {
  /** Cancels the handler (it sees the signal as `ctx.signal`). */
  readonly signal?: AbortSignal | undefined;
  /**
   * The command's id (its envelope `id`), when the caller has one: re-sending a command with the
   * same id lets `handleCommand` recognise the retry and append nothing new. Default: a new UUIDv7.
   * A non-empty string of at most 200 characters.
   */
  readonly id?: string | undefined;
}

/** A map with no declared types: anything goes. */
export type AnyRequestMap = Record<string, { data: unknown; result: unknown }>;

/**
 * What a handler receives besides its message. Publishing or sending through it makes the new
 * message's `causationId` the handled message's id and carries its `correlationId`, and counts the
 * hop for loop protection.
 */
export interface HandlerContext<
  E extends EventMap = EventMap,
  C extends RequestMap = AnyRequestMap,
  Q extends RequestMap = AnyRequestMap,
> extends MiddlewareContext {
  /** Publishes an event caused by the message being handled, awaiting inline handlers and queue room. */
  publish(event: MessageOf<E>, options?: PublishOptions): Promise<void>;
  /** Synchronous publish (see `EventBus.emit`). */
  emit(event: MessageOf<E>, options?: PublishOptions): void;
  /** Sends a command caused by the message being handled. */
  send<T extends keyof C & string>(
    command: Message<T, C[T]['data']>,
    options?: RequestOptions,
  ): Promise<C[T]['result']>;
  /** Asks a query on behalf of the message being handled. */
  query<T extends keyof Q & string>(query: Message<T, Q[T]['data']>, options?: RequestOptions): Promise<Q[T]['result']>;
}

/** The buses a context can reach. Filled by whoever wires them (`createTidings`). */
export interface Hub {
  events?: {
    publishFrom(
      event: Message,
      options: PublishOptions | undefined,
      parent: LazyEnvelope,
      from: unknown,
    ): Promise<void>;
    emitFrom(event: Message, options: PublishOptions | undefined, parent: LazyEnvelope): void;
  };
  commands?: {
    sendFrom(message: Message, options: RequestOptions | undefined, parent: LazyEnvelope | undefined): Promise<unknown>;
  };
  queries?: {
    sendFrom(message: Message, options: RequestOptions | undefined, parent: LazyEnvelope | undefined): Promise<unknown>;
  };
}

function notConnected(what: string, bus: string): TidingsError {
  return new TidingsError(
    'NOT_CONNECTED',
    `ctx.${what}() has no ${bus} bus to go to. Create the buses together with createTidings(), which connects them.`,
  );
}

/** The one implementation of {@link HandlerContext}. */
export class DispatchContext implements HandlerContext {
  readonly kind: MiddlewareKind;
  readonly message: LazyEnvelope;
  readonly handler: string | undefined;
  signal: AbortSignal | undefined;
  attempt = 1;
  /** The queued subscription running this handler, if any: publishing into its own full queue would deadlock. */
  readonly from: unknown;
  private readonly _hub: Hub;

  constructor(
    hub: Hub,
    kind: MiddlewareKind,
    message: LazyEnvelope,
    handler: string | undefined,
    from: unknown,
    signal?: AbortSignal,
  ) {
    this._hub = hub;
    this.kind = kind;
    this.message = message;
    this.handler = handler;
    this.from = from;
    this.signal = signal;
  }

  publish(event: Message, options?: PublishOptions): Promise<void> {
    const events = this._hub.events;
    if (events === undefined) return Promise.reject(notConnected('publish', 'event'));
    if (options !== undefined) {
      const refused = refusePublishOptions(options);
      if (refused !== undefined) return refused;
    }
    return events.publishFrom(event, options, this.message, this.from);
  }

  emit(event: Message, options?: PublishOptions): void {
    const events = this._hub.events;
    if (events === undefined) throw notConnected('emit', 'event');
    events.emitFrom(event, options, this.message);
  }

  send(command: Message, options?: RequestOptions): Promise<never> {
    const commands = this._hub.commands;
    if (commands === undefined) return Promise.reject(notConnected('send', 'command'));
    return commands.sendFrom(command, options, this.message) as Promise<never>;
  }

  query(query: Message, options?: RequestOptions): Promise<never> {
    const queries = this._hub.queries;
    if (queries === undefined) return Promise.reject(notConnected('query', 'query'));
    return queries.sendFrom(query, options, this.message) as Promise<never>;
  }
}
