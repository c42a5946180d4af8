import type { TimerStore, TransactionTimers } from '../timers/timer-types.js';
import type { Envelope, Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import type {
  ProcessingStore,
  StoreSubscription,
  StoreSubscriptionHandler,
  StoreSubscriptionOptions,
  TransactionProcessing,
} from './processing-types.js';

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

/** The third argument of `append`: nothing or this object; another value or an unknown key is refused. */
export interface AppendOptions {
  /** Default `'any'`. */
  readonly expectedVersion?: ExpectedVersion | undefined;
}

export interface AppendResult {
  /** The stream's version after the append: pass it as `expectedVersion` next time. */
  readonly nextVersion: bigint;
  /**
   * Global position of the last event appended. For an empty append, the position of the
   * stream's last event ever appended (even if since truncated or deleted), or 0n when it never had one.
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

/**
 * Filters of readAll, readByType and readByTime. Both lists compare exactly (no wildcard, no case
 * folding, no SQL LIKE meaning); an empty list matches nothing; an absent list matches everything.
 * Types are compared as stored, before any upcast.
 */
export interface ReadAllFilter {
  /** Only events of these types. */
  readonly types?: readonly string[] | undefined;
  /** Only events whose stream's category (before the first `-`, the whole id without one) is one of these. */
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
 * Per-stream settings, stored as JSON and replaced whole by `setStreamMetadata`. `maxAge`
 * (milliseconds) and `maxCount` (positive integers) are retention applied at read time, by every
 * read (readStream, readAll, readByType, readByTime; decision 0103): an event is readable only if
 * its version is among the newest `maxCount` of the stream (`version > stream version - maxCount`)
 * and `clock.now() - recordedAt <= maxAge`. They hide, they do not truncate: `StreamInfo.version`
 * and the versions of later appends are unchanged. Other keys are the user's.
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
  /**
   * Events with a version below this are no longer readable: set by `truncateBefore` and by a soft
   * or hard delete (to `version + 1`). 0n when never truncated. Never decreases. Retention by
   * `maxAge`/`maxCount` is applied on reads and not reflected here.
   */
  readonly truncatedBefore: bigint;
  /** `'soft'`: hidden, can be appended to again (versions continue). `'hard'`: tombstoned forever. */
  readonly deleted: 'soft' | 'hard' | undefined;
  readonly metadata: StreamMetadata;
}

export type DeleteMode = 'soft' | 'hard';

/**
 * Transforms event data on its way into and out of storage (encryption, crypto-shredding).
 * `encode` runs in `prepareAppend` before the payload and size checks, so its output must be JSON
 * and counts toward `maxEventBytes`; `decode` runs on every read, before any upcast.
 */
export interface DataCodec {
  encode(
    data: unknown,
    event: { readonly type: string; readonly streamId: string; readonly metadata: Metadata },
  ): unknown;
  decode(
    data: unknown,
    event: { readonly type: string; readonly streamId: string; readonly metadata: Metadata },
  ): unknown;
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
  readStream<T extends string = string, D = unknown>(
    streamId: string,
    options?: ReadStreamOptions,
  ): AsyncIterable<RecordedEvent<T, D>>;
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
  /** Checkpoints, inbox and parked events, written in this transaction. */
  readonly processing: TransactionProcessing;
  /** Durable timers, scheduled / cancelled / claimed in this transaction. */
  readonly timers: TransactionTimers;
}

/**
 * The event store contract. Every store (in-memory, SQLite, PostgreSQL) passes the shared
 * contract suite in `@tidings/contract-tests`. The rules below are the same in every store
 * (decisions 0100-0104 in docs/decisions/):
 *
 * - Payload: `prepareAppend` validates and JSON-encodes every append; data and metadata come back
 *   as `JSON.parse(JSON.stringify(x))` (a Date becomes its ISO string, undefined properties drop).
 *   bigint, NaN, ±Infinity, functions, Map/Set/class instances and cycles are refused, and so are
 *   U+0000 and lone surrogates anywhere in the JSON text (PostgreSQL jsonb cannot keep them):
 *   `ValidationError` code `NOT_SERIALIZABLE`. Size: UTF-8 bytes of data JSON + metadata JSON
 *   (`'{}'` when none) ≤ `maxEventBytes` (default 1 MiB), else `EVENT_TOO_LARGE`. Bad input
 *   of any kind writes nothing.
 * - Empty append: validated, the tombstone and the expected version are checked
 *   (`StreamDeletedError` / `ConcurrencyError`), nothing is written, the head does not move, no
 *   wake-up; returns `{ nextVersion: current version, position: the stream's last position or 0n }`.
 * - Idempotency: see `resolveIdempotentAppend` (the one implementation every store calls).
 * - Soft delete: every event of the stream up to its current version is removed from every read
 *   (readStream, readAll, readByType, readByTime); `streamInfo` says `deleted: 'soft'`,
 *   `truncatedBefore: version + 1`, keeps `version` and metadata. For expected versions the
 *   stream reads as absent: `'no-stream'` holds, `'exists'` fails, a bigint must equal the kept
 *   version (never 0n). The next non-empty append revives it (`deleted: undefined`) with versions
 *   continuing; an empty append does not. Soft-deleting a stream without events changes nothing.
 * - Hard delete: the events are removed from every read, metadata is cleared, and a tombstone
 *   remains (`deleted: 'hard'`, `version` kept) that refuses every later append, empty or not,
 *   whatever the expected version, and `setStreamMetadata`/`truncateBefore`, with
 *   `StreamDeletedError`. Works on a stream that never existed. Any delete of a tombstoned stream
 *   succeeds and changes nothing (a retry after an unknown outcome must not fail).
 * - Positions are never reused, even after the events holding the highest positions are deleted;
 *   `headPosition()` never decreases.
 * - Reads outside a transaction never see its appends before it commits.
 * - Ids of events removed by truncation or deletion may or may not still count as stored for
 *   idempotency; do not rely on either.
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
  /**
   * Hides events with version < `before` from every read; versions never restart. `before` is
   * capped at `version + 1` (never hides future events); a lower value than the current truncation
   * point, or a stream without events, changes nothing. `StreamDeletedError` on a tombstone.
   */
  truncateBefore(streamId: string, before: bigint): Promise<void>;
  /**
   * Deletes a stream: `mode` `'soft'` (default) or `'hard'`; `expectedVersion` (default `'any'`)
   * is checked as for append, soft-deleted streams reading as absent. See the rules above.
   */
  deleteStream(streamId: string, options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion }): Promise<void>;

  /**
   * Runs `work` in one transaction with its appends and the caller's writes: if `work` throws,
   * every append in it is rolled back and the error rethrown. An append failing inside (conflict,
   * duplicate, bad input) can be caught and the transaction still commits its other appends (on
   * PostgreSQL a statement failing in the database, such as a lock timeout, aborts the whole
   * transaction: later `tx` calls and the commit fail with `TRANSACTION_ABORTED`). Use `tx`, not the
   * store, inside `work`: a store write called while `work` runs synchronously fails at once with
   * `NESTED_TRANSACTION`, and one called later waits for the lock the transaction holds until
   * `lockTimeoutMs` (`StoreBusyError`). After `work` settles every `tx` call, reads included, fails
   * with `TRANSACTION_FINISHED`.
   */
  transaction<R>(work: (tx: StoreTransaction<Connection>) => Promise<R>): Promise<R>;

  /** The highest position ever committed (0n when nothing was); never decreases, even after deletions. */
  headPosition(): Promise<bigint>;
  /**
   * Called asynchronously after each commit that moved the head in this process: never inside
   * `append` or the write transaction, never for a rollback, an empty append, an idempotent retry
   * or a conflict. Calls may be coalesced (one call with the latest head); heads only increase.
   * Listener errors are reported, never thrown into the writer.
   */
  onHeadMoved(listener: HeadListener): Disposable;

  /**
   * Subscribes to the store: catch-up in pages, then live, in one loop with no gap and no
   * duplicate. Iterate the result, or pass `handler` (awaited per event; `done` settles when the
   * loop ends). Bad options throw at once; a bad start (a foreign checkpoint, a position beyond
   * the head) fails the first `next()` / `done`.
   */
  subscribe(options?: StoreSubscriptionOptions, handler?: StoreSubscriptionHandler): StoreSubscription;
  /** Checkpoints, leases and parked events of processors, kept in the store. */
  readonly processing: ProcessingStore;
  /** Durable timers: scheduled messages appended exactly once when due (see `createTimerPoller`). */
  readonly timers: TimerStore;

  info(): Promise<StoreInfo>;
  close(): Promise<void>;
}
