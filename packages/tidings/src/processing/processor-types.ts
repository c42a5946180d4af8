import type { MessageDefinition } from '../messages/define.js';
import type { RetryPolicy } from '../reliability/retry.js';
import type { SerializedError } from '../reliability/serialize-error.js';
import type { Clock } from '../time/clock.js';
import type { ParkedEvent, ParkedFilter } from '../store/processing-types.js';
import type { ReadAllFilter, RecordedEvent, StoreTransaction } from '../store/types.js';

/**
 * Where a processor's effects live, which decides what "exactly once" can mean (decision 0645):
 *
 * - `'transactional'`: the handler writes through `ctx.tx`, and the runner saves the checkpoint in
 *   that same transaction. Effects written through `tx` happen exactly once. Batches commit one
 *   after another, in position order.
 * - `'inbox'`: the handler writes through `ctx.tx`; in that transaction the runner claims the
 *   event id in the store's inbox (`tx.processing.claimInbox`) so a redelivery is skipped. Effects
 *   written through `tx` happen exactly once; the checkpoint (the watermark) is saved separately,
 *   so batches of different streams run concurrently.
 * - `'external'` (default): no transaction. Delivery is at least once: after a crash or a lease
 *   takeover an event may be handled again. Use `event.id` as the idempotency key of the effect
 *   (an HTTP `Idempotency-Key`, a unique constraint, a message id the receiver dedupes on).
 */
export type EffectMode = 'transactional' | 'inbox' | 'external';

/**
 * What happens to an event whose handler still fails after its retries:
 *
 * - `'park-and-continue'` (default): it is parked (durably, in the store) and its stream goes on.
 * - `'block-stream'`: it is parked and every later event of its stream waits behind it (other
 *   streams flow) until it is retried successfully or skipped; then the held events are handled
 *   in order before the stream flows again. The blocked streams survive a restart.
 */
export type FailurePolicy = 'park-and-continue' | 'block-stream';

/** Selects events by type name or by definition (`defineEvent`), which also types the handler's event. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any` keeps the variance open so every event definition is assignable.
export type EventSelector = string | MessageDefinition<'event', string, any>;

/** The recorded event a handler receives for a list of selectors. */
export type SelectedEvent<S extends EventSelector> = S extends string
  ? RecordedEvent<S>
  : S extends MessageDefinition<'event', infer T, infer D>
    ? RecordedEvent<T, D>
    : never;

/** What every handler receives beside the event. */
export interface ProcessorContext {
  readonly processor: string;
  /** 0 until processors are partitioned (consumer groups). */
  readonly partition: number;
  /** Epoch of the lease this runner holds; every store write of the runner is fenced by it. */
  readonly epoch: bigint;
  /** 1 on the first try of this delivery, then 2, 3… while the retry policy retries. */
  readonly attempt: number;
  /**
   * Aborts when the handler should give up: the lease was lost, or `stop()` ran out of time.
   * Pass it to fetch/HTTP clients so an abandoned effect stops early.
   */
  readonly signal: AbortSignal;
  /** `'live'` for the normal flow, `'retry'` for a parked retry, `'replay'` for a held event of a block-stream processor. */
  readonly delivery: 'live' | 'retry' | 'replay';
}

/** The context of `'transactional'` and `'inbox'` handlers: write the effects through `tx`. */
export interface TransactionalProcessorContext<Connection = unknown> extends ProcessorContext {
  /** The transaction that also saves the checkpoint (`transactional`) or claims the inbox row (`inbox`). */
  readonly tx: StoreTransaction<Connection>;
}

/** The handler context for an effect mode. */
export type ProcessorContextFor<M extends EffectMode, Connection> = M extends 'external'
  ? ProcessorContext
  : TransactionalProcessorContext<Connection>;

/** Retry settings of a processor: the options of `retry` that make sense here (the runner owns the signal and clock). */
export type ProcessorRetryPolicy = Pick<
  RetryPolicy,
  'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'factor' | 'retryable'
>;

/** How many events go into one unit of work (one transaction in the `transactional` and `inbox` modes). */
export interface ProcessorBatchOptions {
  /** At most this many events per unit. Integer 1..10 000; default 100. */
  readonly maxEvents?: number;
  /**
   * How long a unit waits for more events before it runs with fewer than `maxEvents`, in ms.
   * Integer >= 0; default 0 (run with what is there: during a catch-up units fill up anyway,
   * live events are handled at once).
   */
  readonly maxWaitMs?: number;
}

/** What {@link defineProcessor} takes. Give exactly one of `handle` and `handleBatch`, and at most one of `events` and `filter`. */
export interface ProcessorSpec<
  S extends EventSelector = string,
  M extends EffectMode = 'external',
  Connection = unknown,
