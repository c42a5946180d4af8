import { ValidationError } from '../errors.js';
import { assertMessageType } from './names.js';
import type { Message } from './message.js';
import type { Metadata } from './metadata.js';
import { isStandardSchema, type InferOutput, type StandardSchemaV1 } from './standard-schema.js';

declare const PHANTOM: unique symbol;

/** A type-only marker for data that has no runtime schema: `payload<{ orderId: string }>()`. */
export interface Payload<D> {
  readonly [PHANTOM]?: D;
  readonly kind: 'payload';
}
/** A type-only marker for a command's or query's result: `returns<{ total: number }>()`. */
export interface Returns<R> {
  readonly [PHANTOM]?: R;
  readonly kind: 'returns';
}

/**
 * Declares the data type of a message without a runtime schema. Data is then only checked to be
 * JSON-serialisable.
 *
 * @example
 * const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());
 */
export function payload<D>(): Payload<D> {
  return { kind: 'payload' };
}

/**
 * Declares the result type of a command or query.
 *
 * @example
 * const GetOrder = defineQuery('order.get', payload<{ orderId: string }>(), returns<Order | undefined>());
 */
export function returns<R>(): Returns<R> {
  return { kind: 'returns' };
}

export type MessageKind = 'event' | 'command' | 'query';

/** What `defineEvent` / `defineCommand` / `defineQuery` return: a typed factory with its type name, guard and schema. */
export interface MessageDefinition<K extends MessageKind, T extends string, D, R = void> {
  (data: D, metadata?: Metadata): Message<T, D>;
  readonly kind: K;
  readonly type: T;
  /** The Standard Schema that validates data where the message enters the system, if any. */
  readonly schema: StandardSchemaV1<unknown, D> | undefined;
  /**
   * Events only: the stream an event of this type is appended to by the app's `publish` (declared
   * with `defineEvent(type, schema, { stream })`); undefined when the type declares none.
   */
  readonly stream?: StreamRule | undefined;
  /** Type guard: narrows any message to this one. */
  is(message: { readonly type: string } | null | undefined): message is Message<T, D>;
  /** Phantom: the result type, for commands and queries. */
  readonly [PHANTOM]?: R;
}

export type EventDefinition<T extends string = string, D = unknown> = MessageDefinition<'event', T, D>;
export type CommandDefinition<T extends string = string, D = unknown, R = unknown> = MessageDefinition<
  'command',
  T,
  D,
  R
>;
export type QueryDefinition<T extends string = string, D = unknown, R = unknown> = MessageDefinition<'query', T, D, R>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any` keeps the variance open so every definition is assignable.
export type AnyDefinition = MessageDefinition<MessageKind, string, any, any>;

// Without a schema or payload marker a message carries no data: `null`, the JSON value every store
// accepts (`undefined` is not JSON and would be refused at publish).
type DataOf<S> = S extends StandardSchemaV1 ? InferOutput<S> : S extends Payload<infer D> ? D : null;

/** The data type of a definition. */
export type DefinitionData<Def> = Def extends MessageDefinition<MessageKind, string, infer D, unknown> ? D : never;
/** The result type of a command or query definition. */
export type DefinitionResult<Def> = Def extends { readonly [PHANTOM]?: infer R } ? R : never;

/** Builds an event map from a list of event definitions. */
export type EventMapOf<Defs extends readonly AnyDefinition[]> = {
  [Def in Defs[number] as Def['type']]: DefinitionData<Def>;
};
/** Builds a command or query map from a list of definitions. */
export type RequestMapOf<Defs extends readonly AnyDefinition[]> = {
  [Def in Defs[number] as Def['type']]: { data: DefinitionData<Def>; result: DefinitionResult<Def> };
};

function define<K extends MessageKind, T extends string, D, R>(
  kind: K,
  type: T,
  shape: StandardSchemaV1 | Payload<unknown> | undefined,
): MessageDefinition<K, T, D, R> {
  assertMessageType(type, `${kind} type`);
  const schema = isStandardSchema(shape) ? (shape as StandardSchemaV1<unknown, D>) : undefined;
  // A data-less definition also accepts a call without data (from JavaScript): it becomes `null`.
  const dataless = shape === undefined;
  const factory = (given: D, metadata?: Metadata): Message<T, D> => {
    const data = dataless && given === undefined ? (null as D) : given;
    return metadata === undefined ? { type, data } : { type, data, metadata };
  };
  return Object.assign(factory, {
    kind,
    type,
    schema,
    is: (message: { readonly type: string } | null | undefined): message is Message<T, D> => message?.type === type,
  });
}

/** Where an event goes: a function of the event returning its stream id (typed per definition in {@link EventOptions}). */
export type StreamRule = (event: Message) => string;

/** Options of {@link defineEvent}. */
export interface EventOptions<T extends string, D> {
  /**
   * The stream an event of this type goes to when the app (`createTidings({ store })`) publishes
   * it: a function of the event, e.g. `(e) => \`order-${e.data.orderId}\`` — one stream per entity,
   * never one hot stream per type. Without it, `publish` needs an explicit `streamId`.
   */
  readonly stream?: (event: Message<T, D>) => string;
}

