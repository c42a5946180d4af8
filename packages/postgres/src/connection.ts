import type { Pool } from 'pg';
import { StoreBusyError, TidingsError, TimeoutError } from 'tidings';
import { isUnanswered } from './bounded-query.js';

/** Session settings applied once to every connection the store uses. */
export interface SessionSettings {
  readonly lockTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly synchronousCommit: SynchronousCommit;
  /**
   * Only on connections of a pool the store owns: `enable_seqscan = off` and `jit = off` for the
   * session, so the plans of its prepared statements (made once per connection, possibly while
   * the tables are tiny) stay index-driven as the tables grow (decision 0304). Never set on a
   * caller's pool, whose connections run the caller's own queries; `store.transaction` restores
   * the defaults for the caller's statements with `SET LOCAL`.
   */
  readonly planGuard?: boolean;
}

/** PostgreSQL's `synchronous_commit` levels; `'on'` waits for the WAL flush before acknowledging. */
export type SynchronousCommit = 'on' | 'off' | 'local' | 'remote_write' | 'remote_apply';

/**
 * A connection string with its password removed, for error messages and logs.
 *
 * @example
 * redactConnectionString('postgres://app:secret@db:5432/shop'); // 'postgres://app:***@db:5432/shop'
 */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    // key=value form: drop the password pair.
    return connectionString.replace(/password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/gi, 'password=***');
  }
}

/** Describes where a pool points without its password. */
export function describePool(pool: Pool): string {
  const o = pool.options;
  if (typeof o.connectionString === 'string') return redactConnectionString(o.connectionString);
  const user = o.user ?? process.env['PGUSER'] ?? '';
  const host = o.host ?? process.env['PGHOST'] ?? 'localhost';
  const port = o.port ?? process.env['PGPORT'] ?? 5432;
  const db = o.database ?? process.env['PGDATABASE'] ?? user;
  return `postgres://${user === '' ? '' : `${user}@`}${host}:${port}/${db}`;
}

/** The server could not be reached or refused us; names the target so the fix is obvious. */
export function unreachable(target: string, error: unknown): TidingsError {
  const detail = error instanceof Error ? error.message : String(error);
  return new TidingsError(
    'STORE_UNREACHABLE',
    `Cannot use PostgreSQL at ${target}: ${detail}. Check that the server is running, the address and credentials are right (TIDINGS_PG_URL), and the database exists.`,
    { cause: error },
  );
}

interface PgError {
  code?: unknown;
  message?: unknown;
}

const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '25P03', '08000', '08003', '08006', '08001', '08004']);

/** True when the error means the connection is gone (the server may or may not have committed). */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (isUnanswered(error)) return true; // a client-side bound cut the connection under it
  const e = error as PgError;
  if (typeof e.code === 'string') {
    if (CONNECTION_CODES.has(e.code)) return true;
    if (/^E[A-Z]+$/.test(e.code)) return true; // Node socket errors: ECONNRESET, EPIPE, ECONNREFUSED…
  }
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|not queryable|Client was closed|connection error/i.test(message);
}

/** True when the query was refused before it was sent, so it certainly did not run. */
export function neverSent(error: unknown): boolean {
  return error instanceof Error && /not queryable/.test(error.message);
}

/**
 * Turns a driver error into the typed error callers branch on. Lock waits become
 * {@link StoreBusyError}, statement timeouts {@link TimeoutError}; others pass through with their SQLSTATE.
 */
export function mapPgError(error: unknown, what: string, settings: SessionSettings): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const code = (error as PgError).code;
  if (code === '55P03') return new StoreBusyError(what, settings.lockTimeoutMs, error);
  if (code === '57014') {
    return new TimeoutError(
      `${what} exceeded statement_timeout (${settings.statementTimeoutMs} ms) and was cancelled; nothing it was writing was stored. Raise statementTimeoutMs or make the work smaller.`,
      settings.statementTimeoutMs,
      { cause: error },
    );
  }
  if (code === '40P01') {
    return new TidingsError(
      'DEADLOCK',
      `${what} was chosen as a deadlock victim and rolled back; nothing was stored. Retry it.`,
      { cause: error },
    );
  }
  if (code === '42P01' || code === '42883') {
    return new TidingsError(
      'STORE_NOT_MIGRATED',
      `${what} failed: the store's tables or functions are missing (${(error as PgError).message as string}). Run store.migrate() first, or create the store with { migrate: true }.`,
      { cause: error },
    );
  }
  return error;
}
