import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import {
  StoreClosedError,
  TidingsError,
  uuidv7,
  ValidationError,
  type AppendOptions,
  type AppendResult,
  type DeleteMode,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type HeadListener,
  type ReadAllOptions,
  type ReadByTimeOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoreInfo,
  type StoreTransaction,
  type StreamInfo,
  type StreamMetadata,
} from 'tidings';
import {
  assertStreamId,
  assertTruncateVersion,
  encodeStreamMetadata,
  prepareAppend,
  resolveDeleteOptions,
} from 'tidings/store-kit';
import { AppendSql, type PreparedAppend } from './append-sql.js';
import { isBusy, withBusyRetry, type BusyRetry } from './busy.js';
import { headProbe } from './head-probe.js';
import { checkFile, migrate, type MigrationHook } from './migrations.js';
import type { ResolvedOptions, SqliteEventStoreOptions } from './options.js';
import { Reads } from './reads.js';
import { StreamAdminSql } from './stream-admin-sql.js';
import { resolveOptions } from './resolve-options.js';
import { WriteQueue } from './write-queue.js';
import { HeadNotifier, subscribeToStore } from 'tidings/store-kit';
import { ProcessingSql } from './processing-sql.js';
import { sqliteProcessingStore, sqliteTransactionProcessing } from './processing-store.js';

/** The SQLite event store: the full `EventStore` contract; `transaction` hands out the better-sqlite3 `Database`. */
export type SqliteEventStore = EventStore<Db>;

const DURABILITY = {
  normal:
    'SQLite WAL, synchronous=NORMAL: an acknowledged append survives a crash of the process; an OS crash or power loss may lose the last commits but never corrupts the file or tears an append.',
  full: 'SQLite WAL, synchronous=FULL: an acknowledged append is fsynced to the WAL before it is acknowledged, so it survives an OS crash or power loss too.',
} as const;

function finished(what: string): TidingsError {
  return new TidingsError(
    'TRANSACTION_FINISHED',
    `tx.${what}() was called after the transaction finished. Use the transaction only inside work, and await every call.`,
  );
}

/** Internal knobs for tests; not part of the public API. */
export interface InternalOptions {
  readonly migrationHook?: MigrationHook | undefined;
}

function openConnections(pathOrDatabase: string | Db): { writer: Db; owned: boolean } {
  if (typeof pathOrDatabase === 'string') {
    if (pathOrDatabase === '' || pathOrDatabase === ':memory:' || pathOrDatabase.startsWith('file::memory:')) {
      throw new ValidationError(
        `sqliteEventStore('${pathOrDatabase}') needs a file path: the store uses WAL and a second read connection, which an in-memory SQLite database cannot share. For tests without a file use the in-memory event store from 'tidings'.`,
        [{ path: ['pathOrDatabase'], message: 'in-memory database' }],
        { code: 'INVALID_STORE_PATH' },
      );
    }
    return { writer: new Database(pathOrDatabase), owned: true };
  }
  if (pathOrDatabase.memory) {
    throw new ValidationError(
      'sqliteEventStore(db) needs a database opened on a file, not an in-memory one: the store uses WAL and a second read connection.',
      [{ path: ['pathOrDatabase'], message: 'in-memory database' }],
    );
  }
  return { writer: pathOrDatabase, owned: false };
}

/**
 * Opens (creating and migrating when needed) a Tidings event store in a SQLite file.
 * A file of another application, a corrupt file or one from a newer release is refused with
 * `IncompatibleStoreError` and left unchanged.
 *
 * @example
 * import { sqliteEventStore } from '@tidings/sqlite';
 *
 * await using store = await sqliteEventStore('shop.db');
 * const { nextVersion } = await store.append('order-42', [{ type: 'order.placed', data: { total: 30 } }], {
 *   expectedVersion: 'no-stream',
 * });
 * for await (const event of store.readStream('order-42')) console.log(event.version, event.type);
 */
