import { AbortedError, DuplicateHandlerError, HandlerNotFoundError, ValidationError } from '../errors.js';
import type { AnyDefinition, RequestMapOf } from '../messages/define.js';
import { LazyEnvelope } from '../messages/envelope.js';
import { uuidv7, type IdGenerator } from '../messages/ids.js';
import type { Envelope, Message, RequestMap } from '../messages/message.js';
import { assertMessageType } from '../messages/names.js';
import { assertSerializable } from '../messages/serializable.js';
import { validateAsync, type StandardSchemaV1 } from '../messages/standard-schema.js';
import { systemClock, type Clock } from '../time/clock.js';
import { integerOption, optionsObject, positiveOption } from '../reliability/options.js';
import {
  checkHandleOptions,
  checkRequestBusOptions,
  checkRequestOptions,
  COMMAND_BUS_KEYS,
  QUERY_BUS_KEYS,
} from './bus-options.js';
import { countDescendant, DEFAULT_MAX_DESCENDANTS } from './fan-out-budget.js';
import { BusClosedError, CausationDepthError, type UnfinishedWork } from './bus-errors.js';
import { closeOptionsOf, closeWithin, DEFAULT_CLOSE_TIMEOUT_MS, mergeUnfinished, type CloseOptions } from './drain.js';
import {
  DispatchContext,
  type AnyRequestMap,
  type HandlerContext,
  type Hub,
  type RequestOptions,
} from './handler-context.js';
import { compose, type Middleware } from './middleware.js';

type Kind = 'command' | 'query';

/** The one handler of a command or query type. Its return value is the caller's result. */
export type RequestHandler<D = unknown, R = unknown, Ctx = HandlerContext, T extends string = string> = (
  message: Envelope<T, D>,
  ctx: Ctx,
) => R | Promise<R>;

export interface RequestBusOptions {
  /** Definitions: their schemas validate data at send; with any given, undeclared types are refused. */
  readonly definitions?: readonly AnyDefinition[];
  readonly clock?: Clock;
  readonly nextId?: IdGenerator;
  /** Wraps every send (or query), outermost first. */
  readonly middleware?: readonly Middleware[];
  readonly maxCausationDepth?: number;
  /**
   * Most messages one root message may cause through handler contexts, every generation
   * counted, before `FanOutLimitError`. Integer >= 1 or `Infinity`; default 10 000.
   */
  readonly maxDescendants?: number;
  /**
   * How long `close()` waits for running handlers before it gives up on them with
   * `CloseIncompleteError`, ms on the bus's clock; `Infinity` waits as long as they take.
   * Default 10 000.
   */
  readonly closeTimeoutMs?: number;
}

export interface HandleOptions {
  readonly name?: string;
  /** Wraps this handler, inside the bus's own middleware. */
  readonly middleware?: readonly Middleware[];
}

/** A registered handler; dispose it to unregister. */
export interface Registration extends Disposable {
  readonly type: string;
  unregister(): void;
}

/**
 * A command or query bus: exactly one handler per type, the handler's result returned to the caller.
 *
 * @example
 * const commands = createCommandBus({ commands: [PayOrder] });
 * commands.handle('order.pay', async (cmd) => ({ paid: cmd.data.orderId }));
 * const result = await commands.send(PayOrder({ orderId: 'o-1' }));
 */
export interface RequestBus<M extends RequestMap = AnyRequestMap, Ctx = HandlerContext> {
  /** Registers the handler of `type`. Throws `DuplicateHandlerError` if one exists. */
  handle<T extends keyof M & string>(
    type: T,
    handler: RequestHandler<M[T]['data'], M[T]['result'], Ctx, NoInfer<T>>,
    options?: HandleOptions,
  ): Registration;
  /** Runs the handler of the message's type and returns its result. Throws `HandlerNotFoundError` if none. */
  send<T extends keyof M & string>(
    message: Message<T, M[T]['data']>,
    options?: RequestOptions,
  ): Promise<M[T]['result']>;
  /** True when a handler is registered for the type. */
  has(type: string): boolean;
  /**
   * Refuses new sends at once (`BusClosedError`), then waits for the handlers already running.
   * The wait is bounded: after `timeoutMs` (default `closeTimeoutMs`, 10 s) or when `signal`
   * aborts, it rejects with `CloseIncompleteError` naming the handlers still running.
   */
  close(options?: CloseOptions): Promise<void>;
}

export type CommandBus<M extends RequestMap = AnyRequestMap, Ctx = HandlerContext> = RequestBus<M, Ctx>;
export type QueryBus<M extends RequestMap = AnyRequestMap, Ctx = HandlerContext> = RequestBus<M, Ctx>;

interface Entry {
  readonly name: string;
  readonly run: (ctx: DispatchContext) => unknown;
}

