import type { AnyDefinition, EventMapOf, RequestMapOf } from '../messages/define.js';
import type { IdGenerator } from '../messages/ids.js';
import type { Clock } from '../time/clock.js';
import { EventBusImpl } from '../bus/event-bus.js';
import type { EventBus, HandlerFailure } from '../bus/event-bus-types.js';
import type { HandlerContext, Hub } from '../bus/handler-context.js';
import type { Middleware } from '../bus/middleware.js';
import { RequestBusImpl, type CommandBus, type QueryBus } from '../bus/request-bus.js';
import { closeOptionsOf, closeWithin, DEFAULT_CLOSE_TIMEOUT_MS, type CloseOptions } from '../bus/drain.js';
import { functionListOption, optionsObject, positiveOption, type OptionKeys } from '../reliability/options.js';
import { definitionsOption } from '../bus/bus-options.js';
import { systemClock } from '../time/clock.js';

export interface TidingsOptions<
  Ev extends readonly AnyDefinition[],
  Cm extends readonly AnyDefinition[],
  Qr extends readonly AnyDefinition[],
> {
  /** Event definitions (schemas validate at publish; undeclared types are refused). */
  readonly events?: Ev;
  readonly commands?: Cm;
  readonly queries?: Qr;
  readonly clock?: Clock;
  readonly nextId?: IdGenerator;
  readonly onError?: (failure: HandlerFailure) => void;
  readonly middleware?: {
    readonly publish?: readonly Middleware[];
    readonly handle?: readonly Middleware[];
    readonly send?: readonly Middleware[];
    readonly query?: readonly Middleware[];
  };
  readonly maxCausationDepth?: number;
  /** Fan-out budget per root message, shared by the three buses (see `EventBusOptions.maxDescendants`). Default 10 000. */
  readonly maxDescendants?: number;
  /**
   * How long `close()` waits, in all, for running command, query and event handlers before it
   * gives up on them with `CloseIncompleteError`, ms on the clock; `Infinity` waits as long as
   * they take. Default 10 000.
   */
  readonly closeTimeoutMs?: number;
  /** How long an awaited publish waits for room in full `wait` queues (see `EventBusOptions.queueWaitTimeoutMs`). Default 30 000. */
  readonly queueWaitTimeoutMs?: number;
}

const COMPONENT = 'createTidings';

type AnyTidingsOptions = TidingsOptions<readonly AnyDefinition[], readonly AnyDefinition[], readonly AnyDefinition[]>;

const TIDINGS_KEYS = {
  events: true,
  commands: true,
  queries: true,
  clock: true,
  nextId: true,
  onError: true,
  middleware: true,
  maxCausationDepth: true,
  maxDescendants: true,
  closeTimeoutMs: true,
  queueWaitTimeoutMs: true,
} satisfies OptionKeys<AnyTidingsOptions>;

const TIDINGS_MIDDLEWARE_KEYS = { publish: true, handle: true, send: true, query: true } satisfies OptionKeys<
  NonNullable<AnyTidingsOptions['middleware']>
>;

/** Keys and shapes of the app's own options; each bus checks the values it uses, under this name. */
function checkTidingsOptions(options: AnyTidingsOptions): void {
  optionsObject(COMPONENT, options, TIDINGS_KEYS);
  definitionsOption(COMPONENT, 'commands', options.commands);
  definitionsOption(COMPONENT, 'queries', options.queries);
  if (options.middleware !== undefined) {
    optionsObject(COMPONENT, options.middleware, TIDINGS_MIDDLEWARE_KEYS, 'options.middleware');
    for (const kind of ['publish', 'handle', 'send', 'query'] as const) {
      functionListOption(COMPONENT, `middleware.${kind}`, options.middleware[kind]);
    }
  }
}

type E<Ev extends readonly AnyDefinition[]> = EventMapOf<Ev>;
type R<D extends readonly AnyDefinition[]> = RequestMapOf<D>;

/**
 * The application object: an event bus, a command bus and a query bus wired together, so a
 * handler's `ctx.publish`, `ctx.send` and `ctx.query` reach the others with causation carried.
 * (A `store` option that makes subscriptions durable comes with the processing layer.)
 */
export interface Tidings<
  Ev extends readonly AnyDefinition[],
  Cm extends readonly AnyDefinition[],
  Qr extends readonly AnyDefinition[],
