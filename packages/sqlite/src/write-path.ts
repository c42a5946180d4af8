import type { Database as Db } from 'better-sqlite3';
import { uuidv7, type AppendOptions, type EventToAppend } from 'tidings';
import { prepareAppend } from 'tidings/store-kit';
import { AppendSql, type PreparedAppend } from './append-sql.js';
import type { BusyRetry } from './busy.js';
import { GroupCommit } from './group-commit.js';
import type { ResolvedOptions } from './options.js';

export interface WritePathDeps {
  readonly writer: Db;
  readonly o: ResolvedOptions;
  readonly retry: BusyRetry;
  /** Called after each committed batch. */
  readonly committed: () => void;
}

/** The append path: validation and encoding, the prepared statements, group commit on the writer connection. */
export interface WritePath {
  /** Validates and encodes one append (also used by `transaction`'s appends). */
  readonly prepare: (
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
  ) => PreparedAppend;
  readonly appendSql: AppendSql;
  /** The queue appends are submitted to; `exclusive` runs admin calls and transactions between batches. */
  readonly queue: GroupCommit;
}

/** Builds the write path once per store; an append costs `prepare` plus one queue submission. */
export function createWritePath(deps: WritePathDeps): WritePath {
  const { writer, o, retry } = deps;
  const appendSql = new AppendSql(writer);
  const queue = new GroupCommit(writer, appendSql, {
    retry,
    maxBatchAppends: o.maxBatchAppends,
    maxBatchBytes: o.maxBatchBytes,
    committed: deps.committed,
  });
  const encode = o.codec === undefined ? undefined : o.codec.encode.bind(o.codec);
  const prepare = (
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
  ): PreparedAppend => {
    return prepareAppend(streamId, events, options, { maxEventBytes: o.maxEventBytes, nextId: uuidv7, encode });
  };
  return { prepare, appendSql, queue };
}
