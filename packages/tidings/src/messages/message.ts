import type { Metadata } from './metadata.js';

/** An event, command or query as written by its producer: a type name, JSON data, optional metadata. */
export interface Message<T extends string = string, D = unknown> {
  readonly type: T;
  readonly data: D;
  readonly metadata?: Metadata | undefined;
}

/**
 * A message as delivered to a handler. `id` (UUIDv7) and `occurredAt` are created on first read,
 * so a dispatch that never reads them does not pay for them.
 */
export interface Envelope<T extends string = string, D = unknown> {
  readonly type: T;
  readonly data: D;
  /** User metadata plus correlation and causation; always an object. */
  readonly metadata: Metadata;
  /**
   * A UUIDv7, created on first read (or given by the publisher). Unique; its time part is when it
   * was first read, so ids of bus messages are time-ordered by first read, not strictly by publish.
   * Events read from a store carry the id they were appended with.
   */
  readonly id: string;
  /**
   * When the message was published, from the bus's clock. A synchronous inline handler that keeps
   * the envelope for later should read it (or `id`) during the call: both are created lazily.
   */
  readonly occurredAt: Date;
  /** The stream the event belongs to, when known (`order-42`). */
  readonly streamId: string | undefined;
}

/** A map from event type to the type of its data: `{ 'order.paid': { orderId: string } }`. */
export type EventMap = Record<string, unknown>;

/** A map from command or query type to its data and result types. */
export type RequestMap = Record<string, { data: unknown; result: unknown }>;

/** The union of messages a map allows. */
export type MessageOf<M extends EventMap> = { [K in keyof M & string]: Message<K, M[K]> }[keyof M & string];

/** The union of envelopes for a set of type names of a map. */
export type EnvelopeOf<M extends EventMap, K extends keyof M & string = keyof M & string> = {
  [T in K]: Envelope<T, M[T]>;
}[K];

/** The union of requests (commands or queries) a map allows. */
export type RequestOf<M extends RequestMap> = { [K in keyof M & string]: Message<K, M[K]['data']> }[keyof M & string];
