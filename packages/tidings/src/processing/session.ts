import { AbortedError, TidingsError } from '../errors.js';
import { raceAbort } from '../reliability/signals.js';
import { serializeError } from '../reliability/serialize-error.js';
import type { ParkedEvent, ParkRequest, StoreSubscription } from '../store/processing-types.js';
import { MAX_PARKED_LIMIT } from '../store/processing-validation.js';
import { startPosition } from '../store/subscription.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { AsyncLock } from './async-lock.js';
import { isHeldMarker, pick, type BlockedStream } from './blocked-streams.js';
import type { ProcessorHandlers } from './define-processor.js';
import { handleOnce, handleWithRetries, HandlerFailure, type EffectScope, type TxStep } from './effects.js';
import { resumeReplay } from './parked-work.js';
import type { Processor, ProcessorErrorInfo } from './processor-types.js';
import { ReceivedLog, type Entry } from './received-log.js';

/** Runs `fn` after pending I/O callbacks and microtasks (setImmediate where the platform has it). */
function nextTurn(fn: () => void): void {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (immediate !== undefined) immediate(fn);
  else globalThis.setTimeout(fn, 0);
}

/** What a session needs from its runner. */
export interface SessionOptions {
  readonly store: EventStore;
  readonly processor: Processor<never>;
  readonly handlers: ProcessorHandlers;
  readonly partition: number;
  readonly epoch: bigint;
  readonly clock: Clock;
  readonly random: () => number;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
  readonly report: (error: Error, kind: ProcessorErrorInfo['kind'], event?: RecordedEvent) => void;
  readonly onParked: (entry: ParkedEvent) => void;
  /** Something moved (an event done, a checkpoint written): wakes `catchUp` waiters. */
  readonly progress: () => void;
  readonly counters: { handled: number; parked: number };
  /** Whether the lease certainly still holds by the local clock (see `LeaseKeeper.fresh`). */
  readonly leaseFresh: () => boolean;
  /** Renews the lease now; resolves true when it is still held. */
  readonly confirmLease: () => Promise<boolean>;
}

/** How a session ended: cleanly after `stop()`, or with the error that ended it. */
export interface SessionEnd {
  readonly error?: unknown;
}

/**
 * One tenure of a processor's lease: resumes after the checkpoint, subscribes, schedules units of
 * work (ordered per stream, bounded across streams), tracks the watermark, parks, blocks streams,
 * and writes checkpoints fenced by the lease epoch. A new lease (or a recovery) is a new session:
 * all state is loaded again from the store.
 */
export class Session {
  readonly scope: EffectScope;
  readonly ended: Promise<SessionEnd>;
  readonly blocked = new Map<string, BlockedStream>();
  /** Per stream, the highest version a replay handled: later deliveries at or below it are skipped. */
  readonly replayedUpTo = new Map<string, bigint>();
  log = new ReceivedLog(0n);
  /** The position the session resumed after. */
  start = 0n;
  lastWritten: bigint | undefined;
  closing = false;

  readonly #o: SessionOptions;
  readonly #skipIds = new Set<string>();
  readonly #busy = new Set<string>();
  readonly #units = new Set<Promise<void>>();
  readonly #ops = new Set<Promise<unknown>>();
  readonly #parkQueue: { readonly entry: Entry; readonly request: ParkRequest }[] = [];
  readonly #txLock = new AsyncLock();
  readonly #streamLocks = new Map<string, AsyncLock>();
  readonly #hard = new AbortController();
  readonly #drain = new AbortController();
  readonly #maxUnits: number;
  readonly #capacity: number;
  #flushing: Promise<void> | undefined;
  #flushAgain = false;
  #subscription: StoreSubscription | undefined;
  #failure: { readonly error: unknown } | undefined;
  #closeStarted = false;
  #deferred = false;
  #confirming = false;
  #room: (() => void) | undefined;
  #batchTimer: TimerHandle | undefined;
  #resolveEnded!: (end: SessionEnd) => void;

