import type { SerializedError } from '../reliability/serialize-error.js';
import type { ReadAllFilter, RecordedEvent } from './types.js';

/**
 * A processor's stored progress, tagged with the store it was taken from: every event the
 * processor selects at or below `position` has been handled (for a processor with concurrency > 1,
 * `position` is the watermark: the lowest position below which everything completed).
 *
 * Store positions are bigints; checkpoints of other sources (brokers) carry a different `source`,
 * so one can never be mistaken for the other.
 */
export interface StoreCheckpoint {
  readonly source: 'store';
  /** `StoreInfo.storeId` of the store that wrote it. A checkpoint from another store is refused. */
  readonly storeId: string;
  readonly processor: string;
  /** 0 for a processor that is not partitioned (consumer groups use 0..n-1). */
  readonly partition: number;
  readonly position: bigint;
  /** Lease epoch of the writer; 0n when written without a lease. */
  readonly epoch: bigint;
  /** From the store's clock. */
  readonly updatedAt: Date;
}

/** What {@link TransactionProcessing.saveCheckpoint} writes. */
export interface CheckpointWrite {
  readonly processor: string;
  /** Default 0. */
  readonly partition?: number | undefined;
  readonly position: bigint;
  /**
   * Fencing: when given, the write holds only while this epoch is the current epoch of the
   * processor's lease for the partition; otherwise it throws `LeaseLostError` and writes nothing.
   * Let the error escape the transaction so everything written in it rolls back.
   */
  readonly epoch?: bigint | undefined;
}

/**
 * A time-limited, exclusive claim on a processor (and partition), timed by the store's clock (the
 * database clock on PostgreSQL). Every new holder gets a higher `epoch`; writes conditional on the
 * epoch are refused once another holder took over, so a paused "zombie" that wakes up writes nothing.
 */
export interface Lease {
  readonly processor: string;
  readonly partition: number;
  /** Who holds it (a process or member id chosen by the caller). */
  readonly owner: string;
  readonly epoch: bigint;
  readonly expiresAt: Date;
}

/** What {@link ProcessingStore.acquireLease} asks for. */
export interface LeaseRequest {
  readonly processor: string;
  /** Default 0. */
  readonly partition?: number | undefined;
  readonly owner: string;
  /** How long the lease lasts unless renewed, in milliseconds (integer >= 1). */
  readonly ttlMs: number;
}

/** An event a processor gave up on (after its retries), kept durably until retried or skipped. */
export interface ParkedEvent {
  /** The parked entry's id. One entry per (processor, eventId). */
  readonly id: string;
  readonly processor: string;
  readonly partition: number;
  readonly eventId: string;
  readonly position: bigint;
  readonly streamId: string;
  readonly version: bigint;
  readonly type: string;
  /** The last error. */
  readonly error: SerializedError;
  /** Attempts made so far (retries from the parked list included). */
  readonly attempts: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
  /**
   * The processor's policy was `block-stream`: later events of the stream wait behind this one
   * until it is retried successfully or skipped. The set of blocking entries is the durable list
   * of blocked streams; each resumes after `version`.
   */
  readonly blocking: boolean;
}

/** What {@link TransactionProcessing.park} records. */
export interface ParkRequest {
  readonly processor: string;
  /** Default 0. */
  readonly partition?: number | undefined;
  readonly event: Pick<RecordedEvent, 'id' | 'position' | 'streamId' | 'version' | 'type'>;
  readonly error: SerializedError;
  /** Attempts made by this failure (added to what the entry already had). */
  readonly attempts: number;
  readonly blocking: boolean;
  /** Fencing, as for checkpoints. */
  readonly epoch?: bigint | undefined;
}

/** Narrows {@link ProcessingStore.listParked}. */
export interface ParkedFilter {
  readonly processor?: string | undefined;
  readonly streamId?: string | undefined;
  /** Only entries that block their stream (`true`) or only those that do not (`false`). */
  readonly blocking?: boolean | undefined;
  /** At most this many, by position ascending. Integer >= 1; default 1000. */
  readonly limit?: number | undefined;
}

/**
 * Processing state written inside `store.transaction`, so a read-model write, the inbox row, the
 * parked entry and the checkpoint commit together or not at all.
 */
