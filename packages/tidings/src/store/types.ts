import type { Envelope, Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';

/**
 * The version a stream must be at for an append to proceed.
 * - `'any'`: no check.
 * - `'no-stream'`: the stream has no events yet (version 0).
 * - `'exists'`: the stream has at least one event.
 * - a bigint: the stream's current version must be exactly this (0n = empty).
 */
export type ExpectedVersion = 'any' | 'no-stream' | 'exists' | bigint;

/** An event handed to `append`. `id` (a UUID) makes the append idempotent; one is generated when absent. */
export interface EventToAppend<T extends string = string, D = unknown> extends Message<T, D> {
  readonly id?: string | undefined;
}

/**
 * An event as stored. It is also an {@link Envelope}, so handlers written for the in-process bus
 * accept events read from a store unchanged. `occurredAt` equals `recordedAt`.
 */
export interface RecordedEvent<T extends string = string, D = unknown> extends Envelope<T, D> {
  readonly streamId: string;
  /** 1-based position of the event in its stream. */
  readonly version: bigint;
  /** Position in the whole store. Strictly increasing in commit order; a reader following it never skips. */
  readonly position: bigint;
  /** From the store's clock under the write lock; never decreases with position. */
  readonly recordedAt: Date;
}

export interface AppendOptions {
  /** Default `'any'`. */
  readonly expectedVersion?: ExpectedVersion | undefined;
}

export interface AppendResult {
  /** The stream's version after the append: pass it as `expectedVersion` next time. */
  readonly nextVersion: bigint;
  /**
   * Global position of the last event appended. For an empty append, the position of the
   * stream's last event, or 0n when it has none.
   */
  readonly position: bigint;
}

export type ReadDirection = 'forward' | 'backward';

export interface ReadStreamOptions {
  /** Version to start at, inclusive. Default: 1n forward, the last version backward. */
  readonly from?: bigint | undefined;
  readonly direction?: ReadDirection | undefined;
  /** Most events to return. Default: all. */
  readonly limit?: number | undefined;
}

export interface ReadAllFilter {
  /** Only events of these types. */
  readonly types?: readonly string[] | undefined;
  /** Only events whose stream's category (before the first `-`) is one of these. */
  readonly categories?: readonly string[] | undefined;
}

export interface ReadAllOptions {
  /** Global position to start at, inclusive. Default: 0n forward, the head backward. */
  readonly from?: bigint | undefined;
  readonly direction?: ReadDirection | undefined;
  readonly limit?: number | undefined;
  readonly filter?: ReadAllFilter | undefined;
}

export interface ReadByTimeOptions {
  /** Inclusive lower bound on `recordedAt`. */
  readonly from: Date;
  /** Exclusive upper bound on `recordedAt`. */
  readonly to: Date;
  readonly limit?: number | undefined;
  readonly filter?: ReadAllFilter | undefined;
}

/**
 * Per-stream settings. `maxAge` (milliseconds) and `maxCount` hide older events from reads of the
 * stream (and from `readAll`) as retention; other keys are the user's.
 */
export interface StreamMetadata {
  readonly maxAge?: number | undefined;
  readonly maxCount?: number | undefined;
  readonly [key: string]: unknown;
}

export interface StreamInfo {
  readonly streamId: string;
  /** Current version: the version of the last event ever appended (0n when none). Never restarts. */
  readonly version: bigint;
  /** Events with a version below this are no longer readable (truncation, retention, soft delete). */
  readonly truncatedBefore: bigint;
  /** `'soft'`: hidden, can be appended to again (versions continue). `'hard'`: tombstoned forever. */
  readonly deleted: 'soft' | 'hard' | undefined;
  readonly metadata: StreamMetadata;
}

export type DeleteMode = 'soft' | 'hard';

/** Transforms event data on its way into and out of storage (encryption, crypto-shredding). */
export interface DataCodec {
  encode(data: unknown, event: { readonly type: string; readonly streamId: string; readonly metadata: Metadata }): unknown;
  decode(data: unknown, event: { readonly type: string; readonly streamId: string; readonly metadata: Metadata }): unknown;
}

/** Rewrites an event read from storage into its current shape (see `createUpcaster`). */
export type Upcast = (event: RecordedEvent) => RecordedEvent;

/** A listener told, asynchronously and after commit, that the head position moved. */
export type HeadListener = (head: bigint) => void;

export interface StoreInfo {
  /** Stable identity of this store's data; a checkpoint from another store is detected by it. */
  readonly storeId: string;
  readonly kind: string;
  /** What an acknowledged append survives, in words (e.g. "WAL, synchronous=NORMAL: …"). */
  readonly durability: string;
}

/** The reading half of a store, also available inside a transaction. */
export interface EventReader {
  readStream<T extends string = string, D = unknown>(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent<T, D>>;
  streamInfo(streamId: string): Promise<StreamInfo>;
}

/**
 * A unit of work: appends and the caller's own writes commit or roll back together.
 * `connection` is the driver's handle inside the transaction (better-sqlite3 `Database`,
 * pg `PoolClient`); the in-memory store has none.
 */
export interface StoreTransaction<Connection = unknown> extends EventReader {
  append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;
  readonly connection: Connection;
  /** Runs after a successful commit, in order. Errors are reported, not thrown. */
  afterCommit(callback: () => void): void;
}

/**
 * The event store contract. Every store (in-memory, SQLite, PostgreSQL) passes the shared
 * contract suite in `@tidings/contract-tests`.
 */
export interface EventStore<Connection = unknown> extends EventReader, AsyncDisposable {
  /**
   * Appends events to one stream atomically: all or none. Throws `ConcurrencyError` when
   * `expectedVersion` does not hold (nothing changes), `DuplicateEventError` when an event id is
   * already stored elsewhere, and returns the original result when the same ids are re-appended
   * at the same expected version (the safe retry after an unknown outcome).
   */
  append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  readByType(types: readonly string[], options?: Omit<ReadAllOptions, 'filter'>): AsyncIterable<RecordedEvent>;
  readByTime(options: ReadByTimeOptions): AsyncIterable<RecordedEvent>;

  setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void>;
  /** Hides events with version < `before` from reads; versions never restart. */
  truncateBefore(streamId: string, before: bigint): Promise<void>;
  deleteStream(streamId: string, options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion }): Promise<void>;

  /** Runs `work` in one transaction with its appends and the caller's writes. */
  transaction<R>(work: (tx: StoreTransaction<Connection>) => Promise<R>): Promise<R>;

  /** The highest committed position (0n when empty). */
  headPosition(): Promise<bigint>;
  /** Called asynchronously after each commit that moved the head in this process. */
  onHeadMoved(listener: HeadListener): Disposable;

  info(): Promise<StoreInfo>;
  close(): Promise<void>;
}