  constructor(options: SessionOptions) {
    this.#o = options;
    const p = options.processor;
    this.#maxUnits = p.effects === 'transactional' ? 1 : p.concurrency;
    this.#capacity = Math.max(options.pageSize, 2 * p.batch.maxEvents * this.#maxUnits);
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.scope = {
      store: options.store,
      processor: p,
      handlers: options.handlers,
      partition: options.partition,
      epoch: options.epoch,
      hard: this.#hard.signal,
      drain: this.#drain.signal,
      clock: options.clock,
      random: options.random,
      report: (error, event) => options.report(error, 'handler', event),
    };
  }

  get processor(): Processor<never> {
    return this.#o.processor;
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Loads the checkpoint and the parked entries, then subscribes. Throws what stops it from starting. */
  async open(): Promise<void> {
    const { store, processor, partition, epoch } = this.#o;
    const checkpoint = await store.processing.getCheckpoint(processor.name, partition);
    if (checkpoint !== undefined) {
      this.start = (await startPosition(store, checkpoint)) - 1n;
      this.lastWritten = checkpoint.position;
    } else if (processor.startFrom === 'end') {
      const head = await store.headPosition();
      // Written now, so a restart before the first event does not move the start to a later end.
      await store.transaction((tx) =>
        tx.processing.saveCheckpoint({ processor: processor.name, partition, position: head, epoch }),
      );
      this.start = head;
      this.lastWritten = head;
    }
    this.log = new ReceivedLog(this.start);
    const markers: ParkedEvent[] = [];
    for (const entry of await store.processing.listParked({ processor: processor.name, limit: MAX_PARKED_LIMIT })) {
      if (entry.partition !== partition) continue;
      if (!entry.blocking) {
        // Parked after the last checkpoint: the redelivery must not handle it again.
        if (entry.position > this.start) this.#skipIds.add(entry.eventId.toLowerCase());
        continue;
      }
      const known = this.blocked.get(entry.streamId);
      if (known !== undefined && known.version <= entry.version) continue;
      const marker = isHeldMarker(entry);
      this.blocked.set(entry.streamId, {
        mode: marker ? 'replaying' : 'blocked',
        version: entry.version,
        heldUpTo: this.start,
      });
      if (marker) markers.push(entry);
    }
    if (this.closing) return;
    const subscription = store.subscribe(
      {
        from: this.start + 1n,
        filter: processor.filter,
        pageSize: this.#o.pageSize,
        pollIntervalMs: this.#o.pollIntervalMs,
      },
      (event) => this.#accept(event),
    );
    this.#subscription = subscription;
    subscription.done.then(
      () => {
        if (!this.closing)
          this.fail(new TidingsError('SUBSCRIPTION_ENDED', 'The store subscription ended on its own.'));
      },
      (error: unknown) => this.fail(error),
    );
    // A replay interrupted by a stop or a crash resumes by itself.
    for (const marker of markers) void this.track(resumeReplay(this, marker));
  }

  /** Graceful stop: no new units, running ones finish, the final checkpoint is written. */
  stop(): Promise<SessionEnd> {
    this.#startClose();
    return this.ended;
  }

  /** Ends the session with `error` (lease lost, store failure): handlers' signals abort. */
  fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = { error };
    this.#hard.abort(error);
    this.#drain.abort(error);
    this.#startClose();
  }

  /** After a stop timed out: abort the handlers' signals. */
  abort(): void {
    this.#hard.abort(new AbortedError('processor stop', undefined));
    this.#drain.abort();
  }

  /** Keeps the session open until `op` settled; its errors are the caller's. */
  track<T>(op: Promise<T>): Promise<T> {
    this.#ops.add(op);
    const forget = (): void => void this.#ops.delete(op);
    op.then(forget, forget);
    return op;
  }

  /** Serialises parked-event work per stream (operator retries and automatic replays). */
  streamLock(streamId: string): AsyncLock {
    let lock = this.#streamLocks.get(streamId);
    if (lock === undefined) this.#streamLocks.set(streamId, (lock = new AsyncLock()));
    return lock;
  }

