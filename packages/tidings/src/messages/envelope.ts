import type { Clock } from '../time/clock.js';
import type { IdGenerator } from './ids.js';
import type { Envelope, Message } from './message.js';
import type { Metadata } from './metadata.js';

/** What an envelope needs from its bus to create ids and timestamps lazily. */
export interface EnvelopeFactory {
  readonly clock: Clock;
  readonly nextId: IdGenerator;
}

const EMPTY: Metadata = Object.freeze({});

/**
 * The envelope delivered to handlers. `id`, `occurredAt` and `metadata` are computed on first read:
 * a dispatch to handlers that only read `type` and `data` allocates nothing else. The publish time
 * (a number) is fixed on first read, or as soon as the envelope outlives the publisher's synchronous
 * call: queued delivery, an inline handler that returns a promise, publish middleware, `waitFor`, a
 * failure report, a send. The one path it is not fixed on is a synchronous inline handler that keeps
 * the envelope without reading the time: a later first read returns the time of that read.
 */
export class LazyEnvelope<T extends string = string, D = unknown> implements Envelope<T, D> {
  readonly type: T;
  readonly data: D;
  readonly streamId: string | undefined;
  /** The envelope whose handler published this one, for correlation, causation and loop protection. */
  readonly parent: LazyEnvelope | undefined;
  /** How many handler hops separate this message from the one that started the chain. */
  readonly depth: number;
  // TypeScript-private, not `#private`: V8 pays for each `#field` on every construction, and an
  // envelope is constructed per publish on the hot path (see docs/benchmarks.md).
  private readonly _factory: EnvelopeFactory;
  private readonly _userMetadata: Metadata | undefined;
  private _at: number | undefined;
  private _id: string | undefined;
  private _metadata: Metadata | undefined;

  constructor(
    factory: EnvelopeFactory,
    message: Message<T, D>,
    streamId: string | undefined,
    parent: LazyEnvelope | undefined,
    /** An id and time already given to this message (a redelivery); otherwise created lazily. */
    known?: { readonly id?: string | undefined; readonly at?: number | undefined },
  ) {
    this.type = message.type;
    this.data = message.data;
    this.streamId = streamId;
    this.parent = parent;
    this.depth = parent === undefined ? 0 : parent.depth + 1;
    this._factory = factory;
    this._userMetadata = message.metadata;
    this._at = known?.at;
    this._id = known?.id;
    this._metadata = undefined;
  }

  /**
   * Fixes the publish time if nothing has read it yet. The bus calls it wherever the envelope can
   * outlive the publisher's call (see the class comment), so a time read later is still publish
   * time; a purely synchronous inline dispatch that never reads it never asks the clock.
   */
  stamp(at?: number): number {
    return (this._at ??= at ?? this._factory.clock.now());
  }

  get id(): string {
    return (this._id ??= this._factory.nextId());
  }

  get occurredAt(): Date {
    return new Date(this.stamp());
  }

  /** Publish time in epoch milliseconds. */
  get timestamp(): number {
    return this.stamp();
  }

  get metadata(): Metadata {
    if (this._metadata !== undefined) return this._metadata;
    const user = this._userMetadata;
    const parent = this.parent;
    if (parent === undefined) {
      this._metadata = user ?? EMPTY;
    } else {
      const inherited: Record<string, unknown> = {
        correlationId: parent.metadata.correlationId ?? parent.id,
        causationId: parent.id,
      };
      if (parent.metadata.traceparent !== undefined) inherited['traceparent'] = parent.metadata.traceparent;
      this._metadata = Object.freeze({ ...inherited, ...user });
    }
    return this._metadata;
  }

  /** The chain of types from the root message to this one, for loop diagnostics. */
  chain(): string[] {
    const types: string[] = [this.type];
    for (let e = this.parent; e !== undefined; e = e.parent) types.push(e.type);
    return types.reverse();
  }

  toJSON(): { id: string; type: T; data: D; metadata: Metadata; occurredAt: string; streamId?: string } {
    const json = {
      id: this.id,
      type: this.type,
      data: this.data,
      metadata: this.metadata,
      occurredAt: this.occurredAt.toISOString(),
    };
    return this.streamId === undefined ? json : { ...json, streamId: this.streamId };
  }
}
