import type { AppendOptions, AppendResult, EventToAppend } from 'tidings';
import { TidingsError, TimeoutError, UnknownOutcomeError } from 'tidings';
import { prepareAppend } from 'tidings/store-kit';
import type { BatchCoalescer } from 'tidings/store-kit';
import { runAppendBatch } from './append-batch.js';
import type { PreparedAppend } from './append-batch.js';
import { isUnanswered } from './bounded-query.js';
import { isConnectionError, mapPgError, neverSent } from './connection.js';
import type { SessionSettings } from './connection.js';
import { createGroupCommit } from './group-commit.js';
import type { ResolvedOptions } from './options.js';
import type { StoreConnections } from './store-connections.js';

export interface WritePathDeps {
  readonly opts: ResolvedOptions;
  readonly connections: StoreConnections;
  readonly settings: SessionSettings;
  readonly target: string;
  /** Whether the store owns its pool (the lone-append statement needs the plan guard set on its connections). */
  readonly ownsPool: boolean;
  readonly nextId: () => string;
  /** Awaited before the first batch: the schema checked. */
  readonly ready: () => Promise<unknown>;
  /**
   * Told the highest position committed by a batch, and whether a session in another process may
   * be listening for it (false only when the batch's own listener test said nobody was; decision 0312).
   */
  readonly committed: (position: bigint, othersMayListen: boolean) => void;
}

/** The append path outside transactions: validation and encoding, then group commit. */
export interface WritePath {
  /** Validates and encodes one append (also used by `transaction`'s appends). */
  readonly prepare: (
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
  ) => PreparedAppend;
  /** The batch coalescer appends are submitted to. */
  readonly committer: BatchCoalescer<PreparedAppend, AppendResult>;
  /** close() ran out of time: appends still queued fail with `error`, unsent. */
  readonly abandon: (error: TimeoutError) => void;
}

/** Builds the write path once per store; an append costs `prepare` plus one coalescer submission. */
export function createWritePath(deps: WritePathDeps): WritePath {
  const { opts, connections, settings, target, ownsPool, nextId, ready } = deps;
  const { clock } = opts;
  // Set when close() ran out of time: appends still queued fail with it, unsent.
  let abandoned: TimeoutError | undefined;
  // The listener test's answer for the batch being written (read by `committed`, which the
  // coalescer calls right after that batch's write, before the next one starts).
  let othersMayListen = true;
  const listening = (maybe: boolean): void => {
    othersMayListen = maybe;
  };

  const prepare = (
    streamId: string,
    events: readonly EventToAppend[],
    appendOptions: AppendOptions | undefined,
  ): PreparedAppend => {
    const p = prepareAppend(streamId, events, appendOptions, {
      maxEventBytes: opts.maxEventBytes,
      nextId,
      encode: opts.codec === undefined ? undefined : (data, event) => opts.codec!.encode(data, event),
    });
    let bytes = 0;
    for (const e of p.events) bytes += e.data.length + e.metadata.length;
    // Every id generated here: the lone-append statement skips the id look-up (decision 0304).
    const generatedIds = events.every((e) => e.id === undefined);
    return { streamId: p.streamId, expectedVersion: p.expectedVersion, events: p.events, bytes, generatedIds };
  };

  const writeBatch = async (batch: readonly PreparedAppend[]) => {
    if (abandoned !== undefined) throw abandoned;
    othersMayListen = true;
    await ready();
    for (let attempt = 0; ; attempt++) {
      const client = await connections.checkout();
      try {
        const outcomes = await runAppendBatch(client, opts.schema, batch, new Date(clock.now()), {
          autocommit: true,
          guarded: ownsPool,
          listening,
        });
        client.release();
        return outcomes;
      } catch (error) {
        client.release(isConnectionError(error));
        // A pooled connection found dead before the statement was sent: certainly nothing ran.
        if (neverSent(error) && attempt === 0) continue;
        throw error;
      }
    }
  };

  const committer = createGroupCommit(
    {
      write: writeBatch,
      retryable: (error) =>
        !(error instanceof TidingsError) &&
        !isConnectionError(error) &&
        !['55P03', '57014'].includes((error as { code?: string }).code ?? ''),
      toError: (error, append) => {
        // Sent, then abandoned by queryTimeoutMs or close(): it may have committed.
        if (isUnanswered(error)) return new UnknownOutcomeError(append.streamId, error);
        if (error === abandoned) {
          return new TimeoutError(
            `The append to '${append.streamId}' was not sent: store.close() waited closeTimeoutMs (${opts.closeTimeoutMs} ms) for pending work, then ended it. Nothing was stored; retry it on an open store.`,
            opts.closeTimeoutMs,
            { cause: error },
          );
        }
        if (error instanceof TidingsError) return error;
        if (isConnectionError(error)) {
          if (neverSent(error)) {
            return new TidingsError(
              'CONNECTION_LOST',
              `The append to '${append.streamId}' was not sent: the connection to ${target} was lost. Nothing was stored; retry it.`,
              {
                cause: error,
              },
            );
          }
          // The batch is one autocommit statement: it may have committed before the connection died.
          return new UnknownOutcomeError(append.streamId, error);
        }
        return mapPgError(error, `The append to '${append.streamId}'`, settings);
      },
      committed: (position) => deps.committed(position, othersMayListen),
    },
    opts,
  );

  return {
    prepare,
    committer,
    abandon: (error) => {
      abandoned = error;
    },
  };
}