export async function sqliteEventStore(
  pathOrDatabase: string | Db,
  options: SqliteEventStoreOptions = {},
): Promise<SqliteEventStore> {
  return openSqliteEventStore(pathOrDatabase, options, {});
}

/** {@link sqliteEventStore} with test hooks. */
export async function openSqliteEventStore(
  pathOrDatabase: string | Db,
  options: SqliteEventStoreOptions,
  internal: InternalOptions,
): Promise<SqliteEventStore> {
  const o = resolveOptions(options);
  const retry: BusyRetry = { clock: o.clock, random: o.random, lockTimeoutMs: o.lockTimeoutMs };
  const { writer, owned } = openConnections(pathOrDatabase);
  let reader: Db | undefined;
  try {
    writer.pragma(`busy_timeout = ${o.busyTimeoutMs}`);
    // Reads only: a file that is not ours is refused before anything is written.
    await withBusyRetry(`Opening '${writer.name}'`, retry, () => checkFile(writer));
    const mode = await withBusyRetry(`Opening '${writer.name}'`, retry, () =>
      writer.pragma('journal_mode = WAL', { simple: true }),
    );
    if (mode !== 'wal') {
      throw new ValidationError(
        `Could not switch '${writer.name}' to WAL (got journal_mode=${String(mode)}); the store needs a local file system.`,
        [],
        {
          code: 'WAL_UNAVAILABLE',
        },
      );
    }
    writer.pragma(`synchronous = ${o.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    await migrate(writer, retry, internal.migrationHook);
    reader = new Database(writer.name, { readonly: true });
    reader.pragma(`busy_timeout = ${o.busyTimeoutMs}`);
    const storeId =
      (writer.prepare("SELECT value FROM store_meta WHERE key = 'store_id'").pluck().get() as string | undefined) ?? '';
    return createStore(writer, reader, owned, storeId, o, retry);
  } catch (error) {
    reader?.close();
    if (owned) writer.close();
    throw error;
  }
}

function createStore(
  writer: Db,
  reader: Db,
  owned: boolean,
  storeId: string,
  o: ResolvedOptions,
  retry: BusyRetry,
): SqliteEventStore {
  let closed = false;
  let closing: Promise<void> | undefined;
  const guard = (): void => {
    if (closed) throw new StoreClosedError('SQLite');
  };
  const appendSql = new AppendSql(writer);
  const admin = new StreamAdminSql(writer);
  const reads = new Reads(reader, o, retry, guard);
  // Inside a transaction reads go through the writer connection, so they see the transaction's own writes.
  const txReads = new Reads(writer, o, retry, guard);
  const head = new HeadNotifier(headProbe(reader), {
    pollIntervalMs: o.pollIntervalMs,
    onError: (error) => o.onError(error),
    isTransient: isBusy,
  });
  const queue = new WriteQueue(writer, appendSql, {
    retry,
    maxBatchAppends: o.maxBatchAppends,
    maxBatchBytes: o.maxBatchBytes,
    committed: () => head.check(),
  });
  const processingSql = new ProcessingSql(writer, storeId);
  const now = (): number => o.clock.now();
  const processing = sqliteProcessingStore(
    {
      reader,
      storeId,
      retry,
      guard,
      now,
      exclusive: (what, work) => queue.exclusive(what, () => Promise.resolve(work())),
    },
    processingSql,
  );
  const encode = o.codec === undefined ? undefined : o.codec.encode.bind(o.codec);

  const prepare = (
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions | undefined,
  ): PreparedAppend => {
    const p = prepareAppend(streamId, events, options, { maxEventBytes: o.maxEventBytes, nextId: uuidv7, encode });
    let idsGiven = false;
    for (const e of events) if (e.id !== undefined) idsGiven = true;
    return { streamId: p.streamId, expectedVersion: p.expectedVersion, events: p.events, idsGiven };
  };

  const store: SqliteEventStore = {
    append(streamId, events, options) {
      try {
        guard();
        return queue.append(prepare(streamId, events, options));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    readStream<T extends string = string, D = unknown>(streamId: string, options?: ReadStreamOptions) {
      return reads.readStream(streamId, options) as AsyncGenerator<RecordedEvent<T, D>>;
    },
    // Reads check for a closed store and validate their options on the first next(), as generators do.
    readAll: (options?: ReadAllOptions) => reads.readAll(options),
    readByType: (types: readonly string[], options?: Omit<ReadAllOptions, 'filter'>) =>
      reads.readAll({ ...options, filter: { types } }),
    readByTime: (options: ReadByTimeOptions) => reads.readByTime(options),
    async streamInfo(streamId: string): Promise<StreamInfo> {
      guard();
      return reads.streamInfo(streamId);
    },
    async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
      guard();
      assertStreamId(streamId);
      const json = encodeStreamMetadata(streamId, metadata);
      await queue.exclusive('setStreamMetadata', () =>
        Promise.resolve(admin.setStreamMetadata(streamId, metadata, json)),
      );
    },
    async truncateBefore(streamId: string, before: bigint): Promise<void> {
      guard();
      assertStreamId(streamId);
      assertTruncateVersion(streamId, before);
      await queue.exclusive('truncateBefore', () => Promise.resolve(admin.truncateBefore(streamId, before)));
    },
    async deleteStream(
      streamId: string,
      options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion },
    ): Promise<void> {
      guard();
      assertStreamId(streamId);
      const { mode, expectedVersion } = resolveDeleteOptions(streamId, options);
      await queue.exclusive('deleteStream', () => Promise.resolve(admin.delete(streamId, mode, expectedVersion)));
    },
    async transaction<R>(work: (tx: StoreTransaction<Db>) => Promise<R>): Promise<R> {
      guard();
      if (typeof work !== 'function') {
        throw new TidingsError(
          'INVALID_ARGUMENT',
          'transaction(work) expects an async function receiving the transaction.',
        );
      }
      const callbacks: (() => void)[] = [];
      const result = await queue.exclusive('transaction', async () => {
        let open = true;
        const active = (what: string): void => {
          if (!open) throw finished(what);
        };
        const tx: StoreTransaction<Db> = {
          connection: writer,
          append(streamId, events, options): Promise<AppendResult> {
            try {
              if (!open) throw finished('append');
              const prepared = prepare(streamId, events, options);
              appendSql.begin(o.clock.now());
              return Promise.resolve(appendSql.apply(prepared));
            } catch (error) {
              return Promise.reject(error);
            }
          },
          readStream: <T extends string = string, D = unknown>(streamId: string, options?: ReadStreamOptions) =>
            txReads.readStream(streamId, options) as AsyncGenerator<RecordedEvent<T, D>>,
          streamInfo: (streamId) => txReads.streamInfo(streamId),
          afterCommit: (callback) => {
            if (!open) throw finished('afterCommit');
            callbacks.push(callback);
          },
          processing: sqliteTransactionProcessing(processingSql, active, now),
        };
        try {
          return await work(tx);
        } finally {
          open = false;
        }
      });
      for (const callback of callbacks) {
        try {
          callback();
        } catch (error) {
          o.onError(error);
        }
      }
      return result;
    },
    async headPosition(): Promise<bigint> {
      guard();
      return reads.headPosition();
    },
    onHeadMoved(listener: HeadListener): Disposable {
      guard();
      return head.add(listener);
    },
    subscribe(options, handler) {
      guard();
      return subscribeToStore(store, options, handler);
    },
    processing,
    info(): Promise<StoreInfo> {
      try {
        guard();
      } catch (error) {
        return Promise.reject(error);
      }
      return Promise.resolve({ storeId, kind: 'sqlite', durability: DURABILITY[o.synchronous] });
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        await queue.idle();
        await head.close();
        reader.close();
        if (owned) writer.close();
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  return store;
}
