import type { Database as Db } from 'better-sqlite3';
import type { AppendOptions, AppendResult, EventToAppend, StoreTransaction } from 'tidings';
import { appendEach, type OpenTransaction, type TransactionShell } from 'tidings/store-kit';
import type { AppendSql, PreparedAppend } from './append-sql.js';
import type { GroupCommit } from './group-commit.js';
import type { ResolvedOptions } from './options.js';
import type { ProcessingSql } from './processing-sql.js';
import { sqliteTransactionProcessing } from './processing-store.js';
import type { Reads } from './reads.js';
import { sqliteTransactionTimers, type TimersSql } from './timers-sql.js';

export interface TransactionDeps {
  readonly writer: Db;
  readonly o: ResolvedOptions;
  readonly shell: TransactionShell;
  readonly queue: GroupCommit;
  readonly appendSql: AppendSql;
  readonly prepare: (
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
  ) => PreparedAppend;
  /** Reads through the writer connection. */
  readonly txReads: Reads;
  readonly processingSql: ProcessingSql;
  readonly timersSql: TimersSql;
  readonly now: () => number;
}

/**
 * `store.transaction(work)`: runs `work` exclusively on the writer connection between append
 * batches; its appends go straight to the prepared statements, its reads see its own writes.
 */
export async function runTransaction<R>(
  deps: TransactionDeps,
  work: (tx: StoreTransaction<Db>) => Promise<R>,
): Promise<R> {
  const { writer, o, shell, queue, appendSql, prepare, txReads, processingSql, timersSql, now } = deps;
  let committed: (() => void) | undefined;
  const result = await queue.exclusive('transaction', async () => {
    const append = (
      streamId: string,
      events: readonly EventToAppend[],
      options: AppendOptions | undefined,
    ): Promise<AppendResult> => {
      try {
        const prepared = prepare(streamId, events, options);
        appendSql.begin(o.clock.now());
        return Promise.resolve(appendSql.apply(prepared));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const open: OpenTransaction<Db> = shell.open<Db>({
      connection: writer,
      append,
      // Through the writer connection, so reads see the transaction's own writes.
      readStream: (streamId, options) => txReads.readStream(streamId, options),
      streamInfo: (streamId) => txReads.streamInfo(streamId),
      // Guarded by the shell too; the SQL layer checks again before each statement.
      processing: sqliteTransactionProcessing(processingSql, (what) => open.assertUsable(what), now),
      timers: sqliteTransactionTimers(timersSql, {
        active: (what) => open.assertUsable(what),
        now,
        maxEventBytes: o.maxEventBytes,
        appendFired: (messages) => appendEach(append, () => open.abortCause, messages),
      }),
    });
    const value = await open.run(work);
    committed = () => open.committed();
    return value;
  });
  // The queue committed when the unit of work resolved.
  committed?.();
  return result;
}
