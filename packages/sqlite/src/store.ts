import type { Database as Db } from 'better-sqlite3';
import {
  StoreClosedError,
  TidingsError,
  type EventStore,
  type HeadListener,
  type ReadAllOptions,
  type ReadByTimeOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoreInfo,
  type StoreTransaction,
  type StreamInfo,
} from 'tidings';
import { HeadNotifier, subscribeToStore, timersOutsideTransaction, TransactionShell } from 'tidings/store-kit';
import { isBusy, type BusyRetry } from './busy.js';
import { DURABILITY } from './durability.js';
import { headProbe } from './head-probe.js';
import type { MigrationHook } from './migrations.js';
import type { ResolvedOptions, SqliteEventStoreOptions } from './options.js';
import { ProcessingSql } from './processing-sql.js';
import { sqliteProcessingStore } from './processing-store.js';
import { TimersSql } from './timers-sql.js';
import { Reads } from './reads.js';
import { resolveOptions } from './resolve-options.js';
import { storeAdmin } from './store-admin.js';
import { storeClose } from './store-close.js';
import { openConnections, openFailed, openReader, prepareWriter, readStoreId } from './store-open.js';
import { runTransaction } from './transaction.js';
import { createWritePath } from './write-path.js';

/** The SQLite event store: the full `EventStore` contract; `transaction` hands out the better-sqlite3 `Database`. */
export type SqliteEventStore = EventStore<Db>;

/** Internal knobs for tests; not part of the public API. */
export interface InternalOptions {
  readonly migrationHook?: MigrationHook | undefined;
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
  options?: SqliteEventStoreOptions,
): Promise<SqliteEventStore> {
  return openSqliteEventStore(pathOrDatabase, options, {});
}

/** {@link sqliteEventStore} with test hooks. */
export async function openSqliteEventStore(
  pathOrDatabase: string | Db,
  options: SqliteEventStoreOptions | undefined,
  internal: InternalOptions,
): Promise<SqliteEventStore> {
  const o = resolveOptions(options);
  const retry: BusyRetry = { clock: o.clock, random: o.random, lockTimeoutMs: o.lockTimeoutMs };
  const { writer, owned } = openConnections(pathOrDatabase);
  let reader: Db | undefined;
  try {
    await prepareWriter(writer, o, retry, internal.migrationHook);
    reader = openReader(writer, o);
    return createStore(writer, reader, owned, readStoreId(writer), o, retry);
  } catch (error) {
    reader?.close();
    if (owned) writer.close();
    throw error instanceof TidingsError ? error : openFailed(writer.name, error);
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
  const guard = (): void => {
    if (closed) throw new StoreClosedError('SQLite');
  };
  const reads = new Reads(reader, o, retry, guard);
  // Inside a transaction reads go through the writer connection, so they see the transaction's own writes.
  const txReads = new Reads(writer, o, retry, guard);
  const head = new HeadNotifier(headProbe(reader), {
    pollIntervalMs: o.pollIntervalMs,
    onError: (error, context) => o.onError(error, context),
    isTransient: isBusy,
  });
  const { prepare, appendSql, queue } = createWritePath({ writer, o, retry, committed: () => head.check() });
  const processingSql = new ProcessingSql(writer, storeId);
  const timersSql = new TimersSql(writer);
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
  const shell = new TransactionShell('SQLite', o.onError);
  const admin = storeAdmin({ writer, queue, shell, guard });
  const transactionDeps = { writer, o, shell, queue, appendSql, prepare, txReads, processingSql, timersSql, now };
  const close = storeClose({
    writer,
    reader,
    owned,
    queue,
    head,
    markClosed: () => {
      closed = true;
    },
  });

  const store: SqliteEventStore = {
    append(streamId, events, options) {
      try {
        guard();
        shell.assertNotInWork('append');
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
      reads.readByType(types, options),
    readByTime: (options: ReadByTimeOptions) => reads.readByTime(options),
    async streamInfo(streamId: string): Promise<StreamInfo> {
      guard();
      return reads.streamInfo(streamId);
    },
    setStreamMetadata: admin.setStreamMetadata,
    truncateBefore: admin.truncateBefore,
    deleteStream: admin.deleteStream,
    async transaction<R>(work: (tx: StoreTransaction<Db>) => Promise<R>): Promise<R> {
      guard();
      shell.assertNotInWork('transaction');
      shell.assertWork(work);
      return runTransaction(transactionDeps, work);
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
    timers: timersOutsideTransaction((work) => store.transaction(work)),
    info(): Promise<StoreInfo> {
      try {
        guard();
      } catch (error) {
        return Promise.reject(error);
      }
      return Promise.resolve({ storeId, kind: 'sqlite', durability: DURABILITY[o.synchronous] });
    },
    close,
    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  return store;
}