  /** Held again (a retry or a held event failed): the stream's waiting events are held too. */
  reblock(streamId: string, version: bigint, heldUpTo: bigint): void {
    const b: BlockedStream = { mode: 'blocked', version, heldUpTo };
    this.blocked.set(streamId, b);
    const waiting = [...this.log.openEntries()].filter((e) => e.event.streamId === streamId && e.state === 'pending');
    for (const entry of waiting) this.#hold(entry, b);
    this.#changed();
  }

  /** The replay of a stream finished: it flows again, skipping deliveries the replay already handled. */
  release(streamId: string, replayedVersion: bigint): void {
    this.blocked.delete(streamId);
    const before = this.replayedUpTo.get(streamId);
    if (before === undefined || before < replayedVersion) this.replayedUpTo.set(streamId, replayedVersion);
    this.#dispatch();
    this.#changed();
  }

  parkedEntry(entry: ParkedEvent): void {
    this.#o.counters.parked++;
    this.#o.onParked(entry);
  }

  handledOne(): void {
    this.#o.counters.handled++;
  }

  /** Caught up with `target`: nothing open, the checkpoint written, no selected event in (last received, target]. */
  async caughtUp(target: bigint): Promise<boolean> {
    if (this.closing || this.log.open > 0 || this.#parkQueue.length > 0 || this.#flushing !== undefined) return false;
    if (this.#ops.size > 0) return false;
    const last = this.log.lastReceived;
    if ((this.lastWritten ?? this.start) < this.log.watermark()) return false;
    if (last >= target) return true;
    for await (const event of this.#o.store.readAll({ from: last + 1n, limit: 1, filter: this.#o.processor.filter })) {
      return event.position > target;
    }
    return true;
  }

  #accept(event: RecordedEvent): Promise<void> | undefined {
    if (this.closing) return undefined;
    const entry = this.log.add(event, this.#o.clock.now());
    const b = this.blocked.get(event.streamId);
    if (b?.mode === 'blocked') {
      this.#hold(entry, b);
      this.#changed();
    } else if (this.#skipIds.size > 0 && this.#skipIds.delete(event.id.toLowerCase())) {
      this.log.done(entry);
      this.#changed();
    } else {
      this.#soon();
    }
    if (this.log.open < this.#capacity || this.closing) return undefined;
    return new Promise<void>((resolve) => (this.#room = resolve));
  }

  #hold(entry: Entry, b: BlockedStream): void {
    if (entry.event.position > b.heldUpTo) b.heldUpTo = entry.event.position;
    this.log.done(entry);
  }

  #changed(): void {
    if (this.#room !== undefined && (this.log.open < this.#capacity || this.closing)) {
      const room = this.#room;
      this.#room = undefined;
      room();
    }
    this.#scheduleFlush();
    this.#o.progress();
  }

  /**
   * Dispatches now when a full unit is waiting, otherwise after the current burst of deliveries
   * (one macrotask): a catch-up page arrives event by event in microtasks, so waiting for the
   * turn to end lets units fill up instead of starting one per event.
   */
  #soon(): void {
    if (this.log.open >= this.#o.processor.batch.maxEvents * (this.#units.size + 1)) {
      this.#dispatch();
      return;
    }
    if (this.#deferred) return;
    this.#deferred = true;
    nextTurn(() => {
      this.#deferred = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (!this.closing && !this.#o.leaseFresh()) {
      // Paused past the lease (GC, SIGSTOP, a stalled loop): start nothing until a renewal says it is ours.
      if (!this.#confirming) {
        this.#confirming = true;
        void this.#o.confirmLease().then((held) => {
          this.#confirming = false;
          if (held) this.#soon();
        });
      }
      return;
    }
    while (!this.closing && this.#units.size < this.#maxUnits) {
      const unit = this.#formUnit();
      if (unit === undefined) return;
      this.#startUnit(unit);
    }
  }

  /** The next unit: pending events in position order whose stream is free, at most `maxEvents`. */
  #formUnit(): Entry[] | undefined {
    const { maxEvents, maxWaitMs } = this.#o.processor.batch;
    const picked: Entry[] = [];
    const streams = new Set<string>();
    const settled: { entry: Entry; b: BlockedStream | undefined }[] = [];
    for (const entry of this.log.openEntries()) {
      if (entry.state !== 'pending') continue;
      const s = entry.event.streamId;
      if (this.#busy.has(s)) continue;
      const b = this.blocked.get(s);
      if (b !== undefined) {
        if (b.mode === 'blocked') settled.push({ entry, b });
        continue;
      }
      const replayed = this.replayedUpTo.get(s);
      if (replayed !== undefined && entry.event.version <= replayed) {
        settled.push({ entry, b: undefined });
        continue;
      }
      picked.push(entry);
      streams.add(s);
      if (picked.length >= maxEvents) break;
    }
    for (const { entry, b } of settled) {
      if (b === undefined) this.log.done(entry);
      else this.#hold(entry, b);
    }
    if (settled.length > 0) this.#changed();
    const first = picked[0];
    if (first === undefined) return undefined;
    if (picked.length < maxEvents && maxWaitMs > 0 && this.log.open < this.#capacity) {
      const waited = this.#o.clock.now() - first.receivedAt;
      if (waited < maxWaitMs) {
        this.#batchTimer ??= this.#o.clock.setTimeout(() => {
          this.#batchTimer = undefined;
          this.#dispatch();
        }, maxWaitMs - waited);
        return undefined;
      }
    }
    for (const entry of picked) entry.state = 'running';
    for (const s of streams) this.#busy.add(s);
    return picked;
  }

