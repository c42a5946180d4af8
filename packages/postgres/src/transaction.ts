import type { PoolClient } from 'pg';
import { TidingsError, TimeoutError, UnknownOutcomeError } from 'tidings';
import type { AppendOptions, EventToAppend, FiredMessage, FiredOutcome, StoreTransaction } from 'tidings';
import { abortedError } from 'tidings/store-kit';
import type { OpenTransaction, TransactionShell } from 'tidings/store-kit';
import { runAppendBatch } from './append-batch.js';
import type { AppendOutcome, PreparedAppend } from './append-batch.js';
import { isConnectionError, mapPgError, neverSent } from './connection.js';
import type { SessionSettings } from './connection.js';
import type { ProcessingSql } from './processing-sql.js';
import { postgresTransactionProcessing } from './processing-store.js';
import { postgresTransactionTimers } from './timers-sql.js';
import type { ReadContext, WithClient } from './reads.js';
import { readStream, streamInfo } from './stream-reads.js';

const ANY: AppendOptions = { expectedVersion: 'any' };

export interface TransactionDeps {
  readonly s: string;
  readonly schema: string;
  readonly settings: SessionSettings;
  readonly readContext: ReadContext;
  readonly target: string;
  readonly prepare: (
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
  ) => PreparedAppend;
  readonly now: () => Date;
  readonly committed: (position: bigint) => void;
  readonly processing: ProcessingSql;
  readonly maxEventBytes: number;
}

/**
 * Runs `work` inside BEGIN … COMMIT on one connection. Appends go straight to the database (not
 * through group commit) and take the schema's head lock, which is then held until COMMIT: append
 * last in the unit of work. A connection lost before COMMIT is sent fails with nothing stored;
 * one lost while COMMIT is in flight is an {@link UnknownOutcomeError}.
 *
 * An append refused for its own reasons (bad input, conflict, duplicate ids, tombstone) is
 * refused before or without a failing statement, so the transaction goes on and commits its other
 * appends, as in every store. A statement that fails in the database (a lock or statement
 * timeout, a lost connection) aborts the whole PostgreSQL transaction: every later `tx` call then
 * fails with `TRANSACTION_ABORTED`, and so does the transaction (decision 0112).
 */