> {
  /** Unique within a runner, stable across deployments: the checkpoint, lease and parked events are keyed by it. */
  readonly name: string;
  /** The event types it handles (names or definitions). Without `events` or `filter` it sees every event. */
  readonly events?: readonly S[];
  /** Types and/or stream categories, as `readAll`'s filter (exact names). */
  readonly filter?: ReadAllFilter;
  /** Default `'external'`. See {@link EffectMode}. */
  readonly effects?: M;
  /** Handles one event. Events of one stream arrive in order, one at a time. */
  readonly handle?: (event: SelectedEvent<S>, context: ProcessorContextFor<M, Connection>) => unknown;
  /**
   * Handles a unit of events at once, in position order (all of a unit's events of one stream are
   * in it in order). When it fails the runner retries the events one by one to find the failing one.
   */
  readonly handleBatch?: (events: readonly SelectedEvent<S>[], context: ProcessorContextFor<M, Connection>) => unknown;
  /**
   * Streams handled at the same time. Integer 1..1000; default 1. Order within a stream is kept
   * whatever the value. In the `transactional` mode units still commit one after another (the
   * checkpoint is in their transaction); the handlers of different streams in a unit run concurrently.
   */
  readonly concurrency?: number;
  readonly batch?: ProcessorBatchOptions;
  /** Default `'park-and-continue'`. See {@link FailurePolicy}. */
  readonly onFailure?: FailurePolicy;
  /** Retries before parking. Default: 3 attempts, backoff from 100 ms (full jitter) up to 30 s. */
  readonly retry?: ProcessorRetryPolicy;
  /** Where a processor without a checkpoint starts: `'start'` (default, every stored event) or `'end'` (only new events). */
  readonly startFrom?: 'start' | 'end';
}

declare const CONNECTION: unique symbol;

/**
 * A validated processor definition, run by a {@link ProcessorRunner}. `Connection` is the driver
 * connection its transactional handlers expect (`unknown` when they do not touch it).
 */
export interface Processor<Connection = unknown> {
  readonly name: string;
  readonly effects: EffectMode;
  /** The filter the runner subscribes with (`events` become `types`); undefined for every event. */
  readonly filter: ReadAllFilter | undefined;
  readonly concurrency: number;
  readonly batch: Required<ProcessorBatchOptions>;
  readonly onFailure: FailurePolicy;
  readonly retry: ProcessorRetryPolicy;
  readonly startFrom: 'start' | 'end';
  /** Type-level only: which store connections the handlers accept. */
  readonly [CONNECTION]?: (connection: Connection) => void;
}

/** What the runner tells `onError`: where a failure happened. The runner itself keeps going. */
export interface ProcessorErrorInfo {
  readonly processor: string;
  readonly partition: number;
  /**
   * - `'handler'`: an attempt of a handler failed (it will be retried or parked);
   * - `'lease'`: the lease was lost or could not be renewed: the processor stopped and went back to standby;
   * - `'store'`: reading events or writing the checkpoint failed: the processor restarts from its checkpoint after a backoff.
   */
  readonly kind: 'handler' | 'lease' | 'store';
  readonly event?: RecordedEvent;
}

/** Options of {@link createProcessorRunner}. Unknown keys are refused. */
export interface ProcessorRunnerOptions<Connection = unknown> {
  /** The processors to run; names must be unique. */
  readonly processors: readonly Processor<Connection>[];
  /** Who holds the leases: unique per process (e.g. host name + pid). Default: a random id. */
  readonly owner?: string;
  readonly clock?: Clock;
  /** How long a lease lasts without renewal, in ms. Integer >= 100; default 30 000. A stopped or paused holder is taken over after it. */
  readonly leaseTtlMs?: number;
  /** How often a held lease is renewed, in ms. Integer >= 10 and < leaseTtlMs; default leaseTtlMs / 3. */
  readonly renewIntervalMs?: number;
  /** How often a standby runner tries to take a lease someone else holds, in ms. Integer >= 10; default leaseTtlMs / 3. */
  readonly acquireIntervalMs?: number;
  /** Events read per catch-up page. Integer 1..10 000; default 500. */
  readonly pageSize?: number;
  /** Poll interval of the store subscription (the safety net under wake-ups), in ms. Integer >= 10; default 1000. */
  readonly pollIntervalMs?: number;
  /** Bound of `start()`, in ms. Integer >= 1; default 30 000. */
  readonly startTimeoutMs?: number;
  /** Bound of `stop()` (the drain), in ms. Integer >= 1; default 30 000. */
  readonly stopTimeoutMs?: number;
  /** Uniform numbers in [0, 1) for the retry jitter; default `Math.random`. */
  readonly random?: () => number;
  /** Told about every failure the runner handles itself (handler attempts, lost leases, store errors). */
  readonly onError?: (error: Error, info: ProcessorErrorInfo) => void;
  /** Told after an event was parked (the entry is committed). */
  readonly onParked?: (entry: ParkedEvent) => void;
}

/** Lifecycle of one processor in a runner. */
export type ProcessorState =
  /** Not started, or stopped. */
  | 'stopped'
  /** Another owner holds the lease; this runner tries again every `acquireIntervalMs`. */
  | 'standby'
  /** Holds the lease and handles events. */
  | 'running'
  /** A store error stopped it; it restarts from its checkpoint after a backoff. */
  | 'recovering';