/** @internal */
export class RequestBusImpl implements RequestBus {
  readonly clock: Clock;
  readonly nextId: IdGenerator;
  readonly #kind: Kind;
  readonly #hub: Hub;
  readonly #schemas: Map<string, StandardSchemaV1 | undefined> | undefined;
  readonly #middleware: readonly Middleware[];
  readonly #maxDepth: number;
  readonly #maxDescendants: number;
  readonly #handlers = new Map<string, Entry>();
  /** Handlers running now (with their message type), so close() can let them finish. */
  readonly #running = new Map<Promise<unknown>, string>();
  readonly #closeTimeoutMs: number;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(kind: Kind, options: RequestBusOptions = {}, hub: Hub = {}, component?: string) {
    const name = component ?? (kind === 'command' ? 'createCommandBus' : 'createQueryBus');
    checkRequestBusOptions(name, options);
    this.#kind = kind;
    this.clock = options.clock ?? systemClock;
    this.nextId = options.nextId ?? uuidv7;
    this.#hub = hub;
    if (kind === 'command') hub.commands = this;
    else hub.queries = this;
    this.#middleware = options.middleware ?? [];
    this.#maxDepth = integerOption(name, 'maxCausationDepth', options.maxCausationDepth ?? 32, 1);
    this.#maxDescendants = integerOption(
      name,
      'maxDescendants',
      options.maxDescendants ?? DEFAULT_MAX_DESCENDANTS,
      1,
      true,
    );
    this.#closeTimeoutMs = positiveOption(
      name,
      'closeTimeoutMs',
      options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      true,
    );
    if (options.definitions !== undefined) {
      this.#schemas = new Map();
      for (const def of options.definitions) {
        if (def.kind !== kind) {
          throw new ValidationError(
            `A ${kind} bus got the ${def.kind} definition '${def.type}': pass define${kind === 'command' ? 'Command' : 'Query'}(...) definitions only.`,
            [{ path: ['definitions'], message: `not a ${kind} definition` }],
          );
        }
        if (this.#schemas.has(def.type)) {
          throw new ValidationError(
            `A ${kind} bus got '${def.type}' twice: each ${kind} type is defined once. Remove the duplicate definition.`,
            [{ path: ['definitions'], message: `duplicate ${kind} type` }],
            { code: 'DUPLICATE_DEFINITION' },
          );
        }
        this.#schemas.set(def.type, def.schema);
      }
    }
  }

  handle(
    type: string,
    handler: RequestHandler<never, unknown, never, never>,
    options: HandleOptions = {},
  ): Registration {
    checkHandleOptions(options);
    assertMessageType(type, `${this.#kind} type`);
    if (typeof handler !== 'function') {
      throw new ValidationError(`handle('${type}') expects a handler function, got ${typeof handler}.`, [
        { path: ['handler'], message: 'not a function' },
      ]);
    }
    if (this.#schemas !== undefined && !this.#schemas.has(type)) throw this.#unknown(type);
    if (this.#handlers.has(type)) throw new DuplicateHandlerError(this.#kind, type);
    const call = handler as unknown as (message: Envelope, ctx: DispatchContext) => unknown;
    const entry: Entry = {
      name: options.name ?? type,
      run: compose([...this.#middleware, ...(options.middleware ?? [])], (ctx: DispatchContext) =>
        call(ctx.message, ctx),
      ),
    };
    this.#handlers.set(type, entry);
    const unregister = (): void => {
      if (this.#handlers.get(type) === entry) this.#handlers.delete(type);
    };
    return { type, unregister, [Symbol.dispose]: unregister };
  }

  has(type: string): boolean {
    return this.#handlers.has(type);
  }

  send(message: Message, options?: RequestOptions): Promise<never> {
    return this.sendFrom(message, options, undefined) as Promise<never>;
  }

  sendFrom(message: Message, options: RequestOptions | undefined, parent: LazyEnvelope | undefined): Promise<unknown> {
    if (this.#closed) {
      const type = typeof message === 'object' && message !== null ? message.type : String(message);
      return Promise.reject(new BusClosedError(`send '${type}'`));
    }
    // Tracked from acceptance (validation awaits too), so close() can let it finish.
    const run = this.#accept(message, options, parent);
    const settled: Promise<unknown> = run.then(
      () => this.#running.delete(settled),
      () => this.#running.delete(settled),
    );
    this.#running.set(
      settled,
      typeof message === 'object' && message !== null ? String(message.type) : String(message),
    );
    return run;
  }

  async #accept(
    message: Message,
    options: RequestOptions | undefined,
    parent: LazyEnvelope | undefined,
  ): Promise<unknown> {
    if (typeof message !== 'object' || message === null) {
      throw new ValidationError(
        `Expected a ${this.#kind} object { type, data, metadata? }, got ${message === null ? 'null' : typeof message}.`,
        [{ path: [], message: 'not an object' }],
      );
    }
    if (options !== undefined) checkRequestOptions(this.#kind === 'command' ? 'send' : 'query', options);
    assertMessageType(message.type, `${this.#kind} type`);
    if (this.#schemas !== undefined) {
      if (!this.#schemas.has(message.type)) throw this.#unknown(message.type);
      const schema = this.#schemas.get(message.type);
      if (schema !== undefined)
        await validateAsync(schema, message.type, message.data, this.#kind === 'command' ? 'send' : 'query');
      else assertSerializable(message.data, message.type);
    } else {
      assertSerializable(message.data, message.type);
    }
    const signal = options?.signal;
    if (signal?.aborted) throw new AbortedError(`${this.#kind} '${message.type}' (not sent)`, signal.reason);
    const entry = this.#handlers.get(message.type);
    if (entry === undefined) throw new HandlerNotFoundError(this.#kind, message.type);
    const id = options?.id;
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 200)) {
      throw new ValidationError(
        `Invalid ${this.#kind} id ${JSON.stringify(id)}: expected a non-empty string of at most 200 characters (a UUID is ideal), the same for every retry of one ${this.#kind}.`,
        [{ path: ['id'], message: 'invalid id' }],
        { code: 'INVALID_ID' },
      );
    }
    const envelope =
      id === undefined
        ? new LazyEnvelope(this, message, undefined, parent)
        : new LazyEnvelope(this, message, undefined, parent, { id });
    if (parent !== undefined) {
      if (envelope.depth > this.#maxDepth) throw new CausationDepthError(this.#maxDepth, envelope.chain());
      countDescendant(envelope, this.#maxDescendants);
    }
    envelope.stamp(); // a handler is usually async and may read the time after awaiting: fix it at send
    const ctx = new DispatchContext(
      this.#hub,
      this.#kind === 'command' ? 'send' : 'query',
      envelope,
      entry.name,
      undefined,
      signal,
    );
    return entry.run(ctx);
  }

  close(options?: CloseOptions): Promise<void> {
    try {
      closeOptionsOf('close', options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.stopAccepting();
    return (this.#closing ??= closeWithin(
      {
        what: `the ${this.#kind} bus`,
        clock: this.clock,
        defaultTimeoutMs: this.#closeTimeoutMs,
        setting: 'closeTimeoutMs',
        drain: () => this.drain(),
        unfinished: () => this.unfinished(),
        release: () => undefined,
      },
      options,
    ));
  }

  /** @internal Refuses new sends (the first step of a close). */
  stopAccepting(): void {
    this.#closed = true;
  }

  /** @internal Resolves when no handler is running (after {@link stopAccepting}, none can start). */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.keys()]);
  }

  /** @internal The handlers still running, by name and type. */
  unfinished(): UnfinishedWork[] {
    return mergeUnfinished(
      [...this.#running.values()].map((type) => ({
        kind: this.#kind,
        name: this.#handlers.get(type)?.name ?? type,
        messageType: type,
        running: 1,
        waiting: 0,
      })),
    );
  }

  #unknown(type: string): ValidationError {
    return new ValidationError(
      `Unknown ${this.#kind} type '${type}': this bus was created with definitions and '${type}' is not one of them.`,
      [{ path: ['type'], message: `undeclared ${this.#kind} type` }],
      { code: 'UNKNOWN_TYPE' },
    );
  }
}