/**
 * Declares an event type: a dotted, past-tense name and, optionally, a Standard Schema (zod,
 * valibot, arktype…) or a `payload<T>()` type marker. Without either, the event carries `null` data.
 *
 * @example
 * const OrderPaid = defineEvent('order.paid', z.object({ orderId: z.string(), amount: z.number().int() }), {
 *   stream: (e) => `order-${e.data.orderId}`,
 * });
 * bus.emit(OrderPaid({ orderId: 'o-1', amount: 9900 }));
 */
export function defineEvent<
  const T extends string,
  S extends StandardSchemaV1 | Payload<unknown> | undefined = undefined,
>(type: T, schema?: S, options?: EventOptions<T, DataOf<S>>): EventDefinition<T, DataOf<S>> {
  const definition = define<'event', T, DataOf<S>, void>('event', type, schema);
  if (options === undefined) return definition;
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`defineEvent('${type}'): options must be an object { stream? }.`, [], {
      code: 'INVALID_OPTION',
    });
  }
  for (const key of Object.keys(options)) {
    if (key !== 'stream') {
      throw new ValidationError(
        `defineEvent('${type}'): unknown option '${key}'. Expected: stream.`,
        [{ path: [key], message: 'unknown option' }],
        { code: 'UNKNOWN_OPTION' },
      );
    }
  }
  if (options.stream !== undefined && typeof options.stream !== 'function') {
    throw new ValidationError(
      `defineEvent('${type}'): 'stream' must be a function of the event returning its stream id, got ${typeof options.stream}.`,
      [{ path: ['stream'], message: 'not a function' }],
      { code: 'INVALID_OPTION' },
    );
  }
  return options.stream === undefined
    ? definition
    : Object.assign(definition, { stream: options.stream as StreamRule });
}

/**
 * Declares a command type, its data and its result.
 *
 * @example
 * const PayOrder = defineCommand('order.pay', payload<{ orderId: string }>(), returns<{ paidAt: string }>());
 */
export function defineCommand<
  const T extends string,
  S extends StandardSchemaV1 | Payload<unknown> | undefined = undefined,
  R = void,
>(type: T, schema?: S, result?: Returns<R>): CommandDefinition<T, DataOf<S>, R> {
  void result;
  return define('command', type, schema);
}

/**
 * Declares a query type, its data and its result.
 *
 * @example
 * const GetStock = defineQuery('stock.get', payload<{ productId: string }>(), returns<number>());
 */
export function defineQuery<
  const T extends string,
  S extends StandardSchemaV1 | Payload<unknown> | undefined = undefined,
  R = unknown,
>(type: T, schema?: S, result?: Returns<R>): QueryDefinition<T, DataOf<S>, R> {
  void result;
  return define('query', type, schema);
}