> extends AsyncDisposable {
  readonly events: EventBus<E<Ev>, R<Cm>, R<Qr>>;
  readonly commands: CommandBus<R<Cm>, HandlerContext<E<Ev>, R<Cm>, R<Qr>>>;
  readonly queries: QueryBus<R<Qr>, HandlerContext<E<Ev>, R<Cm>, R<Qr>>>;
  readonly publish: EventBus<E<Ev>, R<Cm>, R<Qr>>['publish'];
  readonly emit: EventBus<E<Ev>, R<Cm>, R<Qr>>['emit'];
  readonly subscribe: EventBus<E<Ev>, R<Cm>, R<Qr>>['subscribe'];
  readonly send: CommandBus<R<Cm>>['send'];
  readonly query: QueryBus<R<Qr>>['send'];
  /**
   * Stops accepting messages, lets running command and query handlers finish (their publishes
   * included), then closes the event bus, which drains its queues. The whole wait is bounded by
   * `timeoutMs` (default `closeTimeoutMs`, 10 s) and `signal`: reaching either closes everything
   * anyway and rejects with `CloseIncompleteError` naming the handlers still running.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Creates the application object from message definitions.
 *
 * @example
 * const app = createTidings({ events: [OrderPaid], commands: [PayOrder] });
 * app.commands.handle('order.pay', async (cmd, ctx) => {
 *   await ctx.publish(OrderPaid({ orderId: cmd.data.orderId, amount: 9900 }));
 * });
 * app.subscribe('order.paid', (e) => console.log('paid', e.data.orderId));
 * await app.send(PayOrder({ orderId: 'o-1' }));
 */
export function createTidings<
  const Ev extends readonly AnyDefinition[] = [],
  const Cm extends readonly AnyDefinition[] = [],
  const Qr extends readonly AnyDefinition[] = [],
>(options: TidingsOptions<Ev, Cm, Qr> = {}): Tidings<Ev, Cm, Qr> {
  checkTidingsOptions(options);
  const hub: Hub = {};
  const shared = {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.nextId === undefined ? {} : { nextId: options.nextId }),
    ...(options.maxCausationDepth === undefined ? {} : { maxCausationDepth: options.maxCausationDepth }),
    ...(options.maxDescendants === undefined ? {} : { maxDescendants: options.maxDescendants }),
  };
  const events = new EventBusImpl(
    {
      ...shared,
      ...(options.events === undefined ? {} : { events: options.events }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      ...(options.queueWaitTimeoutMs === undefined ? {} : { queueWaitTimeoutMs: options.queueWaitTimeoutMs }),
      middleware: { publish: options.middleware?.publish ?? [], handle: options.middleware?.handle ?? [] },
    },
    hub,
    COMPONENT,
  );
  const commands = new RequestBusImpl(
    'command',
    {
      ...shared,
      ...(options.commands === undefined ? {} : { definitions: options.commands }),
      middleware: options.middleware?.send ?? [],
    },
    hub,
    COMPONENT,
  );
  const queries = new RequestBusImpl(
    'query',
    {
      ...shared,
      ...(options.queries === undefined ? {} : { definitions: options.queries }),
      middleware: options.middleware?.query ?? [],
    },
    hub,
    COMPONENT,
  );
  const closeTimeoutMs = positiveOption(
    COMPONENT,
    'closeTimeoutMs',
    options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    true,
  );
  let closing: Promise<void> | undefined;
  const close = (closeOptions?: CloseOptions): Promise<void> => {
    try {
      closeOptionsOf('close', closeOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    commands.stopAccepting();
    queries.stopAccepting();
    return (closing ??= closeWithin(
      {
        what: 'the app',
        clock: options.clock ?? systemClock,
        defaultTimeoutMs: closeTimeoutMs,
        setting: 'closeTimeoutMs',
        drain: async () => {
          // A command already running (its append done, say) must still be able to publish what it
          // recorded: the event bus closes only after the running handlers finished.
          await Promise.all([commands.drain(), queries.drain()]);
          events.beginClose();
          await events.drain();
        },
        unfinished: () => [...commands.unfinished(), ...queries.unfinished(), ...events.unfinished()],
        release: () => {
          events.beginClose();
          events.release();
        },
      },
      closeOptions,
    ));
  };
  const app = {
    events,
    commands,
    queries,
    publish: events.publish.bind(events),
    emit: events.emit.bind(events),
    subscribe: events.subscribe.bind(events),
    send: commands.send.bind(commands),
    query: queries.send.bind(queries),
    close,
    [Symbol.asyncDispose]: () => close(),
  };
  return app;
}