/**
 * Creates a command bus: one handler per command type, results typed from the definitions.
 *
 * @example
 * const PayOrder = defineCommand('order.pay', payload<{ orderId: string }>(), returns<{ ok: true }>());
 * const commands = createCommandBus({ commands: [PayOrder] });
 * commands.handle('order.pay', () => ({ ok: true }));
 * const { ok } = await commands.send(PayOrder({ orderId: 'o-1' }));
 */
export function createCommandBus<const Defs extends readonly AnyDefinition[]>(
  options: Omit<RequestBusOptions, 'definitions'> & { readonly commands: Defs },
): CommandBus<RequestMapOf<Defs>>;
export function createCommandBus<M extends RequestMap = AnyRequestMap>(
  options?: Omit<RequestBusOptions, 'definitions'>,
): CommandBus<M>;
export function createCommandBus(
  options: Omit<RequestBusOptions, 'definitions'> & { readonly commands?: readonly AnyDefinition[] } = {},
): CommandBus {
  const { commands, ...rest } = optionsObject('createCommandBus', options, COMMAND_BUS_KEYS);
  return new RequestBusImpl('command', commands === undefined ? rest : { ...rest, definitions: commands });
}

/**
 * Creates a query bus: one handler per query type, results typed from the definitions.
 *
 * @example
 * const GetStock = defineQuery('stock.get', payload<{ productId: string }>(), returns<number>());
 * const queries = createQueryBus({ queries: [GetStock] });
 * queries.handle('stock.get', (q) => stock.get(q.data.productId) ?? 0);
 */
export function createQueryBus<const Defs extends readonly AnyDefinition[]>(
  options: Omit<RequestBusOptions, 'definitions'> & { readonly queries: Defs },
): QueryBus<RequestMapOf<Defs>>;
export function createQueryBus<M extends RequestMap = AnyRequestMap>(
  options?: Omit<RequestBusOptions, 'definitions'>,
): QueryBus<M>;
export function createQueryBus(
  options: Omit<RequestBusOptions, 'definitions'> & { readonly queries?: readonly AnyDefinition[] } = {},
): QueryBus {
  const { queries, ...rest } = optionsObject('createQueryBus', options, QUERY_BUS_KEYS);
  return new RequestBusImpl('query', queries === undefined ? rest : { ...rest, definitions: queries });
}
