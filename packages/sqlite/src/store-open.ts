import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { TidingsError, ValidationError } from 'tidings';
import { describeValue } from 'tidings/store-kit';
import { withBusyRetry, type BusyRetry } from './busy.js';
import { checkFile, migrate, type MigrationHook } from './migrations.js';
import type { ResolvedOptions } from './options.js';

/** The writer connection: opened on the path, or the caller's Database checked (file-backed, writable). */
export function openConnections(pathOrDatabase: unknown): { writer: Db; owned: boolean } {
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
export function openFailed(path: string, error: unknown): TidingsError {
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
 * Readies the writer connection: refuses a file that is not ours (reads only, before anything is
 * written) or that this process cannot write, switches to WAL, sets `synchronous`, migrates.
 */
export async function prepareWriter(
  writer: Db,
  o: ResolvedOptions,
  retry: BusyRetry,
  migrationHook: MigrationHook | undefined,
): Promise<void> {
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
  await migrate(writer, retry, migrationHook);
}

/** The read connection: a second, read-only connection on the same file. */
export function openReader(writer: Db, o: ResolvedOptions): Db {
  const reader = new Database(writer.name, { readonly: true });
  reader.pragma(`busy_timeout = ${o.busyTimeoutMs}`);
  return reader;
}

/** The store's identity, written by the first migration. */
export function readStoreId(writer: Db): string {
  return (
    (writer.prepare("SELECT value FROM store_meta WHERE key = 'store_id'").pluck().get() as string | undefined) ?? ''
  );
}