export interface TransactionProcessing {
  getCheckpoint(processor: string, partition?: number): Promise<StoreCheckpoint | undefined>;
  /**
   * Upserts the checkpoint and deletes the processor's inbox rows at or below `position` (they can
   * no longer be redelivered: a processor resumes after its checkpoint). A checkpoint may move
   * backwards (a reset); fenced by `epoch` when given.
   */
  saveCheckpoint(write: CheckpointWrite): Promise<void>;
  /**
   * Records that `processor` handled `event`. Returns `true` the first time, `false` when it was
   * already recorded (a redelivery: skip the effect). Fenced by `epoch` when given.
   */
  claimInbox(
    processor: string,
    event: Pick<RecordedEvent, 'id' | 'position'>,
    options?: { readonly epoch?: bigint | undefined; readonly partition?: number | undefined },
  ): Promise<boolean>;
  /** Upserts the parked entry for (processor, event id); attempts add up, `firstFailedAt` stays. */
  park(request: ParkRequest): Promise<ParkedEvent>;
  /** Removes a parked entry; returns whether it existed. Fenced by `epoch` when given. */
  unpark(id: string, options?: { readonly epoch?: bigint | undefined }): Promise<boolean>;
}

/**
 * The durable state of processors that every store keeps beside its events: checkpoints, leases,
 * parked events and the inbox. Outside a transaction; see `tx.processing` for writes that must
 * commit with other writes.
 */
export interface ProcessingStore {
  getCheckpoint(processor: string, partition?: number): Promise<StoreCheckpoint | undefined>;
  /** Every checkpoint, by processor then partition. */
  listCheckpoints(): Promise<StoreCheckpoint[]>;
  /** Deletes a processor's checkpoints (all partitions) and inbox rows: it starts again from the beginning. */
  deleteCheckpoints(processor: string): Promise<void>;

  /**
   * Takes the lease when it is free, expired, or already held by `owner` (then it is renewed with
   * the same epoch). A new holder gets `epoch + 1`. Returns `undefined` while another owner holds
   * an unexpired lease.
   */
  acquireLease(request: LeaseRequest): Promise<Lease | undefined>;
  /**
   * Extends the lease when it is still held with this epoch (even if it expired and nobody took
   * it over); `undefined` when it was lost.
   */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /** Gives the lease up (it expires now); nothing happens when it was lost already. */
  releaseLease(lease: Lease): Promise<void>;
  getLease(processor: string, partition?: number): Promise<Lease | undefined>;

  listParked(filter?: ParkedFilter): Promise<ParkedEvent[]>;
  getParked(id: string): Promise<ParkedEvent | undefined>;
}

/** Where {@link StoreSubscriptionOptions.from} starts. */
export type SubscriptionStart = bigint | 'start' | 'end' | StoreCheckpoint;

/** Options of `store.subscribe`. */
export interface StoreSubscriptionOptions {
  /**
   * Where to start:
   * - a bigint: the first position delivered (inclusive, as `readAll({ from })`); at most `head + 1`;
   * - `'start'` (default): from the first event;
   * - `'end'`: only events committed after the subscription started;
   * - a {@link StoreCheckpoint}: after its position. A checkpoint of another store, or one ahead of
   *   the head (a restored database that reuses positions), is refused.
   */
  readonly from?: SubscriptionStart | undefined;
  readonly filter?: ReadAllFilter | undefined;
  /** Ends the subscription: iteration finishes, a handler subscription resolves `done`. */
  readonly signal?: AbortSignal | undefined;
  /** Events read per catch-up page. Integer 1..10 000; default 500. */
  readonly pageSize?: number | undefined;
  /**
   * How often to look for new events when no wake-up arrived, in ms: the safety net under the
   * store's own wake-ups (local commits, other processes' commits). Integer >= 10; default 1000.
   */
  readonly pollIntervalMs?: number | undefined;
}

/** A handler given to `store.subscribe`; the loop waits for it before the next event. */
export type StoreSubscriptionHandler = (event: RecordedEvent) => unknown;

/**
 * A subscription to a store: catch-up in pages, then live, in one loop with no gap and no
 * duplicate at the hand-over. Iterate it (`for await`), or pass a handler to `subscribe`.
 */
export interface StoreSubscription extends AsyncIterable<RecordedEvent>, AsyncDisposable {
  /** Position of the last event delivered (a handler's: completed), 0n before any. */
  readonly position: bigint;
  /**
   * With a handler: settles when the loop ends — resolves after `close()` or an abort, rejects
   * with the handler's error (the loop stops at the failing event). Without a handler: resolves
   * when iteration ends.
   */
  readonly done: Promise<void>;
  /** Ends the loop; a pending `next()` resolves `done: true`. Waits for a running handler. */
  close(): Promise<void>;
}
