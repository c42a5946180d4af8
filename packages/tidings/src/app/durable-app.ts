import { ValidationError } from '../errors.js';
import type { HandlerContext, PublishOptions } from '../bus/handler-context.js';
import type { AnyDefinition } from '../messages/define.js';
import type { Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import { categoryOf, compilePattern } from '../messages/names.js';
import { validateAsync } from '../messages/standard-schema.js';
import { defineProcessor } from '../processing/define-processor.js';
import type {
  Processor,
  EffectMode,
  ParkedEventOperations,
  ProcessorContext,
  ProcessorRunner,
  ProcessorRunnerOptions,
  ProcessorSpec,
  ProcessorStatus,
} from '../processing/processor-types.js';
import { createProcessorRunner } from '../processing/runner.js';
import { ProcessorNotRunningError, UnknownParkedEventError, UnknownProcessorError } from '../processing/errors.js';
import type { Projection } from '../projections/define-projection.js';
import { rebuildProjection, type RebuildOptions, type RebuildResult } from '../projections/rebuild-projection.js';
import { assertKnownKeys } from '../reliability/options.js';
import type { Decider } from '../sourcing/decider.js';
import { handleCommand, type HandleCommandOptions, type HandleCommandResult } from '../sourcing/handle-command.js';
import type { EventStore, EventToAppend, RecordedEvent, StoreTransaction } from '../store/types.js';
import { AppStateError, NoStreamRuleError } from './app-errors.js';

/** Settings of the processor runner the app starts (see `createProcessorRunner`). */
export type AppRunnerOptions = Omit<ProcessorRunnerOptions, 'processors' | 'clock'>;

/** Durable subscription settings (with a store): the processor behind `app.subscribe`. */
export type DurableSubscribeOptions = Pick<
  ProcessorSpec,
  'concurrency' | 'batch' | 'onFailure' | 'retry' | 'startFrom'
> & {
  /**
   * Where the handler's effects live (default `'external'`, at least once). `'transactional'` or
   * `'inbox'`: the handler writes through `ctx.tx`, exactly once (see `EffectMode`).
   */
  readonly effects?: EffectMode;
};

/** The durable subscription handler's context: the bus's context plus the processor's. */
export type DurableHandlerContext = HandlerContext &
  ProcessorContext & {
    /** With `effects: 'transactional'` or `'inbox'`: the transaction to write the effects through. */
    readonly tx?: StoreTransaction;
  };

type Sender = (message: Message, metadata: Metadata) => Promise<unknown>;

interface Registered {
  readonly processor: Processor;
  readonly name: string;
}

/** Options of `app.commandHandler`. */
export interface CommandHandlerOptions<S, C extends Message, R> extends Omit<
  HandleCommandOptions<S>,
  'commandId' | 'metadata' | 'clock'
> {
  /** The stream of the command's entity: a function of the command. */
  readonly streamId: (command: C) => string;
  /** What the command returns to `send` (default nothing). */
  readonly returns?: (result: HandleCommandResult<S, Message>) => R;
}

const SUBSCRIBE_KEYS = ['name', 'concurrency', 'batch', 'onFailure', 'retry', 'startFrom', 'effects'] as const;

/**
 * The store half of the app facade: publish appends to the event's stream (inline projections in
 * its transaction), subscriptions are processors run by a runner, projections are kept and rebuilt.
 */
export class DurableApp {
  readonly #store: EventStore;
  readonly #definitions: Map<string, AnyDefinition> | undefined;
  readonly #inline: Projection[];
  readonly #async: Projection[];
  readonly #subscribers: Registered[] = [];
  readonly #extra: Processor[];
  readonly #runnerOptions: AppRunnerOptions;
  readonly #clock: ProcessorRunnerOptions['clock'];
  #runners = new Map<string, ProcessorRunner>();
  #started = false;
  #send: Sender | undefined;
  #query: Sender | undefined;

  constructor(options: {
    store: EventStore;
    events: readonly AnyDefinition[] | undefined;
    projections: readonly Projection[];
    processors: readonly Processor[];
    runner: AppRunnerOptions | undefined;
    clock: ProcessorRunnerOptions['clock'];
  }) {
    this.#store = options.store;
    this.#definitions =
      options.events === undefined ? undefined : new Map(options.events.map((d) => [d.type, d] as const));
    this.#inline = options.projections.filter((p) => p.mode === 'inline');
    this.#async = options.projections.filter((p) => p.mode === 'async');
    this.#extra = [...options.processors];
    this.#runnerOptions = options.runner ?? {};
    this.#clock = options.clock;
    const names = new Set<string>();
    for (const p of [...options.projections.map((x) => x.processor), ...this.#extra]) this.#claimName(p.name, names);
  }

  get store(): EventStore {
    return this.#store;
  }

  /** Connects `ctx.send` / `ctx.query` of durable handlers to the request buses (set by createTidings). */
  connect(send: Sender, query: Sender): void {
    this.#send = send;
    this.#query = query;
  }

  #claimName(name: string, names = new Set([...this.#allProcessors().map((p) => p.name)])): void {
    if (names.has(name)) {
      throw new ValidationError(
        `createTidings: two processors, projections or subscriptions are named '${name}'. Names key checkpoints and leases: give each a unique, stable name.`,
        [{ path: ['name'], message: 'duplicate name' }],
        { code: 'DUPLICATE_PROCESSOR' },
      );
    }
    names.add(name);
  }

  #allProcessors(): Processor[] {
    return [...this.#async.map((p) => p.processor), ...this.#extra, ...this.#subscribers.map((s) => s.processor)];
  }

  /**
   * Names of the processors (async projections, processors, sagas, subscriptions) that would
   * receive an event of `type` appended to `streamId`: an event nobody receives is refused by
   * `app.schedule`. Inline projections are not receivers: a fired timer's append bypasses publish.
   */
  receiversOf(type: string, streamId: string): string[] {
    const category = categoryOf(streamId);
    return this.#allProcessors()
      .filter(
        ({ filter }) =>
          filter === undefined ||
          ((filter.types === undefined || filter.types.includes(type)) &&
            (filter.categories === undefined || filter.categories.includes(category))),
      )
      .map((p) => p.name);
  }

  // ---- publish --------------------------------------------------------------------------------

  async publish(message: Message, options: PublishOptions | undefined, inherited?: Metadata): Promise<void> {
    assertKnownKeys('publish', options, ['streamId', 'id', 'occurredAt']);
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
      throw new ValidationError(
        'publish: expected a message { type, data, metadata? } (made by an event definition).',
        [],
        {
          code: 'INVALID_MESSAGE',
        },
      );
    }
    const definition = this.#definitions?.get(message.type);
    if (this.#definitions !== undefined && definition === undefined) {
      throw new ValidationError(
        `Unknown event type '${message.type}': the app was created with event definitions and '${message.type}' is not one of them. Add its defineEvent(...) to createTidings({ events }).`,
        [{ path: ['type'], message: 'undeclared event type' }],
        { code: 'UNKNOWN_TYPE' },
      );
    }
    const data: unknown =
      definition?.schema === undefined
        ? message.data
        : await validateAsync(definition.schema, message.type, message.data, 'publish');
    const streamId = options?.streamId ?? definition?.stream?.(message);
    if (streamId === undefined) throw new NoStreamRuleError(message.type);
    if (typeof streamId !== 'string' || streamId.length === 0) {
      throw new ValidationError(
        `publish '${message.type}': the stream rule returned ${JSON.stringify(streamId)}; expected a non-empty stream id such as 'order-42'.`,
        [{ path: ['streamId'], message: 'not a stream id' }],
        { code: 'INVALID_STREAM_ID' },
      );
    }
    const metadata = inherited === undefined ? message.metadata : { ...inherited, ...message.metadata };
    const event: EventToAppend = {
      type: message.type,
      data,
      ...(metadata === undefined ? {} : { metadata }),
      ...(options?.id === undefined ? {} : { id: options.id }),
    };
    const inline = this.#inline.filter((p) => p.selects({ type: event.type, streamId }));
    if (inline.length === 0) {
      await this.#store.append(streamId, [event]);
      return;
    }
    await this.#store.transaction(async (tx) => {
      const result = await tx.append(streamId, [event]);
      await this.#applyInline(tx, await readBack(tx, streamId, result.nextVersion, 1));
    });
  }

  async #applyInline(tx: StoreTransaction, events: readonly RecordedEvent[]): Promise<void> {
    for (const projection of this.#inline) await projection.apply(events, tx);
  }

  // ---- commands -------------------------------------------------------------------------------

  commandHandler<S, C extends Message, E extends Message, R>(
    decider: Decider<S, C, E>,
    options: CommandHandlerOptions<S, C, R>,
  ): (command: C & { readonly id?: string; readonly metadata?: Metadata }) => Promise<R> {
    if (typeof options !== 'object' || options === null || typeof options.streamId !== 'function') {
      throw new ValidationError('commandHandler: expected options { streamId: (command) => string, ... }.', [], {
        code: 'INVALID_OPTIONS',
      });
    }
    const { streamId, returns, ...handleOptions } = options;
    return async (command) => {
      const stream = streamId(command);
      const metadata: Metadata = {
        ...(command.id === undefined
          ? {}
          : { correlationId: command.metadata?.correlationId ?? command.id, causationId: command.id }),
      };
      const run = (target: EventStore | StoreTransaction): Promise<HandleCommandResult<S, E>> =>
        handleCommand(target, stream, decider, command, {
          ...handleOptions,
          ...(command.id === undefined ? {} : { commandId: command.id }),
          metadata,
          ...(this.#clock === undefined ? {} : { clock: this.#clock }),
        });
      let result: HandleCommandResult<S, E>;
      if (this.#inline.length === 0) {
        result = await run(this.#store);
      } else {
        result = await this.#store.transaction(async (tx) => {
          const r = await run(tx);
          if (!r.duplicate) await this.#applyInline(tx, r.newEvents);
          return r;
        });
      }
      return (returns === undefined ? undefined : returns(result)) as R;
    };
  }

  // ---- subscriptions --------------------------------------------------------------------------

  subscribe(
    pattern: unknown,
    handler: (event: RecordedEvent, ctx: DurableHandlerContext) => unknown,
    options: (DurableSubscribeOptions & { readonly name?: string }) | undefined,
  ): { name: string; unsubscribe(): void } {
    if (this.#started) {
      throw new AppStateError(
        'app.subscribe: with a store, subscriptions are durable processors and must be added before app.start(). Subscribe first, then start.',
      );
    }
    assertKnownKeys('app.subscribe (durable, with a store)', options, SUBSCRIBE_KEYS);
    const name = options?.name;
    if (typeof name !== 'string' || name.length === 0) {
      throw new ValidationError(
        `app.subscribe(${JSON.stringify(pattern)}): with a store a subscription is a durable processor and needs a stable name (its checkpoint is kept under it): app.subscribe(pattern, handler, { name: 'send-receipts' }).`,
        [{ path: ['name'], message: 'missing name' }],
        { code: 'NAME_REQUIRED' },
      );
    }
    this.#claimName(name);
    const filter = this.#filterFor(pattern);
    const { name: _name, ...spec } = options ?? {};
    const processor = defineProcessor({
      name,
      ...(filter === undefined ? {} : { filter }),
      ...spec,
      handle: (event: RecordedEvent, ctx: ProcessorContext) => handler(event, this.#context(event, ctx)),
    });
    const entry: Registered = { processor, name };
    this.#subscribers.push(entry);
    return {
      name,
      unsubscribe: () => {
        if (this.#started) throw new AppStateError(`Cannot unsubscribe '${name}' while the app runs: stop() it first.`);
        const i = this.#subscribers.indexOf(entry);
        if (i !== -1) this.#subscribers.splice(i, 1);
      },
    };
  }

  #filterFor(pattern: unknown): { types?: string[]; categories?: string[] } | undefined {
    if (
      typeof pattern === 'object' &&
      pattern !== null &&
      typeof (pattern as { category?: unknown }).category === 'string'
    ) {
      return { categories: [(pattern as { category: string }).category] };
    }
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new ValidationError(
        `app.subscribe: expected a pattern ('order.*', '*.paid', '**') or { category }, got ${JSON.stringify(pattern)}.`,
        [{ path: ['pattern'], message: 'invalid pattern' }],
        { code: 'INVALID_PATTERN' },
      );
    }
    if (pattern === '**') return undefined;
    const wildcard = pattern.includes('*');
    if (!wildcard) return { types: [pattern] };
    if (this.#definitions === undefined) {
      throw new ValidationError(
        `app.subscribe('${pattern}'): a durable subscription filters the store by exact types, so a pattern needs the app's event definitions (createTidings({ events })) to expand it. Give the events, or subscribe to exact types or '**'.`,
        [{ path: ['pattern'], message: 'pattern without definitions' }],
        { code: 'INVALID_PATTERN' },
      );
    }
    const matches = compilePattern(pattern);
    const types = [...this.#definitions.keys()].filter(matches);
    if (types.length === 0) {
      throw new ValidationError(
        `app.subscribe('${pattern}'): no declared event type matches it.`,
        [{ path: ['pattern'], message: 'matches nothing' }],
        { code: 'INVALID_PATTERN' },
      );
    }
    return { types };
  }

  #context(event: RecordedEvent, ctx: ProcessorContext): DurableHandlerContext {
    const inherited: Metadata = {
      correlationId: event.metadata.correlationId ?? event.id,
      causationId: event.id,
    };
    const send = this.#send;
    const ask = this.#query;
    const notHere = (what: string) => () => {
      throw new AppStateError(
        `ctx.${what}() is not available in a durable handler: use ctx.publish (it appends to the store).`,
      );
    };
    return {
      ...ctx,
      kind: 'handle',
      message: event,
      handler: ctx.processor,
      publish: (message: Message, options?: PublishOptions) => this.publish(message, options, inherited),
      emit: notHere('emit'),
      send: (command: Message) => (send === undefined ? Promise.reject(notHere('send')()) : send(command, inherited)),
      query: (query: Message) => (ask === undefined ? Promise.reject(notHere('query')()) : ask(query, inherited)),
    } as unknown as DurableHandlerContext;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#started) throw new AppStateError('app.start(): the app is already started.');
    this.#started = true;
    const base = { ...this.#runnerOptions, ...(this.#clock === undefined ? {} : { clock: this.#clock }) };
    const groups = new Map<string, Processor[]>();
    for (const p of this.#async) groups.set(`projection:${p.name}`, [p.processor]);
    const rest = [...this.#extra, ...this.#subscribers.map((s) => s.processor)];
    if (rest.length > 0) groups.set('processors', rest);
    try {
      for (const [key, processors] of groups) {
        const runner = createProcessorRunner(this.#store, { ...base, processors });
        this.#runners.set(key, runner);
        await runner.start();
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const runners = [...this.#runners.values()];
    this.#runners = new Map();
    this.#started = false;
    const results = await Promise.allSettled(runners.map((r) => r.stop()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  get started(): boolean {
    return this.#started;
  }

  status(): ProcessorStatus[] {
    return [...this.#runners.values()].flatMap((r) => r.status());
  }

  async catchUp(timeoutMs?: number): Promise<void> {
    await Promise.all([...this.#runners.values()].map((r) => r.catchUp(timeoutMs === undefined ? {} : { timeoutMs })));
  }

  get runners(): readonly ProcessorRunner[] {
    return [...this.#runners.values()];
  }

  /** Parked events of the app's processors: list and inspect from the store, retry and skip through the runner that runs the processor. */
  readonly parked: ParkedEventOperations = {
    list: async (filter) => {
      const names = new Set(this.#allProcessors().map((p) => p.name));
      if (filter?.processor !== undefined && !names.has(filter.processor)) {
        throw new UnknownProcessorError(filter.processor, [...names]);
      }
      const entries = await this.#store.processing.listParked(filter);
      return entries.filter((e) => names.has(e.processor));
    },
    get: async (id) => {
      const entry = await this.#store.processing.getParked(id);
      if (entry === undefined || !this.#allProcessors().some((p) => p.name === entry.processor)) {
        throw new UnknownParkedEventError(id);
      }
      return entry;
    },
    retry: async (id) => this.#runnerOf((await this.parked.get(id)).processor).parked.retry(id),
    skip: async (id) => this.#runnerOf((await this.parked.get(id)).processor).parked.skip(id),
    retryAll: async (filter) => {
      const out = [];
      for (const entry of await this.parked.list(filter)) out.push(await this.parked.retry(entry.id));
      return out;
    },
  };

  #runnerOf(processor: string): ProcessorRunner {
    for (const runner of this.#runners.values()) {
      if (runner.status().some((s) => s.processor === processor)) return runner;
    }
    throw new ProcessorNotRunningError(processor, 'stopped');
  }

  async rebuild(name: string, options?: RebuildOptions): Promise<RebuildResult> {
    const projection = [...this.#async, ...this.#inline].find((p) => p.name === name);
    if (projection === undefined) {
      throw new ValidationError(
        `app.rebuild('${name}'): no projection of this app is named '${name}'. Known: ${[...this.#async, ...this.#inline].map((p) => `'${p.name}'`).join(', ') || '(none)'}.`,
        [{ path: ['name'], message: 'unknown projection' }],
        { code: 'UNKNOWN_PROJECTION' },
      );
    }
    const key = `projection:${name}`;
    const runner = this.#runners.get(key);
    if (runner !== undefined) await runner.stop();
    try {
      return await rebuildProjection(this.#store, projection, {
        ...options,
        ...(this.#clock === undefined ? {} : { clock: this.#clock }),
      });
    } finally {
      if (runner !== undefined && this.#runners.get(key) === runner) {
        const fresh = createProcessorRunner(this.#store, {
          ...this.#runnerOptions,
          ...(this.#clock === undefined ? {} : { clock: this.#clock }),
          processors: [projection.processor],
        });
        this.#runners.set(key, fresh);
        await fresh.start();
      }
    }
  }
}

async function readBack(
  tx: StoreTransaction,
  streamId: string,
  nextVersion: bigint,
  count: number,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of tx.readStream(streamId, { from: nextVersion - BigInt(count) + 1n })) events.push(e);
  return events;
}
