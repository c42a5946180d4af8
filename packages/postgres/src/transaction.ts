import type { PoolClient } from 'pg';
import { TidingsError, TimeoutError, UnknownOutcomeError } from 'tidings';
import type { AppendOptions, EventReader, EventToAppend, StoreTransaction } from 'tidings';
import { runAppendBatch } from './append-batch.js';
import type { PreparedAppend } from './append-batch.js';
import { isConnectionError, mapPgError, neverSent } from './connection.js';
import type { SessionSettings } from './connection.js';
import type { ProcessingSql } from './processing-sql.js';
import { postgresTransactionProcessing } from './processing-store.js';
import type { ReadContext, WithClient } from './reads.js';
import { readStream, streamInfo } from './stream-reads.js';

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
  readonly onError: (error: unknown, context: string) => void;
  readonly processing: ProcessingSql;
}

/**
 * Runs `work` inside BEGIN … COMMIT on one connection. Appends go straight to the database (not
 * through group commit) and take the schema's head lock, which is then held until COMMIT: append
 * last in the unit of work. A connection lost before COMMIT is sent fails with nothing stored;
 * one lost while COMMIT is in flight is an {@link UnknownOutcomeError}.
 */
export async function runTransaction<R>(
  client: PoolClient,
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
  const callbacks: (() => void)[] = [];
  const streams: string[] = [];
  let top = -1n;
  let open = true;
  let broken = false;

  const assertActive = (): void => {
    if (!open)
      throw new TidingsError(
        'TRANSACTION_FINISHED',
        'This store transaction has already committed or rolled back; use it only inside its work function.',
      );
  };
  const useTx: WithClient = async (use) => {
    assertActive();
    try {
      return await use(client);
    } catch (error) {
      throw mapPgError(error, 'A read in the store transaction', deps.settings);
    }
  };
  const reader: EventReader = {
    readStream: ((streamId: string, options?: Parameters<EventReader['readStream']>[1]) =>
      readStream(useTx, deps.readContext, streamId, options)) as EventReader['readStream'],
    streamInfo: (streamId) => streamInfo(useTx, deps.readContext, streamId),
  };
  const tx: StoreTransaction<PoolClient> = {
    ...reader,
    connection: client,
    async append(streamId, events, options) {
      assertActive();
      const prepared = deps.prepare(streamId, events, options);
      let outcomes;
      try {
        outcomes = await runAppendBatch(client, deps.schema, [prepared], deps.now());
      } catch (error) {
        if (isConnectionError(error)) throw lostBeforeCommit(deps.target, error);
        throw mapPgError(error, `The append to '${streamId}'`, deps.settings);
      }
      const outcome = outcomes[0]!;
      if (!outcome.ok) throw outcome.error;
      if (prepared.events.length > 0) {
        streams.push(streamId);
        if (outcome.result.position > top) top = outcome.result.position;
      }
      return outcome.result;
    },
    afterCommit(callback) {
      assertActive();
      callbacks.push(callback);
    },
    processing: postgresTransactionProcessing(deps.processing, useTx, deps.now, assertActive),
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
      result = await work(tx);
    } catch (error) {
      open = false;
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw error;
    }
    open = false;
    if (lost !== undefined) {
      broken = true;
      throw lostBeforeCommit(deps.target, lost);
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
        'The store transaction was rolled back at COMMIT because a statement inside it had failed (its error was caught inside the work). Nothing was stored; let errors propagate out of the work.',
      );
    }
    if (top >= 0n) deps.committed(top);
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        deps.onError(error, 'afterCommit callback');
      }
    }
    return result;
  } finally {
    open = false;
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
