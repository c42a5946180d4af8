import type { Database, Statement } from 'better-sqlite3';
import { ConcurrencyError, DuplicateEventError, StoreBusyError, StreamDeletedError, type AppendResult } from 'tidings';
import { BatchCoalescer, type MemberOutcome, type QueuedJob } from 'tidings/store-kit';
import type { AppendSql, PreparedAppend } from './append-sql.js';
import { withBusyRetry, type BusyRetry } from './busy.js';

export interface GroupCommitOptions {
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
 * The single writer of one store, on the shared {@link BatchCoalescer}: a FIFO of appends and
 * exclusive units of work, served one write transaction (`BEGIN IMMEDIATE`) at a time. Group
 * commit (decision 0201): the lock is taken first, then every append queued by then (up to the
 * count and byte bounds) goes into that one transaction, each with its own checks and outcome.
 * Appends issued in the same event-loop turn, or while a transaction or a lock wait is in flight,
 * ride the next one. What is SQLite's here: the lock (with busy retry and per-job deadlines) and
 * the statements.
 */
export class GroupCommit {
  readonly #coalescer: BatchCoalescer<PreparedAppend, AppendResult>;
  // Prepared once: `exec` would parse the SQL again on every transaction.
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;

  constructor(
    private readonly db: Database,
    private readonly sql: AppendSql,
    private readonly options: GroupCommitOptions,
  ) {
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#coalescer = new BatchCoalescer<PreparedAppend, AppendResult>({
      limits: { maxBatchAppends: options.maxBatchAppends, maxBatchBytes: options.maxBatchBytes },
      size: (append) => {
        let bytes = 0;
        for (const e of append.events) bytes += e.data.length + e.metadata.length;
        return { events: append.events.length, bytes };
      },
      deadline: () => options.retry.clock.now() + options.retry.lockTimeoutMs,
      // One macrotask of delay lets appends issued in the same turn (Promise.all, many callers) share a commit.
      schedule: setImmediate,
      // Uncontended (the usual case): the lock is taken at once, with no await before the batch runs.
      enter: (head) => this.#beginNow() || this.#lock(head),
      // While a unit of work of this store holds the lock (a transaction, perhaps the very one whose
      // work made the queued call), each queued job fails once its lock wait runs out (issue 8 item 3).
      expire: { clock: options.retry.clock, error: (job) => this.#busy(job) },
      write: (batch) => this.#writeBatch(batch),
      committed: () => options.committed(),
    });
  }

  append(append: PreparedAppend): Promise<AppendResult> {
    return this.#coalescer.append(append);
  }

  /** Runs `work` alone inside one write transaction: committed when it resolves, rolled back when it throws. */
  exclusive<R>(what: string, work: () => Promise<R>): Promise<R> {
    return this.#coalescer.exclusive(what, async () => {
      let result: R;
      try {
        result = await work();
        this.#commit.run();
      } catch (error) {
        if (this.db.inTransaction) this.#rollback.run();
        throw error;
      }
      this.options.committed();
      return result;
    });
  }

  /** Resolves once every queued job has finished. */
  idle(): Promise<void> {
    return this.#coalescer.idle();
  }

  /** Tries to take the write lock without waiting; false when another connection holds it (or any error: see #lock). */
  #beginNow(): boolean {
    try {
      this.#begin.run();
      return true;
    } catch {
      // Busy: wait in #lock(). Anything else recurs there and fails the head job with its error.
      return false;
    }
  }

  /** Takes the write lock for the queue's head; on timeout fails every job whose deadline has passed. */
  async #lock(head: QueuedJob<PreparedAppend>): Promise<boolean> {
    const retry = this.options.retry;
    try {
      await withBusyRetry('Waiting for the write lock', retry, () => this.#begin.run(), head.deadline);
      return true;
    } catch (error) {
      const now = retry.clock.now();
      const busy = error instanceof StoreBusyError;
      this.#coalescer.rejectWhere(
        (job) => (busy ? job.deadline <= now : job === head),
        (job) => (busy ? this.#busy(job, error.cause) : error),
      );
      return false;
    }
  }

  #busy(job: QueuedJob<PreparedAppend>, cause?: unknown): StoreBusyError {
    const what = job.kind === 'append' ? `append to '${job.member.streamId}'` : job.what;
    return new StoreBusyError(what, this.options.retry.lockTimeoutMs, cause);
  }

  /** One transaction (already begun by the lock) for the whole batch; each append keeps its own outcome. */
  #writeBatch(batch: readonly PreparedAppend[]): MemberOutcome<AppendResult>[] {
    const outcomes: MemberOutcome<AppendResult>[] = [];
    try {
      this.sql.begin(
        this.options.retry.clock.now(),
        batch.length > 1 ? batch.map((append) => append.streamId) : undefined,
      );
      for (const append of batch) {
        try {
          outcomes.push({ ok: true, result: this.sql.apply(append) });
        } catch (error) {
          if (!ownError(error)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      this.sql.finish();
      this.#commit.run();
    } catch (error) {
      // Something failed that is not one append's own conflict: the coalescer retries each alone.
      if (this.db.inTransaction) this.#rollback.run();
      throw error;
    }
    return outcomes;
  }
}
