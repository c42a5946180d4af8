import { uuidv7Generator, type IdGenerator } from '../messages/ids.js';
import type { Clock } from '../time/clock.js';
import { ConcurrencyError, StoreClosedError, StreamDeletedError } from './errors.js';
import {
  Draft,
  EMPTY_STREAM,
  filterPredicate,
  firstPositionAt,
  logPage,
  MemoryState,
  streamPage,
  toStreamInfo,
  type StoredEvent,
} from './memory-state.js';
import { WriteLock } from './write-lock.js';
import { HeadNotifier } from './head-notifier.js';
import { MemoryProcessingState } from './memory-processing.js';
import { MemoryTimerState } from '../timers/memory-timers.js';
import { timersOutsideTransaction } from '../timers/timer-store-over.js';
import type { TimerStore } from '../timers/timer-types.js';
import type {
  Lease,
  LeaseRequest,
  ParkedFilter,
  ProcessingStore,
  StoreSubscription,
  StoreSubscriptionHandler,
  StoreSubscriptionOptions,
} from './processing-types.js';
import { subscribeToStore } from './subscription.js';
import { functionOption } from '../reliability/options.js';
import { resolveStoreOptions, type CommonStoreOptions, type ResolvedStoreOptions } from './store-options.js';
import { TransactionShell } from './transaction-shell.js';
import {
  assertReadAllOptions,
  assertReadByTimeOptions,
  assertReadByTypeArguments,
  assertReadStreamOptions,
  assertTruncateVersion,
  encodeStreamMetadata,
  resolveDeleteOptions,
} from './stream-rules.js';
import type {
  AppendOptions,
  AppendResult,
  DeleteMode,
  EventStore,
  EventToAppend,
  ExpectedVersion,
  HeadListener,
  ReadAllOptions,
  ReadByTimeOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreInfo,
  StoreTransaction,
  StreamInfo,
  StreamMetadata,
} from './types.js';
import { assertStreamId, prepareAppend, versionMatches } from './validation.js';

/**
 * Options of {@link createInMemoryEventStore}: the options every store shares (`clock`, `codec`,
 * `upcast`, `maxEventBytes`, `lockTimeoutMs`, `onError`) and `nextId`. Unknown keys are refused.
 */
export interface InMemoryEventStoreOptions extends CommonStoreOptions {
  /** Generates ids for events appended without one. Default: UUIDv7 from `clock`. */
  readonly nextId?: IdGenerator | undefined;
}

/** The in-memory store: an {@link EventStore} without a driver connection. */
export type InMemoryEventStore = EventStore<undefined>;

const PAGE = 256;

/** Runs `fn` and returns its result as a promise, turning a throw into a rejection. */
const settle = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));

/**
 * Creates an event store that lives in this process's memory. It keeps the same contract as the
 * SQLite and PostgreSQL stores, including the awkward parts: data and metadata round-trip through
 * JSON, writes are serialised under one lock, transactions are all-or-nothing, and head wake-ups
 * arrive asynchronously after commit. Use it in tests and prototypes; nothing survives the process.
 *
 * @example
 * await using store = createInMemoryEventStore();
 * await store.append('order-42', [{ type: 'order.placed', data: { total: 30 } }], { expectedVersion: 'no-stream' });
 * for await (const event of store.readStream('order-42')) console.log(event.version, event.type, event.data);
 */
export function createInMemoryEventStore(options?: InMemoryEventStoreOptions): InMemoryEventStore {
  return new MemoryEventStore(options);
}

class MemoryEventStore implements InMemoryEventStore {
  private readonly state = new MemoryState();
  private readonly lock: WriteLock;
  private readonly shell: TransactionShell;
  private readonly options: ResolvedStoreOptions;
  /** No other writer can reach this store's memory: local commits are the only head moves. */
  private readonly notifier = new HeadNotifier(
    { readHead: () => Promise.resolve(this.state.head) },
    { onError: (error, context) => this.options.onError(error, context) },
  );
  private readonly clock: Clock;
  private readonly nextId: IdGenerator;
  private readonly storeId: string;
  private readonly processingState: MemoryProcessingState;
  readonly processing: ProcessingStore;
  private readonly timerState: MemoryTimerState;
  readonly timers: TimerStore;
  private closed = false;

