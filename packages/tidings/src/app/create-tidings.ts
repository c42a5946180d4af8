import type { AnyDefinition, EventMapOf, RequestMapOf } from '../messages/define.js';
import type { IdGenerator } from '../messages/ids.js';
import type { Clock } from '../time/clock.js';
import { EventBusImpl } from '../bus/event-bus.js';
import type { EventBus, HandlerFailure } from '../bus/event-bus-types.js';
import type { HandlerContext, Hub } from '../bus/handler-context.js';
import type { Middleware } from '../bus/middleware.js';
import { RequestBusImpl, type CommandBus, type QueryBus } from '../bus/request-bus.js';
import { closeOptionsOf, closeWithin, DEFAULT_CLOSE_TIMEOUT_MS, type CloseOptions } from '../bus/drain.js';
import {
  assertKnownKeys,
  functionListOption,
  integerOption,
  invalidOption,
  optionsObject,
  positiveOption,
  type OptionKeys,
} from '../reliability/options.js';
import { definitionsOption } from '../bus/bus-options.js';
import { systemClock } from '../time/clock.js';

import type { EventHandler, SubscribeOptions, Subscription } from '../bus/event-bus-types.js';
import type { AnyRequestMap } from '../bus/handler-context.js';
import type { CheckedPattern, MatchingTypes } from '../bus/pattern-types.js';
import type { Envelope, EnvelopeOf, EventMap } from '../messages/message.js';
import type { Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import type { ParkedEventOperations, Processor, ProcessorStatus } from '../processing/processor-types.js';
import type { Projection } from '../projections/define-projection.js';
import type { RebuildOptions, RebuildResult } from '../projections/rebuild-projection.js';
import type { Decider } from '../sourcing/decider.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import { AppStateError, NoStoreError } from './app-errors.js';
import { TidingsError } from '../errors.js';
import type { Workflow, WorkflowOperations } from '../workflows/workflow-types.js';
import { workflowWiring, workflowsWithoutStore } from './workflow-wiring.js';
import { uuidv7 } from '../messages/ids.js';
import type { Saga } from '../sagas/saga-types.js';
import { checkSagasOption, noSagas, wireSagas, type AppSagas } from './saga-wiring.js';
import {
  checkTimersOption,
  TimerWiring,
  type AppScheduleOptions,
  type AppTimerOptions,
  type AppTimers,
} from './timer-wiring.js';
import {
  DurableApp,
  type AppRunnerOptions,
  type CommandHandlerOptions,
  type DurableHandlerContext,
  type DurableSubscribeOptions,
} from './durable-app.js';

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
  /**
   * The event store. With it, `publish` validates and appends to the stream the event's type
   * declares, `subscribe` makes durable processors (a `name` is required) that receive events from
   * the store — never also directly —, and projections are kept. Without it the app is the
   * in-process bus. Moving from memory to SQLite to PostgreSQL changes this option only.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any store connection type
  readonly store?: EventStore<any>;
  /** Projections kept by the app (with a store): async ones run under `start()`, inline ones in publish's transaction. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- projections of any target and connection
  readonly projections?: readonly Projection<any, any>[];
  /** More processors run by `start()` (with a store). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- processors of any connection
  readonly processors?: readonly Processor<any>[];
  /** Settings of the processor runner (lease TTL, poll interval, stop timeout, onError, onParked…). */
  readonly runner?: AppRunnerOptions;
  /**
   * Process managers (from `defineSaga`), run by `start()` (with a store): each as a transactional
   * processor `saga:<name>` and an outbox processor `saga:<name>:outbox`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- sagas of any state
  readonly sagas?: readonly Saga<any>[];
  /** The durable timer poller that `start()` runs with a store (fires sagas' and `app.schedule`'s timers). */
  readonly timers?: AppTimerOptions;
  /**
   * Workflows (defineWorkflow) run by `start()` (with a store): each one's runner is the processor
   * `workflow:<name>`; start instances with `app.workflows.start`. Their retry timers are fired by
   * the app's timer poller.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- workflows of any input type
  readonly workflows?: readonly Workflow<any>[];
}

/** Options of {@link Tidings.catchUp}. */
export interface AppCatchUpOptions {
  /** Bound of each catch-up round, ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** Catch up again while the head moved during the round (default false). */
  readonly quiet?: boolean;
}

const MAX_QUIET_ROUNDS = 10_000;

async function catchUpApp(durable: DurableApp | undefined, options: AppCatchUpOptions | undefined): Promise<void> {
  const { timeoutMs, quiet } = optionsObject<AppCatchUpOptions>('app.catchUp', options, {
    timeoutMs: true,
    quiet: true,
  });
  if (quiet !== undefined && typeof quiet !== 'boolean') {
    throw invalidOption('app.catchUp', 'quiet', quiet, 'a boolean');
  }
  if (durable === undefined) return;
  if (quiet !== true) return durable.catchUp(timeoutMs);
  for (let round = 0; round < MAX_QUIET_ROUNDS; round++) {
    const before = await durable.store.headPosition();
    await durable.catchUp(timeoutMs);
    if ((await durable.store.headPosition()) === before) return;
  }
  throw new TidingsError(
    'CATCH_UP_NOT_QUIET',
    `app.catchUp({ quiet: true }): the processors kept appending for ${MAX_QUIET_ROUNDS} catch-up rounds. A processor that appends on every event it handles (a loop) never lets the store go quiet; catch up without 'quiet' or break the loop.`,
  );
}

/** Options of {@link Tidings.history}. */
export interface HistoryOptions {
  /** One event type or several. Default: every type. */
  readonly type?: string | readonly string[];
  /** The newest this many (returned oldest first). Integer 1..10 000; default 100. */
  readonly limit?: number;
}

/** Options of {@link Tidings.replay}: a range of positions (bigint) or of recording times (Date). */
export interface ReplayOptions {
  readonly types?: readonly string[];
  /** Inclusive start: a position or a time. Default the beginning. */
  readonly from?: bigint | Date;
  /** Inclusive end position, or exclusive end time. Default the head when called. */
  readonly to?: bigint | Date;
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
  store: true,
  projections: true,
  processors: true,
  runner: true,
  sagas: true,
  timers: true,
  workflows: true,
} satisfies OptionKeys<AnyTidingsOptions>;

const TIDINGS_MIDDLEWARE_KEYS = { publish: true, handle: true, send: true, query: true } satisfies OptionKeys<
  NonNullable<AnyTidingsOptions['middleware']>
>;

/** Keys and shapes of the app's own options; each bus checks the values it uses, under this name. */
function checkTidingsOptions(options: AnyTidingsOptions): void {
  optionsObject(COMPONENT, options, TIDINGS_KEYS);
  definitionsOption(COMPONENT, 'commands', options.commands);
  definitionsOption(COMPONENT, 'queries', options.queries);
  checkTimersOption(COMPONENT, options.timers);
  if (options.middleware !== undefined) {
    optionsObject(COMPONENT, options.middleware, TIDINGS_MIDDLEWARE_KEYS, 'options.middleware');
    for (const kind of ['publish', 'handle', 'send', 'query'] as const) {
      functionListOption(COMPONENT, `middleware.${kind}`, options.middleware[kind]);
    }
  }
}

type E<Ev extends readonly AnyDefinition[]> = EventMapOf<Ev>;

/** Options of the app's `subscribe`: the bus's, plus the processor settings used with a store. */
export type TidingsSubscribeOptions<Env = Envelope> = SubscribeOptions<Env> & DurableSubscribeOptions;

/** The app's `subscribe` (see {@link Tidings.subscribe}). */
export interface TidingsSubscribe<Em extends EventMap, C extends AnyRequestMap, Q extends AnyRequestMap> {
  <const P extends string>(
    pattern: P & CheckedPattern<Em, P>,
    handler: EventHandler<EnvelopeOf<Em, MatchingTypes<Em, P> & keyof Em & string>, HandlerContext<Em, C, Q>>,
    options?: TidingsSubscribeOptions<EnvelopeOf<Em>>,
  ): Subscription;
  (
    selector: { readonly category: string },
    handler: EventHandler<EnvelopeOf<Em>, HandlerContext<Em, C, Q>>,
    options?: TidingsSubscribeOptions<EnvelopeOf<Em>>,
  ): Subscription;
}

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
  /**
   * Subscribes. Without a store: the in-process bus's subscribe. With a store: a durable processor
   * (checkpointed, at least once, retried then parked) that must be added before `start()` and
   * needs a `name`; options also take `concurrency`, `batch`, `onFailure`, `retry`, `startFrom`.
   * Its handler's `ctx` is also the processor's context (`signal`, `attempt`, `delivery`…).
   */
  readonly subscribe: TidingsSubscribe<E<Ev>, R<Cm>, R<Qr>>;
  readonly send: CommandBus<R<Cm>>['send'];
  readonly query: QueryBus<R<Qr>>['send'];
  /** The store given to createTidings, if any. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any store connection type
  readonly store: EventStore<any> | undefined;
  /**
   * With a store: starts the durable subscriptions, async projections and processors (takes their
   * leases, catches up from their checkpoints, then runs live). Without one it does nothing.
   */
  start(): Promise<void>;
  /**
   * Graceful drain, bounded by `runner.stopTimeoutMs`: stops reading, lets in-flight handlers
   * finish, writes the checkpoints, releases the leases. `start()` again continues from there.
   */
  stop(): Promise<void>;
  /** Each running processor's state (empty without a store or before start). */
  status(): ProcessorStatus[];
  /**
   * Waits until every running processor reached the store's head as it was when called (for tests
   * and scripts); each wait bounded by `timeoutMs` (30 s, `TimeoutError`). With `quiet: true` it
   * catches up again while the head moved meanwhile, so work the processors themselves append — a
   * saga's sends delivered by its outbox, a workflow's next step — is handled too before it
   * resolves (at most 10,000 rounds, then `CATCH_UP_NOT_QUIET`). Timers fire when due, not here.
   * Unknown option keys are refused.
   */
  catchUp(options?: AppCatchUpOptions): Promise<void>;
  /** The newest events (of a type), oldest first. Needs a store. */
  history(options?: HistoryOptions): Promise<RecordedEvent[]>;
  /** Hands stored events in a range to `handler`, in order (awaited); resolves to how many. Needs a store. */
  replay(options: ReplayOptions, handler: (event: RecordedEvent) => unknown): Promise<number>;
  /**
   * A command handler bound to a decider and a stream: load, decide, append (inline projections in
   * the same transaction), with conflict retries and the command id as the dedupe key. Register it
   * with `app.commands.handle(type, …)`. Needs a store.
   */
  commandHandler<S, C extends Message, Ev2 extends Message, Res = void>(
    decider: Decider<S, C, Ev2>,
    options: CommandHandlerOptions<S, C, Res>,
  ): (command: C & { readonly id?: string; readonly metadata?: Metadata }) => Promise<Res>;
  /**
   * Parked events of the app's processors (subscriptions, projections): list, inspect, retry one or
   * all, skip. Retry and skip need the app started (they run through the processor's runner). Needs a store.
   */
  readonly parked: ParkedEventOperations;
  /**
   * Start workflow instances and read them back (`createTidings({ workflows })`). Needs a store.
   *
   * @example
   * await app.workflows.start(transfer, { transferId: 't-1', from: 'alice', to: 'bob', amount: 30_00 });
   * const { status, history } = (await app.workflows.get('transfer', 't-1'))!;
   */
  readonly workflows: WorkflowOperations;
  /** Rebuilds a projection into a shadow and swaps it in; its live processor pauses meanwhile. Needs a store. */
  rebuild(projection: string, options?: RebuildOptions): Promise<RebuildResult>;
  /** The app's sagas: `app.sagas.get(name, id)` reads an instance from its stream. */
  readonly sagas: AppSagas;
  /**
   * Schedules `event` as a durable timer outside sagas: when due (on the app clock) it is appended
   * to the stream its definition declares, with event id = timer id, exactly once. Its type must be
   * received by a saga, processor or subscription of the app (`TimerNotHandledError` otherwise). A
   * time in the past fires at once. Resolves to the timer id (for `cancel`). Needs a store.
   */
  schedule(event: Message, options: AppScheduleOptions): Promise<string>;
  /** Cancels a pending timer; resolves to whether it was pending. Needs a store. */
  cancel(timerId: string): Promise<boolean>;
  /** The timer poller that runs while the app is started (with a store). */
  readonly timers: AppTimers;
  /**
   * Stops the processors (as `stop()`; the store stays open, it is the caller's), stops accepting
   * messages, lets running command and query handlers finish (their publishes included), then
   * closes the event bus, which drains its queues. The whole wait is bounded by
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
  const store = options.store as EventStore | undefined;
  const sagas = checkSagasOption(options.sagas);
  if (
    store === undefined &&
    (options.projections !== undefined ||
      options.processors !== undefined ||
      options.sagas !== undefined ||
      options.timers !== undefined)
  ) {
    throw new NoStoreError('createTidings({ projections, processors, sagas, timers })');
  }
  const appClock = options.clock ?? systemClock;
  let timerWiring: TimerWiring | undefined;
  const workflows = workflowWiring({
    workflows: options.workflows,
    store,
    clock: appClock,
    send: (command, id, metadata) =>
      commands.send({ ...command, metadata: { ...metadata, ...command.metadata } }, { id }),
    onTimerScheduled: () => timerWiring?.wake(),
  });
  const sagaWiring =
    store === undefined
      ? undefined
      : wireSagas(sagas, {
          store,
          clock: appClock,
          hasHandler: (type) => commands.has(type),
          send: (command, id) => commands.send(command, { id }),
          onScheduled: () => timerWiring?.wake(),
        });
  const durable =
    store === undefined
      ? undefined
      : new DurableApp({
          store,
          events: options.events,
          projections: options.projections ?? [],
          processors: [
            ...(options.processors ?? []),
            ...(sagaWiring?.processors ?? []),
            ...(workflows?.processors ?? []),
          ],
          runner: options.runner,
          clock: options.clock,
        });
  if (store !== undefined && durable !== undefined) {
    timerWiring = new TimerWiring({
      store,
      clock: appClock,
      timers: options.timers,
      events: options.events,
      nextId: options.nextId ?? uuidv7,
      receiversOf: (type, streamId) => durable.receiversOf(type, streamId),
    });
  }
  const startDurable = async (): Promise<void> => {
    if (durable === undefined) return;
    sagaWiring?.checkSends();
    await durable.start();
    timerWiring?.start();
  };
  const stopDurable = async (): Promise<void> => {
    const results = await Promise.allSettled([timerWiring?.stop(), durable?.stop()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  };
  const needTimers = (operation: string): TimerWiring => {
    if (timerWiring === undefined) throw new NoStoreError(operation);
    return timerWiring;
  };
  if (durable !== undefined) {
    const withParent = (message: Message, metadata: Metadata): Message => ({
      ...message,
      metadata: { ...metadata, ...message.metadata },
    });
    durable.connect(
      (command, metadata) => commands.send(withParent(command, metadata)),
      (query, metadata) => queries.send(withParent(query, metadata)),
    );
    // ctx.publish in command and query handlers appends to the store too, with causation carried.
    hub.events = {
      publishFrom: (event, publishOptions, parent) =>
        durable.publish(event, publishOptions, {
          correlationId: parent.metadata.correlationId ?? parent.id,
          causationId: parent.id,
        }),
      emitFrom: () => {
        throw emitRefused();
      },
    };
  }
  const needStore = (operation: string): DurableApp => {
    if (durable === undefined) throw new NoStoreError(operation);
    return durable;
  };
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
    const stopProcessors = durable === undefined ? undefined : stopDurable();
    const closeBuses = (): Promise<void> =>
      closeWithin(
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
      );
    // The processors drain first (their handlers may still publish); then the buses close.
    return (closing ??= stopProcessors === undefined ? closeBuses() : stopProcessors.then(closeBuses, closeBuses));
  };
  const durableSubscribe = (
    pattern: unknown,
    handler: (event: RecordedEvent, ctx: DurableHandlerContext) => unknown,
    subscribeOptions?: DurableSubscribeOptions & { readonly name?: string },
  ): Subscription => {
    const registered = needStore('subscribe').subscribe(pattern, handler, subscribeOptions);
    let active = true;
    const unsubscribe = (): void => {
      if (!active) return;
      registered.unsubscribe();
      active = false;
    };
    return {
      name: registered.name,
      get active() {
        return active;
      },
      unsubscribe,
      stats: () => ({ name: registered.name, mode: 'queued', active, queue: undefined }),
      idle: () => (durable?.started === true ? durable.catchUp() : Promise.resolve()),
      [Symbol.dispose]: unsubscribe,
    };
  };
  const app = {
    events,
    commands,
    queries,
    store: options.store,
    publish:
      durable === undefined
        ? events.publish.bind(events)
        : (event: Message, publishOptions?: Parameters<typeof events.publish>[1]) =>
            durable.publish(event, publishOptions),
    emit:
      durable === undefined
        ? events.emit.bind(events)
        : () => {
            throw emitRefused();
          },
    subscribe: durable === undefined ? events.subscribe.bind(events) : durableSubscribe,
    send: commands.send.bind(commands),
    query: queries.send.bind(queries),
    start: startDurable,
    stop: stopDurable,
    status: () => durable?.status() ?? [],
    catchUp: (catchUpOptions?: AppCatchUpOptions) => catchUpApp(durable, catchUpOptions),
    history: async (historyOptions?: HistoryOptions) => history(needStore('history()').store, historyOptions),
    replay: async (replayOptions: ReplayOptions, handler: (event: RecordedEvent) => unknown) =>
      replay(needStore('replay()').store, replayOptions, handler),
    commandHandler: <S, C extends Message, Ev2 extends Message, Res>(
      decider: Decider<S, C, Ev2>,
      handlerOptions: CommandHandlerOptions<S, C, Res>,
    ) => needStore('commandHandler()').commandHandler(decider, handlerOptions),
    parked: durable?.parked ?? parkedWithoutStore(),
    rebuild: async (name: string, rebuildOptions?: RebuildOptions) =>
      needStore('rebuild()').rebuild(name, rebuildOptions),
    sagas: sagaWiring?.api ?? noSagas(),
    workflows: workflows?.operations ?? workflowsWithoutStore(),
    schedule: async (event: Message, scheduleOptions: AppScheduleOptions) =>
      needTimers('schedule()').schedule(event, scheduleOptions),
    cancel: async (id: string) => needTimers('cancel()').cancel(id),
    timers: timerWiring?.view ?? { wake: () => undefined, sleepingUntil: undefined, fired: 0, running: false },
    close,
    [Symbol.asyncDispose]: () => close(),
  };
  return app as unknown as Tidings<Ev, Cm, Qr>;
}

function emitRefused(): AppStateError {
  return new AppStateError(
    'emit() is synchronous and cannot append to the store: with createTidings({ store }) use `await app.publish(event)` (or ctx.publish in handlers).',
  );
}

async function history(store: EventStore, options: HistoryOptions = {}): Promise<RecordedEvent[]> {
  assertKnownKeys('history', options, ['type', 'limit']);
  const limit = integerOption('history', 'limit', options.limit ?? 100, 1);
  const types =
    options.type === undefined ? undefined : typeof options.type === 'string' ? [options.type] : [...options.type];
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll({
    direction: 'backward',
    limit: Math.min(limit, 10_000),
    ...(types === undefined ? {} : { filter: { types } }),
  })) {
    events.push(event);
  }
  return events.reverse();
}

async function replay(
  store: EventStore,
  options: ReplayOptions,
  handler: (event: RecordedEvent) => unknown,
): Promise<number> {
  assertKnownKeys('replay', options, ['types', 'from', 'to']);
  if (typeof handler !== 'function') throw new AppStateError('replay(options, handler): handler must be a function.');
  const filter = options.types === undefined ? undefined : { types: [...options.types] };
  let count = 0;
  if (options.from instanceof Date || options.to instanceof Date) {
    if (!(options.from instanceof Date) || !(options.to instanceof Date)) {
      throw new AppStateError(
        'replay: give both `from` and `to` as Dates for a time range, or both as positions (bigint).',
      );
    }
    for await (const event of store.readByTime({
      from: options.from,
      to: options.to,
      ...(filter === undefined ? {} : { filter }),
    })) {
      await handler(event);
      count++;
    }
    return count;
  }
  const to = options.to ?? (await store.headPosition());
  for await (const event of store.readAll({
    ...(options.from === undefined ? {} : { from: options.from }),
    ...(filter === undefined ? {} : { filter }),
  })) {
    if (event.position > to) break;
    await handler(event);
    count++;
  }
  return count;
}

function parkedWithoutStore(): ParkedEventOperations {
  const refuse = () => Promise.reject(new NoStoreError('parked'));
  return { list: refuse, get: refuse, retry: refuse, retryAll: refuse, skip: refuse };
}
