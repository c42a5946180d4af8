import type { Pool } from 'pg';
import { ValidationError } from 'tidings';
import { choiceOption, countOption, resolveStoreOptions } from 'tidings/store-kit';
import type { CommonStoreOptions, StoreErrorHandler } from 'tidings/store-kit';
import type { Clock, DataCodec, Upcast } from 'tidings';
import type { SynchronousCommit } from './connection.js';
import { assertSchemaName } from './sql/identifiers.js';

/**
 * Options of {@link postgresEventStore}: the options every store shares (`clock`, `codec`,
 * `upcast`, `maxEventBytes`, `lockTimeoutMs`, `onError`) and PostgreSQL's own. Give
 * `connectionString` or `pool`. An unknown key or an out-of-range value is refused with a
 * `ValidationError`.
 */
export interface PostgresEventStoreOptions extends CommonStoreOptions {
  /** `postgres://user:password@host:port/database`. The store owns and closes its pool. */
  readonly connectionString?: string | undefined;
  /** A pool you own (the store never ends it). Its connections get the store's session settings. */
  readonly pool?: Pool | undefined;
  /** Size of the store's own pool. Default 10. */
  readonly poolSize?: number | undefined;
  /** Schema holding the store; the unit of write scaling (one head row each). Default `'tidings'`. */
  readonly schema?: string | undefined;
  /** Run {@link PostgresEventStore.migrate} on first use. Default false: migrate explicitly. */
  readonly migrate?: boolean | undefined;
  /** `idle_in_transaction_session_timeout`: a transaction left idle is killed after this. Default 30000 ms. */
  readonly idleInTransactionTimeoutMs?: number | undefined;
  /** `statement_timeout`. Default 30000 ms; keep it above `lockTimeoutMs`. */
  readonly statementTimeoutMs?: number | undefined;
  /**
   * Client-side bound on opening one connection (TCP, TLS, authentication, session settings): a
   * server that accepts and never answers fails with `TimeoutError` after this. Default 10000 ms.
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Client-side bound on waiting for a free pooled connection while all `poolSize` are in use
   * (`TimeoutError` naming the likely cause). Default 10000 ms.
   */
  readonly checkoutTimeoutMs?: number | undefined;
  /**
   * Client-side bound on each query round trip, for a server or network that goes silent
   * mid-session: the connection is cut and the call fails (an append with `UnknownOutcomeError`,
   * since it may have committed). Must be above `statementTimeoutMs`, so a slow statement is
   * cancelled by the server first. Default `statementTimeoutMs` + 5000 ms.
   */
  readonly queryTimeoutMs?: number | undefined;
  /**
   * How long `close()` waits for pending appends, transactions and reads; then it fails what is
   * still pending with `TimeoutError`, cuts the connections and returns. Default 10000 ms.
   */
  readonly closeTimeoutMs?: number | undefined;
  /** `synchronous_commit`. Default `'on'`: an acknowledged append is flushed to the WAL. */
  readonly synchronousCommit?: SynchronousCommit | undefined;
  /** Group commit: most appends per transaction. Default 256. */
  readonly maxBatchAppends?: number | undefined;
  /** Group commit: most events per transaction. Default 2000. */
  readonly maxBatchEvents?: number | undefined;
  /** Group commit: most JSON bytes per transaction. Default 8 MiB. */
  readonly maxBatchBytes?: number | undefined;
  /** Rows fetched per page by reads. Default 1000. */
  readonly readPageSize?: number | undefined;
  /**
   * Other processes' commits arrive through LISTEN/NOTIFY on a dedicated connection while
   * `onHeadMoved` listeners (subscriptions) exist; while that connection is down the head row is
   * polled this often instead. Default 500 ms. (Called `headPollMs` before; the name is now the
   * same in every store.)
   */
  readonly pollIntervalMs?: number | undefined;
}

export interface ResolvedOptions {
  readonly schema: string;
  readonly migrate: boolean;
  readonly clock: Clock;
  readonly codec: DataCodec | undefined;
  readonly upcast: Upcast | undefined;
  readonly maxEventBytes: number;
  readonly lockTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly synchronousCommit: SynchronousCommit;
  readonly connectTimeoutMs: number;
  readonly checkoutTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly maxBatchAppends: number;
  readonly maxBatchEvents: number;
  readonly maxBatchBytes: number;
  readonly readPageSize: number;
  readonly pollIntervalMs: number;
  readonly poolSize: number;
  readonly onError: StoreErrorHandler;
}