  constructor(options: InMemoryEventStoreOptions | undefined) {
    this.options = resolveStoreOptions('createInMemoryEventStore', options, ['nextId'], 'tidings memory store');
    const nextId = options?.nextId;
    functionOption('createInMemoryEventStore', 'nextId', nextId);
    this.clock = this.options.clock;
    this.nextId = nextId ?? uuidv7Generator({ now: () => this.clock.now() });
    this.storeId = uuidv7Generator()();
    this.lock = new WriteLock(this.clock, this.options.lockTimeoutMs);
    this.shell = new TransactionShell('in-memory', this.options.onError);
    const ids = uuidv7Generator({ now: () => this.clock.now() });
    this.processingState = new MemoryProcessingState(this.storeId, () => this.clock.now(), ids);
    this.processing = this.processingStore();
    this.timerState = new MemoryTimerState(() => this.clock.now(), this.options.maxEventBytes);
    this.timers = timersOutsideTransaction((work) => this.transaction(work));
  }

  subscribe(options?: StoreSubscriptionOptions, handler?: StoreSubscriptionHandler): StoreSubscription {
    this.assertOpen();
    return subscribeToStore(this, options, handler);
  }

  /** Reads see committed state; lease changes take the write lock, so they order with fenced transactions. */
  private processingStore(): ProcessingStore {
    const p = this.processingState;
    const read = <T>(fn: () => T): Promise<T> =>
      settle(() => {
        this.assertOpen();
        return fn();
      });
    return {
      getCheckpoint: (processor: string, partition?: number) => read(() => p.getCheckpoint(processor, partition)),
      listCheckpoints: () => read(() => p.listCheckpoints()),
      deleteCheckpoints: (processor: string) => this.write('deleteCheckpoints', () => p.deleteCheckpoints(processor)),
      acquireLease: (request: LeaseRequest) => this.write('acquireLease', () => p.acquireLease(request)),
      renewLease: (lease: Lease, ttlMs: number) => this.write('renewLease', () => p.renewLease(lease, ttlMs)),
      releaseLease: (lease: Lease) => this.write('releaseLease', () => p.releaseLease(lease)),
      getLease: (processor: string, partition?: number) => read(() => p.getLease(processor, partition)),
      listParked: (filter?: ParkedFilter) => read(() => p.listParked(filter)),
      getParked: (id: string) => read(() => p.getParked(id)),
    };
  }

