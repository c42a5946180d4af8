/**
 * Group commit, shared by every store that writes through one connection at a time (decisions
 * 0201 and 0301): appends queued while a write is in flight go together into the next batch,
 * bounded by count, events and bytes; each keeps its own outcome; a batch that fails as a whole
 * is retried member by member so that only the culprit fails. Exclusive units of work (a caller's
 * transaction, stream administration) run alone, in queue order. The store adds only its SQL.
 */
import { TidingsError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';

/** What one member of a batch got: its own result or its own refusal. */
export type MemberOutcome<R> =
  { readonly ok: true; readonly result: R } | { readonly ok: false; readonly error: unknown };

/** Bounds of one batch. */
export interface BatchLimits {
  /** Most members per batch. */
  readonly maxBatchAppends: number;
  /** Most events per batch (summed over members). Default: unbounded. */
  readonly maxBatchEvents?: number | undefined;
  /** Most bytes per batch (summed over members). */
  readonly maxBatchBytes: number;
}

/** How big a member is, for the bounds. */
export interface MemberSize {
  readonly events: number;
  readonly bytes: number;
}

/** A job waiting in the queue: an append (a batch member) or an exclusive unit of work. */
export type QueuedJob<M> =
  | {
      readonly kind: 'append';
      readonly member: M;
      readonly size: MemberSize;
      /** Clock time after which entering the write section fails it (when the store gives deadlines). */
      readonly deadline: number;
      /** Set after its batch failed as a whole: written in a batch of its own. */
      solo: boolean;
      readonly resolve: (result: never) => void;
      readonly reject: (error: unknown) => void;
    }
  | {
      readonly kind: 'exclusive';
      /** What it is, for error messages. */
      readonly what: string;
      readonly run: () => Promise<unknown>;
      readonly deadline: number;
      readonly resolve: (result: never) => void;
      readonly reject: (error: unknown) => void;
    };

type AppendJob<M> = Extract<QueuedJob<M>, { kind: 'append' }>;

export interface BatchCoalescerOptions<M, R> {
  readonly limits: BatchLimits;
  /** Size of a member, computed once when it is queued. */
  readonly size: (member: M) => MemberSize;
  /**
   * Writes a batch and returns one outcome per member, in order; synchronous stores may return
   * the array directly (no extra turn). Throws when the batch failed as a whole (nothing of it
   * stored, or the outcome unknown).
   */
  readonly write: (batch: readonly M[]) => readonly MemberOutcome<R>[] | Promise<readonly MemberOutcome<R>[]>;
  /** Whether a batch that failed as a whole is retried member by member. Default: always. */
  readonly retryable?: ((error: unknown) => boolean) | undefined;
  /** The error one member's caller sees when its batch (or it alone) failed as a whole. Default: the error. */
  readonly toError?: ((error: unknown, member: M) => unknown) | undefined;
  /** Told after each batch that was written (its members and outcomes). */
  readonly committed?: ((batch: readonly M[], outcomes: readonly MemberOutcome<R>[]) => void) | undefined;
  /**
   * Runs before each batch is formed and before each exclusive job, with the job at the head of
   * the queue: takes the store's write section (SQLite: `BEGIN IMMEDIATE`). Taking it first means
   * everything that queued during the wait rides the same batch. Returns false when it could not
   * and has failed jobs itself (see {@link BatchCoalescer.rejectWhere}); the loop then looks again.
   */
  readonly enter?: ((head: QueuedJob<M>) => boolean | Promise<boolean>) | undefined;
  /**
   * When given, a member that shares an id with one already in the forming batch ends the batch
   * (a retry racing its original then finds the original stored and is answered exactly).
   */
  readonly ids?: ((member: M) => Iterable<string>) | undefined;
  /** Deadline of a job queued now (clock time); default: none. */
  readonly deadline?: (() => number) | undefined;
  /**
   * While an exclusive job runs (it holds the write section: a caller's transaction, perhaps the
   * very one whose work queued the call), a queued job whose deadline passes is failed with
   * `error(job)` instead of waiting for ever behind it. Without it, queued jobs wait.
   */
  readonly expire?:
    { readonly clock: Pick<Clock, 'now' | 'setTimeout'>; readonly error: (job: QueuedJob<M>) => unknown } | undefined;
  /**
   * Schedules the first pass after the queue went from idle to busy. Default `queueMicrotask`
   * (appends issued in the same synchronous run share a batch); SQLite uses `setImmediate` so
   * that appends issued in the same event-loop turn do.
   */
  readonly schedule?: ((run: () => void) => void) | undefined;
}

/**
 * The batch coalescer: one queue, one write at a time. See the module comment.
 *
 * @example
 * const coalescer = new BatchCoalescer<Prepared, AppendResult>({
 *   limits: { maxBatchAppends: 256, maxBatchBytes: 8 << 20 },
 *   size: (a) => ({ events: a.events.length, bytes: a.bytes }),
 *   write: (batch) => writeBatchInOneTransaction(batch), // one outcome per member
 * });
 * const result = await coalescer.append(prepared);
 */
export class BatchCoalescer<M, R> {
  readonly #o: BatchCoalescerOptions<M, R>;
  readonly #maxEvents: number;
  #queue: QueuedJob<M>[] = [];
  #running = false;
  #scheduled = false;
  #idle: (() => void)[] = [];
  #exclusiveRunning = false;
  #waitTimer: TimerHandle | undefined;

  constructor(options: BatchCoalescerOptions<M, R>) {
    this.#o = options;
    this.#maxEvents = options.limits.maxBatchEvents ?? Number.POSITIVE_INFINITY;
  }

  /** Queues one append; settles with its own outcome. */
  append(member: M): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#push({
        kind: 'append',
        member,
        size: this.#o.size(member),
        deadline: this.#o.deadline?.() ?? Number.POSITIVE_INFINITY,
        solo: false,
        resolve: resolve,
        reject,
      });
    });
  }

  /** Runs `run` alone, after every job queued before it; settles with its result. */
  exclusive<T>(what: string, run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#push({
        kind: 'exclusive',
        what,
        run,
        deadline: this.#o.deadline?.() ?? Number.POSITIVE_INFINITY,
        resolve: resolve,
        reject,
      });
    });
  }

  /** Resolves once every job queued so far has settled. */
  idle(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Removes and fails the queued jobs matching `predicate` (for an `enter` that gave up waiting). */
  rejectWhere(predicate: (job: QueuedJob<M>) => boolean, error: (job: QueuedJob<M>) => unknown): void {
    const kept: QueuedJob<M>[] = [];
    const failed: QueuedJob<M>[] = [];
    for (const job of this.#queue) (predicate(job) ? failed : kept).push(job);
    this.#queue = kept;
    for (const job of failed) job.reject(error(job));
  }

  #push(job: QueuedJob<M>): void {
    this.#queue.push(job);
    if (this.#exclusiveRunning) this.#armWaitTimer();
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    (this.#o.schedule ?? queueMicrotask)(() => {
      this.#scheduled = false;
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!;
        if (this.#o.enter !== undefined) {
          const entered = this.#o.enter(head);
          if (!(entered === true || (entered !== false && (await entered)))) continue;
        }
        if (head.kind === 'exclusive') {
          this.#queue.shift();
          await this.#runExclusive(head);
        } else {
          const batch = this.#take();
          const written = this.#write(batch);
          if (written !== undefined) await written;
        }
      }
    } finally {
      this.#running = false;
      const waiters = this.#idle;
      this.#idle = [];
      for (const resolve of waiters) resolve();
    }
  }

  async #runExclusive(job: Extract<QueuedJob<M>, { kind: 'exclusive' }>): Promise<void> {
    this.#exclusiveRunning = true;
    this.#armWaitTimer();
    try {
      job.resolve((await job.run()) as never);
    } catch (error) {
      job.reject(error);
    } finally {
      this.#exclusiveRunning = false;
      this.#waitTimer?.cancel();
      this.#waitTimer = undefined;
    }
  }

  /** While an exclusive job runs: fails queued jobs as their deadlines pass (see `expire`). */
  #armWaitTimer(): void {
    const expire = this.#o.expire;
    if (expire === undefined || this.#waitTimer !== undefined || this.#queue.length === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const job of this.#queue) if (job.deadline < first) first = job.deadline;
    if (!Number.isFinite(first)) return;
    this.#waitTimer = expire.clock.setTimeout(
      () => {
        this.#waitTimer = undefined;
        if (!this.#exclusiveRunning) return;
        const now = expire.clock.now();
        this.rejectWhere(
          (job) => job.deadline <= now,
          (job) => expire.error(job),
        );
        this.#armWaitTimer();
      },
      Math.max(1, first - expire.clock.now()),
    );
  }

  #take(): AppendJob<M>[] {
    const { maxBatchAppends, maxBatchBytes } = this.#o.limits;
    const ids = this.#o.ids === undefined ? undefined : new Set<string>();
    const batch: AppendJob<M>[] = [];
    let events = 0;
    let bytes = 0;
    let n = 0;
    for (; n < this.#queue.length && batch.length < maxBatchAppends; n++) {
      const job = this.#queue[n]!;
      if (job.kind !== 'append') break;
      if (batch.length > 0) {
        if (job.solo || events + job.size.events > this.#maxEvents || bytes + job.size.bytes > maxBatchBytes) break;
        if (ids !== undefined && repeats(ids, this.#o.ids!(job.member))) break;
      }
      batch.push(job);
      if (ids !== undefined) for (const id of this.#o.ids!(job.member)) ids.add(id);
      events += job.size.events;
      bytes += job.size.bytes;
      if (job.solo) {
        n++;
        break;
      }
    }
    this.#queue = n === this.#queue.length ? [] : this.#queue.slice(n);
    return batch;
  }

  /** Writes a batch and settles its members; returns a promise only when the write is asynchronous. */
  #write(batch: AppendJob<M>[]): Promise<void> | undefined {
    let written: readonly MemberOutcome<R>[] | Promise<readonly MemberOutcome<R>[]>;
    try {
      written = this.#o.write(batch.map((j) => j.member));
    } catch (error) {
      this.#failed(batch, error);
      return undefined;
    }
    if (!(written instanceof Promise)) {
      this.#settle(batch, written);
      return undefined;
    }
    return written.then(
      (outcomes) => this.#settle(batch, outcomes),
      (error: unknown) => this.#failed(batch, error),
    );
  }

  #failed(batch: AppendJob<M>[], error: unknown): void {
    if (batch.length > 1 && (this.#o.retryable?.(error) ?? true)) {
      // Not one member's own refusal: retry each alone (first, in order), so only the culprit fails.
      for (const job of batch) job.solo = true;
      this.#queue.unshift(...batch);
      return;
    }
    for (const job of batch) job.reject(this.#o.toError === undefined ? error : this.#o.toError(error, job.member));
  }

  #settle(batch: AppendJob<M>[], outcomes: readonly MemberOutcome<R>[]): void {
    if (outcomes.length !== batch.length) {
      const error = new TidingsError(
        'STORE_PROTOCOL',
        `The store's batch write returned ${outcomes.length} outcomes for ${batch.length} appends; its outcome is unknown.`,
      );
      for (const job of batch) job.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i]!;
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.result as never);
      else job.reject(outcome.error);
    }
    if (this.#o.committed !== undefined) {
      this.#o.committed(
        batch.map((j) => j.member),
        outcomes,
      );
    }
  }
}

function repeats(seen: ReadonlySet<string>, ids: Iterable<string>): boolean {
  for (const id of ids) if (seen.has(id)) return true;
  return false;
}