const C = 'postgresEventStore';

const OWN_KEYS = [
  'connectionString',
  'pool',
  'poolSize',
  'schema',
  'migrate',
  'idleInTransactionTimeoutMs',
  'statementTimeoutMs',
  'connectTimeoutMs',
  'checkoutTimeoutMs',
  'queryTimeoutMs',
  'closeTimeoutMs',
  'synchronousCommit',
  'maxBatchAppends',
  'maxBatchEvents',
  'maxBatchBytes',
  'readPageSize',
  'pollIntervalMs',
] as const;

const SYNC_LEVELS: readonly SynchronousCommit[] = ['on', 'off', 'local', 'remote_write', 'remote_apply'];

/** Server-side timeouts are PostgreSQL `integer` milliseconds; client-side ones, platform timers: both stop at 2^31 - 1. */
const MAX_MS = 2_147_483_647;

export function resolveOptions(options: unknown): ResolvedOptions {
  const common = resolveStoreOptions(C, options, OWN_KEYS, 'tidings/postgres', { headPollMs: 'pollIntervalMs' });
  const o = (options ?? {}) as PostgresEventStoreOptions;
  const schema = o.schema === undefined ? 'tidings' : o.schema;
  assertSchemaName(schema);
  const { lockTimeoutMs } = common;
  const statementTimeoutMs = countOption(
    C,
    'statementTimeoutMs',
    o.statementTimeoutMs,
    Math.min(MAX_MS, Math.max(30_000, lockTimeoutMs * 2)),
    1,
    MAX_MS,
  );
  if (statementTimeoutMs <= lockTimeoutMs) {
    throw new ValidationError(
      `statementTimeoutMs (${statementTimeoutMs}) must be above lockTimeoutMs (${lockTimeoutMs}), or a busy lock surfaces as a statement timeout instead of StoreBusyError.`,
      [{ path: ['statementTimeoutMs'], message: 'not above lockTimeoutMs' }],
      { code: 'INVALID_OPTION' },
    );
  }
  const queryTimeoutMs = countOption(
    C,
    'queryTimeoutMs',
    o.queryTimeoutMs,
    Math.min(MAX_MS, statementTimeoutMs + 5000),
    1,
    MAX_MS,
  );
  if (queryTimeoutMs <= statementTimeoutMs) {
    throw new ValidationError(
      `queryTimeoutMs (${queryTimeoutMs}) must be above statementTimeoutMs (${statementTimeoutMs}), or a slow statement is cut by the client (outcome unknown, connection lost) instead of cancelled by the server (nothing stored). Lower statementTimeoutMs too.`,
      [{ path: ['queryTimeoutMs'], message: 'not above statementTimeoutMs' }],
      { code: 'INVALID_OPTION' },
    );
  }
  return {
    ...common,
    schema,
    migrate: choiceOption(C, 'migrate', o.migrate, [true, false], false),
    idleInTransactionTimeoutMs: countOption(
      C,
      'idleInTransactionTimeoutMs',
      o.idleInTransactionTimeoutMs,
      30_000,
      1,
      MAX_MS,
    ),
    statementTimeoutMs,
    synchronousCommit: choiceOption(C, 'synchronousCommit', o.synchronousCommit, SYNC_LEVELS, 'on'),
    connectTimeoutMs: countOption(C, 'connectTimeoutMs', o.connectTimeoutMs, 10_000, 1, MAX_MS),
    checkoutTimeoutMs: countOption(C, 'checkoutTimeoutMs', o.checkoutTimeoutMs, 10_000, 1, MAX_MS),
    queryTimeoutMs,
    closeTimeoutMs: countOption(C, 'closeTimeoutMs', o.closeTimeoutMs, 10_000, 1, MAX_MS),
    maxBatchAppends: countOption(C, 'maxBatchAppends', o.maxBatchAppends, 256, 1),
    maxBatchEvents: countOption(C, 'maxBatchEvents', o.maxBatchEvents, 2000, 1),
    maxBatchBytes: countOption(C, 'maxBatchBytes', o.maxBatchBytes, 8 * 1024 * 1024, 1),
    readPageSize: countOption(C, 'readPageSize', o.readPageSize, 1000, 1),
    pollIntervalMs: countOption(C, 'pollIntervalMs', o.pollIntervalMs, 500, 1, MAX_MS),
    poolSize: countOption(C, 'poolSize', o.poolSize, 10, 1),
  };
}