  async append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    this.shell.assertNotInWork('append');
    const prepared = this.prepare(streamId, events, options);
    return await this.write(`append to '${prepared.streamId}'`, () => {
      const draft = new Draft(this.state, () => this.clock.now());
      const result = draft.append(prepared.streamId, prepared.expectedVersion, prepared.events);
      this.committed(draft.commit());
      return result;
    });
  }

  async transaction<R>(work: (tx: StoreTransaction<undefined>) => Promise<R>): Promise<R> {
    this.assertOpen();
    this.shell.assertNotInWork('transaction');
    this.shell.assertWork(work);
    let committed: (() => void) | undefined;
    const result = await this.write('transaction', async () => {
      const draft = new Draft(this.state, () => this.clock.now());
      const processing = this.processingState.draft();
      const append = (streamId: string, events: readonly EventToAppend[], appendOptions: AppendOptions | undefined) =>
        settle(() => {
          const prepared = this.prepare(streamId, events, appendOptions);
          return draft.append(prepared.streamId, prepared.expectedVersion, prepared.events);
        });
      const timers = this.timerState.draft(append);
      const open = this.shell.open<undefined>({
        connection: undefined,
        append,
        readStream: (streamId, readOptions) => this.readStreamIn(streamId, readOptions, (id) => draft.view(id)),
        streamInfo: (streamId) =>
          settle(() => {
            this.assertOpen();
            assertStreamId(streamId);
            return toStreamInfo(streamId, draft.view(streamId).info);
          }),
        processing,
        timers,
      });
      const value = await open.run(work);
      this.committed(draft.commit());
      processing.commit();
      timers.commit();
      committed = () => open.committed();
      return value;
    });
    committed?.();
    return result;
  }

  readStream<T extends string = string, D = unknown>(
    streamId: string,
    options?: ReadStreamOptions,
  ): AsyncIterable<RecordedEvent<T, D>> {
    return this.readStreamIn<T, D>(streamId, options, (id) => {
      const s = this.state.streams.get(id);
      return {
        info: s ?? EMPTY_STREAM,
        events: s?.events ?? [],
      };
    });
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- memory reads are synchronous; the contract is async.
  private async *readStreamIn<T extends string, D>(
    streamId: string,
    options: ReadStreamOptions | undefined,
    view: (streamId: string) => ReturnType<Draft['view']>,
  ): AsyncGenerator<RecordedEvent<T, D>> {
    this.assertOpen();
    assertStreamId(streamId);
    assertReadStreamOptions(options);
    const direction = options?.direction ?? 'forward';
    let remaining = options?.limit ?? Number.POSITIVE_INFINITY;
    let from = options?.from ?? (direction === 'forward' ? 1n : view(streamId).info.version);
    while (remaining > 0) {
      this.assertOpen();
      const { info, events } = view(streamId);
      const page = streamPage(events, info, from, direction, Math.min(PAGE, remaining), this.clock.now());
      if (page.length === 0) return;
      remaining -= page.length;
      from = page[page.length - 1]!.version + (direction === 'forward' ? 1n : -1n);
      for (const e of page) yield this.decode(e) as RecordedEvent<T, D>;
    }
  }

  streamInfo(streamId: string): Promise<StreamInfo> {
    return settle(() => {
      this.assertOpen();
      assertStreamId(streamId);
      const s = this.state.streams.get(streamId);
      return toStreamInfo(streamId, s ?? EMPTY_STREAM);
    });
  }

  async *readAll(options?: ReadAllOptions): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    assertReadAllOptions(options);
    const direction = options?.direction ?? 'forward';
    yield* this.scan(
      options?.from ?? (direction === 'forward' ? 0n : this.state.head),
      direction,
      options?.limit,
      filterPredicate(options?.filter),
    );
  }

  async *readByType(types: readonly string[], options?: Omit<ReadAllOptions, 'filter'>): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    assertReadByTypeArguments(types, options);
    const direction = options?.direction ?? 'forward';
    yield* this.scan(
      options?.from ?? (direction === 'forward' ? 0n : this.state.head),
      direction,
      options?.limit,
      filterPredicate({ types }),
    );
  }

  async *readByTime(options: ReadByTimeOptions): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    assertReadByTimeOptions(options);
    const from = options.from.getTime();
    const to = options.to.getTime();
    const matches = filterPredicate(options.filter);
    // recordedAt never decreases with position, so the range is one run of the log.
    const start = firstPositionAt(this.state.log, from);
    if (start === undefined) return;
    yield* this.scan(start, 'forward', options.limit, matches, (e) => e.recordedAt >= to);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- memory reads are synchronous; the contract is async.
  private async *scan(
    from: bigint,
    direction: 'forward' | 'backward',
    limit: number | undefined,
    accept: (e: StoredEvent) => boolean,
    stop?: (e: StoredEvent) => boolean,
  ): AsyncGenerator<RecordedEvent> {
    let remaining = limit ?? Number.POSITIVE_INFINITY;
    let cursor: bigint | undefined = from;
    while (remaining > 0 && cursor !== undefined) {
      this.assertOpen();
      // Each page is taken from the committed state as it is now, so appends between pages are seen.
      const page = logPage(this.state, cursor, direction, Math.min(PAGE, remaining), accept, this.clock.now(), stop);
      cursor = page.next;
      for (const e of page.events) {
        remaining--;
        yield this.decode(e);
      }
    }
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    this.assertOpen();
    this.shell.assertNotInWork('setStreamMetadata');
    assertStreamId(streamId);
    const text = encodeStreamMetadata(streamId, metadata);
    await this.write('setStreamMetadata', () => {
      const existing = this.state.streams.get(streamId);
      if (existing?.deleted === 'hard') throw new StreamDeletedError(streamId);
      const s = existing ?? this.state.record(streamId);
      const parsed = JSON.parse(text) as StreamMetadata;
      s.metadata = text;
      s.maxAge = parsed.maxAge;
      s.maxCount = parsed.maxCount;
    });
  }

  async truncateBefore(streamId: string, before: bigint): Promise<void> {
    this.assertOpen();
    this.shell.assertNotInWork('truncateBefore');
    assertStreamId(streamId);
    assertTruncateVersion(streamId, before);
    await this.write('truncateBefore', () => {
      const s = this.state.streams.get(streamId);
      if (s?.deleted === 'hard') throw new StreamDeletedError(streamId);
      if (s === undefined || s.version === 0n) return;
      // Capped at the next version: truncation never hides events not yet written (decision 0103).
      const effective = before > s.version + 1n ? s.version + 1n : before;
      if (effective <= s.truncatedBefore) return;
      s.truncatedBefore = effective;
      this.state.removeBefore(s, effective);
    });
  }

  async deleteStream(
    streamId: string,
    options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion },
  ): Promise<void> {
    this.assertOpen();
    this.shell.assertNotInWork('deleteStream');
    assertStreamId(streamId);
    const { mode, expectedVersion } = resolveDeleteOptions(streamId, options);
    await this.write('deleteStream', () => {
      const existing = this.state.streams.get(streamId);
      if (existing?.deleted === 'hard') return; // already gone for good: a retried delete succeeds
      const version = existing?.version ?? 0n;
      if (!versionMatches(expectedVersion, version, existing?.deleted === 'soft')) {
        throw new ConcurrencyError(streamId, expectedVersion, version);
      }
      if (mode === 'soft' && (existing === undefined || version === 0n)) return;
      const s = existing ?? this.state.record(streamId);
      s.truncatedBefore = version + 1n;
      this.state.removeBefore(s, version + 1n);
      s.deleted = mode;
      if (mode === 'hard') {
        s.metadata = '{}';
        s.maxAge = undefined;
        s.maxCount = undefined;
      }
    });
  }

  headPosition(): Promise<bigint> {
    return settle(() => {
      this.assertOpen();
      return this.state.head;
    });
  }

  onHeadMoved(listener: HeadListener): Disposable {
    this.assertOpen();
    return this.notifier.add(listener);
  }

  info(): Promise<StoreInfo> {
    return settle(() => {
      this.assertOpen();
      return {
        storeId: this.storeId,
        kind: 'memory',
        durability: 'none: events live in this process only and are lost when it exits or the store is closed',
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notifier.close();
    // A write in progress finishes; writes queued behind it fail with StoreClosedError.
    await this.lock.run('close', () => undefined, false);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('in-memory');
  }

  private prepare(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
  ): ReturnType<typeof prepareAppend> {
    const codec = this.options.codec;
    return prepareAppend(streamId, events, options, {
      maxEventBytes: this.options.maxEventBytes,
      nextId: this.nextId,
      encode: codec === undefined ? undefined : (data, event) => codec.encode(data, event),
    });
  }

  /** Runs a write under the lock (waiting at most lockTimeoutMs), refusing it if the store closed while it waited. */
  private write<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    return this.lock.run(what, () => {
      this.assertOpen();
      return fn();
    });
  }

  private committed(head: bigint | undefined): void {
    // Coalesced and asynchronous: listeners never run inside append, and see the latest head.
    if (head !== undefined) this.notifier.moved(head);
  }

  private decode(e: StoredEvent): RecordedEvent {
    const metadata = JSON.parse(e.metadata) as Record<string, unknown>;
    let data: unknown = JSON.parse(e.data);
    const codec = this.options.codec;
    if (codec !== undefined) data = codec.decode(data, { type: e.type, streamId: e.streamId, metadata });
    const event: RecordedEvent = {
      id: e.id,
      type: e.type,
      streamId: e.streamId,
      version: e.version,
      position: e.position,
      data,
      metadata,
      recordedAt: new Date(e.recordedAt),
      occurredAt: new Date(e.recordedAt),
    };
    return this.options.upcast === undefined ? event : this.options.upcast(event);
  }
}