export async function runTransaction<R>(
  client: PoolClient,
  shell: TransactionShell,
  work: (tx: StoreTransaction<PoolClient>) => Promise<R>,
  deps: TransactionDeps,
): Promise<R> {
  let lost: unknown;
  const onLost = (error: unknown): void => {
    lost ??= error;
  };
  const onEnd = (): void => onLost(new Error('Connection terminated'));
  client.on('error', onLost);
  client.on('end', onEnd);
  const streams: string[] = [];
  let top = -1n;
  let broken = false;

  // Reads on the transaction's connection; a failed statement aborts the PostgreSQL transaction.
  const useTx: WithClient = async (use) => {
    open.assertUsable('readStream');
    try {
      return await use(client);
    } catch (error) {
      // A failed or unanswered statement aborts the transaction; a refusal of ours (LeaseLostError) does not.
      if (!(error instanceof TidingsError) || error instanceof TimeoutError) open.abort(error);
      throw mapPgError(error, 'A statement in the store transaction', deps.settings);
    }
  };

  // Writes prepared appends in one batch statement; each keeps its own outcome. A failing
  // statement aborts the transaction.
  const writeBatch = async (prepared: readonly PreparedAppend[], what: string): Promise<AppendOutcome[]> => {
    let outcomes;
    try {
      outcomes = await runAppendBatch(client, deps.schema, prepared, deps.now());
    } catch (error) {
      open.abort(error);
      if (isConnectionError(error)) throw lostBeforeCommit(deps.target, error);
      throw mapPgError(error, what, deps.settings);
    }
    for (let i = 0; i < prepared.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok && prepared[i]!.events.length > 0) {
        streams.push(prepared[i]!.streamId);
        if (outcome.result.position > top) top = outcome.result.position;
      }
    }
    return outcomes;
  };

  // tx.timers.appendFired: every fired message its own append, validated one by one (a refusal is
  // its outcome), the valid ones written by ONE batch statement (decision 1160).
  const appendFired = async (messages: readonly FiredMessage[]): Promise<FiredOutcome[]> => {
    open.assertUsable('timers.appendFired');
    const outcomes = new Array<FiredOutcome>(messages.length);
    const prepared: PreparedAppend[] = [];
    const slots: number[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      try {
        prepared.push(deps.prepare(m.streamId, [m.event], ANY));
        slots.push(i);
      } catch (error) {
        outcomes[i] = { ok: false, error };
      }
    }
    if (prepared.length > 0) {
      const written = await writeBatch(prepared, `The append of ${prepared.length} fired timers`);
      for (let k = 0; k < slots.length; k++) {
        const w = written[k]!;
        outcomes[slots[k]!] = w.ok ? { ok: true } : { ok: false, error: w.error };
      }
    }
    return outcomes;
  };

  const open: OpenTransaction<PoolClient> = shell.open<PoolClient>({
    connection: client,
    async append(streamId, events, options) {
      const prepared = deps.prepare(streamId, events, options);
      const outcome = (await writeBatch([prepared], `The append to '${streamId}'`))[0]!;
      if (!outcome.ok) throw outcome.error;
      return outcome.result;
    },
    readStream: (streamId, options) => readStream(useTx, deps.readContext, streamId, options),
    streamInfo: (streamId) => streamInfo(useTx, deps.readContext, streamId),
    processing: postgresTransactionProcessing(deps.processing, useTx, deps.now, () => open.assertUsable('processing')),
    timers: postgresTransactionTimers(deps.s, useTx, {
      now: () => deps.now().getTime(),
      maxEventBytes: deps.maxEventBytes,
      active: () => open.assertUsable('timers'),
      appendFired,
    }),
  });
  const rollback = async (): Promise<void> => {
    await client.query('rollback').catch(() => {
      broken = true;
    });
  };

  try {
    try {
      // The caller's statements run with the server's planner defaults, not the store's guard.
      await client.query(
        deps.settings.planGuard === true
          ? 'begin; set local enable_seqscan to default; set local jit to default'
          : 'begin',
      );
    } catch (error) {
      broken = isConnectionError(error);
      throw mapPgError(error, 'BEGIN', deps.settings);
    }
    let result: R;
    try {
      result = await open.run(work);
    } catch (error) {
      await rollback();
      throw error;
    }
    if (lost !== undefined) {
      broken = true;
      throw lostBeforeCommit(deps.target, lost);
    }
    if (open.abortCause !== undefined) {
      // A statement of ours failed and work caught the error: PostgreSQL already rolled it all back.
      await rollback();
      throw abortedError('commit', open.abortCause);
    }
    let commit;
    try {
      commit = await client.query('commit');
    } catch (error) {
      if (isConnectionError(error)) {
        broken = true;
        if (neverSent(error)) throw lostBeforeCommit(deps.target, error);
        throw new UnknownOutcomeError(
          streams.length > 0 ? streams.join("', '") : '(transaction without appends)',
          error,
        );
      }
      throw mapPgError(error, 'COMMIT', deps.settings);
    }
    if (commit.command === 'ROLLBACK') {
      throw new TidingsError(
        'TRANSACTION_ABORTED',
        'The store transaction was rolled back at COMMIT because a statement run through tx.connection had failed (its error was caught inside the work). Nothing was stored; let errors propagate out of the work.',
      );
    }
    if (top >= 0n) deps.committed(top);
    open.committed();
    return result;
  } finally {
    client.off('error', onLost);
    client.off('end', onEnd);
    client.release(broken || lost !== undefined);
  }
}

function lostBeforeCommit(target: string, cause: unknown): TidingsError {
  return new TidingsError(
    'CONNECTION_LOST',
    `The connection to ${target} was lost before COMMIT${cause instanceof TimeoutError ? ` (${cause.message})` : ''}: the transaction was rolled back and nothing was stored. Retry the whole unit of work.`,
    { cause },
  );
}