  #startUnit(entries: Entry[]): void {
    const streams = new Set(entries.map((e) => e.event.streamId));
    const run: Promise<void> = this.#runUnit(entries)
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.#units.delete(run);
        for (const s of streams) this.#busy.delete(s);
        // The checkpoint first: a holder resuming from a pause writes (and is fenced) before it renews.
        this.#changed();
        this.#soon();
      });
    this.#units.add(run);
  }

  async #runUnit(entries: Entry[]): Promise<void> {
    const { processor, handlers } = this.#o;
    const transactional = processor.effects === 'transactional';
    const lock = transactional ? this.#txLock : undefined;
    if (entries.length > 1 && !(processor.effects === 'external' && handlers.perEvent)) {
      try {
        const events = entries.map((e) => e.event);
        const step = transactional ? this.#checkpointStep(new Set(entries)) : undefined;
        await raceAbort(handleOnce(this.scope, events, 1, 'live', step, lock), this.#hard.signal, 'processor unit');
        this.#finish(entries);
        return;
      } catch (error) {
        if (error instanceof AbortedError && this.#hard.signal.aborted) return;
        if (!(error instanceof HandlerFailure)) throw error;
        this.#o.report(error.error, 'handler', entries[0]?.event);
      }
    }
    // One by one: finds the failing event, retries it, parks it, keeps the others' order.
    for (const entry of entries) {
      if (entry.state === 'done') continue;
      if (this.#drain.signal.aborted) return;
      const b = this.blocked.get(entry.event.streamId);
      if (b !== undefined) {
        this.#hold(entry, b);
        continue;
      }
      const outcome = await handleWithRetries(
        this.scope,
        [entry.event],
        'live',
        transactional ? () => this.#checkpointStep(new Set([entry])) : undefined,
        lock,
      );
      if (outcome.kind === 'abandoned') return;
      if (outcome.kind === 'ok') this.#finish([entry]);
      else await this.#park(entry, outcome.error, outcome.attempts);
    }
  }

  #finish(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.state === 'done') continue;
      this.log.done(entry);
      this.#o.counters.handled++;
    }
    this.#changed();
  }

  #written(): bigint {
    return this.lastWritten ?? this.start;
  }

  /** Saves the watermark (counting `also` as done) in the unit's transaction, when it moved. */
  #checkpointStep(also: ReadonlySet<Entry>): TxStep {
    return async (tx) => {
      const position = this.log.watermarkIfDone(also);
      if (position <= this.#written()) return undefined;
      const { processor, partition, epoch } = this.#o;
      await tx.processing.saveCheckpoint({ processor: processor.name, partition, position, epoch });
      return () => {
        this.lastWritten = position;
      };
    };
  }

  /** Parks durably before the watermark can pass the event; with block-stream its stream is held from now. */
  async #park(entry: Entry, error: Error, attempts: number): Promise<void> {
    const { processor, partition, epoch, store } = this.#o;
    const blocking = processor.onFailure === 'block-stream';
    const request: ParkRequest = {
      processor: processor.name,
      partition,
      event: pick(entry.event),
      error: serializeError(error),
      attempts,
      blocking,
      epoch,
    };
    if (blocking) this.#blockBehind(entry);
    if (processor.effects !== 'transactional') {
      this.#parkQueue.push({ entry, request });
      this.#scheduleFlush();
      return;
    }
    const parked = await this.#txLock.run(async () => {
      let moved: bigint | undefined;
      const result = await store.transaction(async (tx) => {
        const p = await tx.processing.park(request);
        const position = this.log.watermarkIfDone(new Set([entry]));
        if (position > this.#written()) {
          await tx.processing.saveCheckpoint({ processor: processor.name, partition, position, epoch });
          moved = position;
        }
        return p;
      });
      if (moved !== undefined) this.lastWritten = moved;
      return result;
    });
    this.log.done(entry);
    this.parkedEntry(parked);
    this.#changed();
  }

  #blockBehind(entry: Entry): void {
    const s = entry.event.streamId;
    const b: BlockedStream = { mode: 'blocked', version: entry.event.version, heldUpTo: entry.event.position };
    this.blocked.set(s, b);
    const later = [...this.log.openEntries()].filter(
      (e) => e !== entry && e.event.streamId === s && e.event.position > entry.event.position,
    );
    for (const e of later) this.#hold(e, b);
  }

  #scheduleFlush(): void {
    if (this.#failure !== undefined) return;
    if (this.#flushing !== undefined) {
      this.#flushAgain = true;
      return;
    }
    const run: Promise<void> = this.#flushLoop()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        if (this.#flushing === run) this.#flushing = undefined;
        this.#o.progress();
      });
    this.#flushing = run;
  }

  async #flushLoop(): Promise<void> {
    do {
      this.#flushAgain = false;
      await this.#flushOnce();
    } while (this.#flushAgain && this.#failure === undefined);
  }

  /** One checkpoint transaction: queued parks plus the watermark that counts them done. */
  async #flushOnce(): Promise<void> {
    const { store, processor, partition, epoch } = this.#o;
    await this.#txLock.run(async () => {
      const parks = this.#parkQueue.splice(0);
      const position = this.log.watermarkIfDone(new Set(parks.map((p) => p.entry)));
      const move = position > this.#written();
      if (!move && parks.length === 0) return;
      const parked = await store.transaction(async (tx) => {
        const entries: ParkedEvent[] = [];
        for (const p of parks) entries.push(await tx.processing.park(p.request));
        if (move) await tx.processing.saveCheckpoint({ processor: processor.name, partition, position, epoch });
        return entries;
      });
      if (move) this.lastWritten = position;
      parks.forEach((p, i) => {
        this.log.done(p.entry);
        this.parkedEntry(parked[i] as ParkedEvent);
      });
      if (parks.length > 0) this.#changed();
    });
  }

  #startClose(): void {
    if (this.#closeStarted) return;
    this.#closeStarted = true;
    void this.#close();
  }

  async #close(): Promise<void> {
    this.closing = true;
    this.#batchTimer?.cancel();
    this.#drain.abort();
    if (this.#room !== undefined) {
      const room = this.#room;
      this.#room = undefined;
      room();
    }
    try {
      await this.#subscription?.close();
      while (this.#units.size > 0 || this.#ops.size > 0) {
        await Promise.allSettled([...this.#units, ...this.#ops]);
      }
      if (this.#failure === undefined) {
        while (this.#flushing !== undefined) await this.#flushing;
        if (this.#failure === undefined) await this.#flushOnce();
      }
    } catch (error) {
      this.#failure ??= { error };
    }
    this.#resolveEnded(this.#failure === undefined ? {} : { error: this.#failure.error });
  }
}