/** A snapshot of one processor in a runner. */
export interface ProcessorStatus {
  readonly processor: string;
  readonly partition: number;
  readonly state: ProcessorState;
  /** Epoch of the lease while held. */
  readonly epoch: bigint | undefined;
  /** Last checkpoint position this runner wrote or started from (undefined before any). */
  readonly checkpoint: bigint | undefined;
  /** Every selected event at or below this position is done (handled, parked or held). */
  readonly watermark: bigint;
  /** Events received and not yet done. */
  readonly pending: number;
  /** Streams blocked behind a parked event (block-stream). */
  readonly blockedStreams: number;
  /** Events handled by this runner since it was created. */
  readonly handled: number;
  /** Events parked by this runner since it was created. */
  readonly parked: number;
  readonly lastError: SerializedError | undefined;
}

/** Options of {@link ProcessorRunner.start} and {@link ProcessorRunner.stop}. */
export interface RunnerWaitOptions {
  /** Overrides `startTimeoutMs` / `stopTimeoutMs` for this call. */
  readonly timeoutMs?: number;
}

/** Options of {@link ProcessorRunner.catchUp}. */
export interface CatchUpOptions {
  /** Which processors (default: all). */
  readonly processors?: readonly string[];
  /** Wait until the watermark reaches this position (default: the store's head when called). */
  readonly position?: bigint;
  /** Bound in ms; default 30 000. Reaching it rejects with `TimeoutError`. */
  readonly timeoutMs?: number;
}

/** What a retry or skip of a parked entry did. */
export interface ParkedResolution {
  /** The parked entry that was retried or skipped (it no longer exists unless `outcome` is `'failed'`). */
  readonly id: string;
  readonly processor: string;
  readonly eventId: string;
  /**
   * - `'handled'`: the retry succeeded and the entry is gone;
   * - `'skipped'`: the entry was removed without handling the event;
   * - `'failed'`: the retry failed; the entry stays, with its attempts and last error updated.
   */
  readonly outcome: 'handled' | 'skipped' | 'failed';
  /** The retry's error when `outcome` is `'failed'`. */
  readonly error?: SerializedError;
  /** Held events of the stream handled after it (block-stream). */
  readonly replayed: number;
  /** Where the stream is blocked now, if a held event failed during the replay (block-stream). */
  readonly blockedAt?: ParkedEvent;
}

/**
 * Parked events of the runner's processors: list and inspect from the store, retry and skip
 * through the runner (it has the handlers and holds the leases, so every write is fenced).
 */
export interface ParkedEventOperations {
  /** Parked entries of this runner's processors, by position (`filter.processor` must be one of them). */
  list(filter?: ParkedFilter): Promise<ParkedEvent[]>;
  /** One entry; `UnknownParkedEventError` when there is none with this id for this runner's processors. */
  get(id: string): Promise<ParkedEvent>;
  /**
   * Handles the parked event again (one attempt). On success the entry is removed in the effect's
   * transaction (`transactional` / `inbox`), and for a block-stream processor the held events of
   * its stream are handled in order before it flows again. Needs the processor running here
   * (`ProcessorNotRunningError` otherwise).
   */
  retry(id: string): Promise<ParkedResolution>;
  /** Retries the matching entries one by one, by position; stops at nothing (each outcome is reported). */
  retryAll(filter?: Pick<ParkedFilter, 'processor' | 'streamId'>): Promise<ParkedResolution[]>;
  /** Removes the entry without handling the event; a blocked stream then replays its held events and flows again. */
  skip(id: string): Promise<ParkedResolution>;
}

/**
 * Runs processors against a store: one lease per processor (one process at a time runs it),
 * catch-up then live, retries then parking, checkpoints fenced by the lease epoch.
 */
export interface ProcessorRunner extends AsyncDisposable {
  /**
   * Starts every processor: takes its lease (or goes to standby when another process holds it),
   * loads its checkpoint and blocked streams, subscribes. Resolves once every processor is running
   * or in standby; `TimeoutError` after `startTimeoutMs` (the runner is stopped again).
   */
  start(options?: RunnerWaitOptions): Promise<void>;
  /**
   * Graceful drain: stops reading, lets in-flight handlers finish, writes the final checkpoints,
   * releases the leases. `TimeoutError` after `stopTimeoutMs`: the handlers' signals abort and the
   * leases are released anyway (late writes of abandoned handlers are refused by the epoch fence).
   * Always settles; calling it twice is fine.
   */
  stop(options?: RunnerWaitOptions): Promise<void>;
  /** Waits until the processors' watermarks reach the head (or `position`) and their checkpoints are written. */
  catchUp(options?: CatchUpOptions): Promise<void>;
  /** A snapshot of every processor (or of one: `UnknownProcessorError` when it is not in this runner). */
  status(): ProcessorStatus[];
  status(processor: string): ProcessorStatus;
  readonly parked: ParkedEventOperations;
  readonly owner: string;
}
