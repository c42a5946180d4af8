import type { Database, Statement } from 'better-sqlite3';
import {
  ConcurrencyError,
  DuplicateEventError,
  StoreBusyError,
  StreamDeletedError,
  type AppendResult,
  type TimerHandle,
} from 'tidings';
import type { AppendSql, PreparedAppend } from './append-sql.js';
import { withBusyRetry, type BusyRetry } from './busy.js';

interface AppendJob {
  readonly kind: 'append';
  readonly append: PreparedAppend;
  readonly bytes: number;
  /** Clock time after which waiting for the lock fails with StoreBusyError. */
  readonly deadline: number;
  /** Set after a batch failed for a reason of its own: retried in a transaction alone. */
  solo: boolean;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface ExclusiveJob {
  readonly kind: 'exclusive';
  readonly what: string;
  readonly work: () => Promise<unknown>;
  readonly deadline: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Job = AppendJob | ExclusiveJob;

export interface WriteQueueOptions {
  readonly retry: BusyRetry;
  readonly maxBatchAppends: number;
  readonly maxBatchBytes: number;
  /** Called after every commit (outside the transaction). */
  readonly committed: () => void;
}

/** Errors that belong to one append and must not fail the rest of its batch. */
function ownError(error: unknown): boolean {
  return (
    error instanceof ConcurrencyError || error instanceof DuplicateEventError || error instanceof StreamDeletedError
  );
}

/**
 * The single writer of one store: a FIFO of appends and exclusive units of work, served one
 * write transaction (`BEGIN IMMEDIATE`) at a time. Group commit: the lock is taken first, then
 * every append queued by then (up to the count and byte bounds) goes into that one transaction,
 * each with its own checks and outcome. Appends issued while a transaction or a lock wait is in
 * flight simply queue and ride the next one.
 */
export class WriteQueue {
  private readonly queue: Job[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** A unit of work holds the lock: queued jobs can only wait for it, within their deadline. */
  private exclusiveRunning = false;
  private waitTimer: TimerHandle | undefined;
  // Prepared once: `exec` would parse the SQL again on every transaction.
  private readonly beginStmt: Statement;
  private readonly commitStmt: Statement;
  private readonly rollbackStmt: Statement;

  constructor(
    private readonly db: Database,
    private readonly sql: AppendSql,
    private readonly options: WriteQueueOptions,
  ) {
    this.beginStmt = db.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.prepare('COMMIT');
    this.rollbackStmt = db.prepare('ROLLBACK');
  }

  append(append: PreparedAppend): Promise<AppendResult> {
    let bytes = 0;
    for (const e of append.events) bytes += e.data.length + e.metadata.length;
    return new Promise<AppendResult>((resolve, reject) => {
      this.push({ kind: 'append', append, bytes, deadline: this.deadline(), solo: false, resolve, reject });
    });
  }

  /** Runs `work` alone inside one write transaction: committed when it resolves, rolled back when it throws. */
  exclusive<R>(what: string, work: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.push({
        kind: 'exclusive',
        what,
        work,
        deadline: this.deadline(),
        resolve: resolve as (r: unknown) => void,
        reject,
      });
    });
  }

  /** Resolves once every queued job has finished. */
  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private deadline(): number {
    return this.options.retry.clock.now() + this.options.retry.lockTimeoutMs;
  }

  private push(job: Job): void {
    this.queue.push(job);
    if (this.exclusiveRunning) this.armWaitTimer();
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // One macrotask of delay lets appends issued in the same turn (Promise.all, many callers) share a commit.
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0] as Job;
        // Uncontended (the usual case): the lock is taken at once, with no await before the batch runs.
        if (!this.beginNow() && !(await this.lock(head))) continue;
        if (head.kind === 'exclusive') {
          this.queue.shift();
          await this.runExclusive(head);
        } else {
          this.runBatch(this.takeBatch());
        }
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Tries to take the write lock without waiting; false when another connection holds it (or any error: see lock). */
  private beginNow(): boolean {
    try {
      this.beginStmt.run();
      return true;
    } catch {
      // Busy: wait in lock(). Anything else recurs there and fails the head job with its error.
      return false;
    }
  }

  /** Takes the write lock for the queue's head; on timeout fails every job whose deadline has passed. */
  private async lock(head: Job): Promise<boolean> {
    try {
      await withBusyRetry('Waiting for the write lock', this.options.retry, () => this.beginStmt.run(), head.deadline);
      return true;
    } catch (error) {
      const now = this.options.retry.clock.now();
      const expired = error instanceof StoreBusyError ? this.queue.filter((j) => j.deadline <= now) : [head];
      for (const job of expired) {
        this.queue.splice(this.queue.indexOf(job), 1);
        job.reject(error instanceof StoreBusyError ? this.busy(job, error.cause) : error);
      }
      return false;
    }
  }

  private busy(job: Job, cause?: unknown): StoreBusyError {
    const what = job.kind === 'append' ? `append to '${job.append.streamId}'` : job.what;
    return new StoreBusyError(what, this.options.retry.lockTimeoutMs, cause);
  }

  /**
   * While a unit of work of this store holds the lock (a transaction, perhaps the very one whose
   * work made the queued call), fails each queued job once its lock wait runs out, rather than
   * letting it wait forever (issue 8 item 3).
   */
  private armWaitTimer(): void {
    if (this.waitTimer !== undefined || this.queue.length === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const job of this.queue) if (job.deadline < first) first = job.deadline;
    const clock = this.options.retry.clock;
    this.waitTimer = clock.setTimeout(
      () => {
        this.waitTimer = undefined;
        if (!this.exclusiveRunning) return;
        const now = clock.now();
        for (const job of this.queue.filter((j) => j.deadline <= now)) {
          this.queue.splice(this.queue.indexOf(job), 1);
          job.reject(this.busy(job));
        }
        this.armWaitTimer();
      },
      Math.max(1, first - clock.now()),
    );
  }

  private takeBatch(): AppendJob[] {
    const batch: AppendJob[] = [];
    let bytes = 0;
    while (batch.length < this.options.maxBatchAppends) {
      const next = this.queue[0];
      if (next === undefined || next.kind !== 'append') break;
      if (batch.length > 0 && (next.solo || bytes + next.bytes > this.options.maxBatchBytes)) break;
      this.queue.shift();
      batch.push(next);
      bytes += next.bytes;
      if (next.solo) break;
    }
    return batch;
  }

  private runBatch(batch: AppendJob[]): void {
    const outcomes: ({ ok: true; result: AppendResult } | { ok: false; error: unknown })[] = [];
    try {
      this.sql.begin(
        this.options.retry.clock.now(),
        batch.length > 1 ? batch.map((job) => job.append.streamId) : undefined,
      );
      for (const job of batch) {
        try {
          outcomes.push({ ok: true, result: this.sql.apply(job.append) });
        } catch (error) {
          if (!ownError(error)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      this.sql.finish();
      this.commitStmt.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollbackStmt.run();
      if (batch.length > 1) {
        // Something failed that is not one append's own conflict: retry each alone so only the culprit fails.
        for (const job of batch) job.solo = true;
        this.queue.unshift(...batch);
      } else {
        batch[0]?.reject(error);
      }
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok === true) job.resolve(outcome.result);
      else job.reject(outcome?.error);
    });
    this.options.committed();
  }

  private async runExclusive(job: ExclusiveJob): Promise<void> {
    let result: unknown;
    this.exclusiveRunning = true;
    this.armWaitTimer();
    try {
      result = await job.work();
      this.commitStmt.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollbackStmt.run();
      job.reject(error);
      return;
    } finally {
      this.exclusiveRunning = false;
      this.waitTimer?.cancel();
      this.waitTimer = undefined;
    }
    job.resolve(result);
    this.options.committed();
  }
}
