import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import {
  StoreClosedError,
  TidingsError,
  uuidv7,
  ValidationError,
  type AppendOptions,
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
  describeValue,
  encodeStreamMetadata,
  prepareAppend,
  resolveDeleteOptions,
  TransactionShell,
  type OpenTransaction,
} from 'tidings/store-kit';
import { AppendSql, type PreparedAppend } from './append-sql.js';
import { isBusy, withBusyRetry, type BusyRetry } from './busy.js';
import { headProbe } from './head-probe.js';
import { checkFile, migrate, type MigrationHook } from './migrations.js';
import type { ResolvedOptions, SqliteEventStoreOptions } from './options.js';
import { Reads } from './reads.js';
import { StreamAdminSql } from './stream-admin-sql.js';
import { resolveOptions } from './resolve-options.js';
import { GroupCommit } from './group-commit.js';
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

/** Internal knobs for tests; not part of the public API. */
export interface InternalOptions {
  readonly migrationHook?: MigrationHook | undefined;
}

function openConnections(pathOrDatabase: unknown): { writer: Db; owned: boolean } {
  if (typeof pathOrDatabase === 'string') {
    if (pathOrDatabase === '' || pathOrDatabase === ':memory:' || pathOrDatabase.startsWith('file::memory:')) {
      throw new ValidationError(
        `sqliteEventStore('${pathOrDatabase}') needs a file path: the store uses WAL and a second read connection, which an in-memory SQLite database cannot share. For tests without a file use the in-memory event store from 'tidings'.`,
        [{ path: ['pathOrDatabase'], message: 'in-memory database' }],
        { code: 'INVALID_STORE_PATH' },
      );
    }
    try {
      return { writer: new Database(pathOrDatabase), owned: true };
    } catch (error) {
      throw openFailed(pathOrDatabase, error);
    }
  }
  if (!isDatabase(pathOrDatabase)) {
    throw new ValidationError(
      `sqliteEventStore(pathOrDatabase) expects a file path (a string such as 'events.db') or an open better-sqlite3 Database, got ${describeValue(pathOrDatabase)}.`,
      [{ path: ['pathOrDatabase'], message: 'not a path or a Database' }],
      { code: 'INVALID_STORE_PATH' },
    );
  }
  if (pathOrDatabase.memory) {
    throw new ValidationError(
      'sqliteEventStore(db) needs a database opened on a file, not an in-memory one: the store uses WAL and a second read connection.',
      [{ path: ['pathOrDatabase'], message: 'in-memory database' }],
      { code: 'INVALID_STORE_PATH' },
    );
  }
  if (pathOrDatabase.readonly) throw readOnly(pathOrDatabase.name, 'the Database was opened with { readonly: true }');
  return { writer: pathOrDatabase, owned: false };
}

function isDatabase(value: unknown): value is Db {
  const db = value as Partial<Db> | null;
  return (
    typeof db === 'object' &&
    db !== null &&
    typeof db.prepare === 'function' &&
    typeof db.pragma === 'function' &&
    typeof db.name === 'string'
  );
}

/** Opening or preparing the file failed: an error that names the file and says what to check. */
function openFailed(path: string, error: unknown): TidingsError {
  const dir = dirname(resolve(path));
  let why = 'check that the path names a SQLite file (or a new one) in a directory this process can write';
  if (existsSync(path) && statSync(path).isDirectory()) {
    why = `it is a directory; give the path of a file in it, such as '${join(path, 'events.db')}'`;
  } else if (!existsSync(dir)) {
    why = `its directory '${dir}' does not exist; create it first`;
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new TidingsError('STORE_OPEN_FAILED', `Cannot open the SQLite event store '${path}': ${why} (${detail}).`, {
    cause: error,
  });
}

function readOnly(path: string, why: string, cause?: unknown): TidingsError {
  return new TidingsError(
    'STORE_READ_ONLY',
    `The SQLite event store '${path}' cannot be written: ${why}. A store must be able to write its file (and its -wal and -shm files beside it): fix the permissions or open a writable copy.`,
    { cause },
  );
}

/**
 * A read-only file opens and reads fine, then fails the first append with SQLITE_READONLY: find
 * out at open time instead. Asks the file system (no lock needed, so opening next to a busy
 * writer still works): the file, and its -wal and -shm files or, when they do not exist yet, the
 * directory they are created in, must be writable by this process.
 */
function assertWritable(path: string): void {
  const check = (target: string, what: string): void => {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      throw readOnly(
        path,
        `${what} is not writable by this process (${String((error as { code?: unknown }).code)})`,
        error,
      );
    }
  };
  check(path, 'the file');
  let missing = false;
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) check(path + suffix, `'${path}${suffix}'`);
    else missing = true;
  }
  if (missing) check(dirname(resolve(path)), 'its directory (where SQLite creates the -wal and -shm files)');
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
    writer.pragma(`busy_timeout = ${o.busyTimeoutMs}`);
    // Reads only: a file that is not ours is refused before anything is written.
    await withBusyRetry(`Opening '${writer.name}'`, retry, () => checkFile(writer));
    assertWritable(writer.name);
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
    onError: (error, context) => o.onError(error, context),
    isTransient: isBusy,
  });
  const queue = new GroupCommit(writer, appendSql, {
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
  const shell = new TransactionShell('SQLite', o.onError);

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
    async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
      guard();
      shell.assertNotInWork('setStreamMetadata');
      assertStreamId(streamId);
      const json = encodeStreamMetadata(streamId, metadata);
      await queue.exclusive('setStreamMetadata', () =>
        Promise.resolve(admin.setStreamMetadata(streamId, metadata, json)),
      );
    },
    async truncateBefore(streamId: string, before: bigint): Promise<void> {
      guard();
      shell.assertNotInWork('truncateBefore');
      assertStreamId(streamId);
      assertTruncateVersion(streamId, before);
      await queue.exclusive('truncateBefore', () => Promise.resolve(admin.truncateBefore(streamId, before)));
    },
    async deleteStream(
      streamId: string,
      options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion },
    ): Promise<void> {
      guard();
      shell.assertNotInWork('deleteStream');
      assertStreamId(streamId);
      const { mode, expectedVersion } = resolveDeleteOptions(streamId, options);
      await queue.exclusive('deleteStream', () => Promise.resolve(admin.delete(streamId, mode, expectedVersion)));
    },
    async transaction<R>(work: (tx: StoreTransaction<Db>) => Promise<R>): Promise<R> {
      guard();
      shell.assertNotInWork('transaction');
      shell.assertWork(work);
      let committed: (() => void) | undefined;
      const result = await queue.exclusive('transaction', async () => {
        const open: OpenTransaction<Db> = shell.open<Db>({
          connection: writer,
          append: (streamId, events, options) => {
            try {
              const prepared = prepare(streamId, events, options);
              appendSql.begin(o.clock.now());
              return Promise.resolve(appendSql.apply(prepared));
            } catch (error) {
              return Promise.reject(error);
            }
          },
          // Through the writer connection, so reads see the transaction's own writes.
          readStream: (streamId, options) => txReads.readStream(streamId, options),
          streamInfo: (streamId) => txReads.streamInfo(streamId),
          // Guarded by the shell too; the SQL layer checks again before each statement.
          processing: sqliteTransactionProcessing(processingSql, (what) => open.assertUsable(what), now),
        });
        const value = await open.run(work);
        committed = () => open.committed();
        return value;
      });
      // The queue committed when the unit of work resolved.
      committed?.();
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
