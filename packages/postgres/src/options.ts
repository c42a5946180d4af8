import type { Pool } from 'pg';
import { systemClock, ValidationError } from 'tidings';
import { DEFAULT_MAX_EVENT_BYTES } from 'tidings/store-kit';
import type { Clock, DataCodec, Upcast } from 'tidings';
import type { SynchronousCommit } from './connection.js';
import { assertSchemaName } from './sql/identifiers.js';

/** Options of {@link postgresEventStore}. Give `connectionString` or `pool`. */
export interface PostgresEventStoreOptions {
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
  /** Source of `recordedAt` (clamped under the head lock so it never decreases). Default system clock. */
  readonly clock?: Clock | undefined;
  readonly codec?: DataCodec | undefined;
  readonly upcast?: Upcast | undefined;
  /** Largest event (JSON data + metadata, bytes). Default 1 MiB. */
  readonly maxEventBytes?: number | undefined;
  /** `lock_timeout`: how long a writer waits for a stream or head lock. Default 5000 ms. */
  readonly lockTimeoutMs?: number | undefined;
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
   * polled this often instead. Default 500 ms.
   */
  readonly headPollMs?: number | undefined;
  /** Receives errors thrown by head listeners and `afterCommit` callbacks. Default: `console.error`. */
  readonly onError?: ((error: unknown, context: string) => void) | undefined;
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
  readonly headPollMs: number;
  readonly poolSize: number;
  readonly onError: (error: unknown, context: string) => void;
}

const SYNC_LEVELS: readonly SynchronousCommit[] = ['on', 'off', 'local', 'remote_write', 'remote_apply'];

function positiveInt(name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValidationError(
      `Invalid option ${name} = ${JSON.stringify(value)}: expected an integer >= ${min}.`,
      [{ path: [name], message: 'invalid' }],
      {
        code: 'INVALID_OPTION',
      },
    );
  }
  return value;
}

// The largest delay a platform timer honours; a larger one fires at once.
const MAX_TIMER_MS = 2_147_483_647;

/** A client-side bound, enforced by a timer: an integer from 1 ms to ~24.8 days. */
function timerMs(name: string, value: unknown, fallback: number): number {
  const ms = positiveInt(name, value, fallback);
  if (ms > MAX_TIMER_MS) {
    throw new ValidationError(
      `Invalid option ${name} = ${ms}: expected at most ${MAX_TIMER_MS} ms (the longest timer the platform honours).`,
      [{ path: [name], message: 'too large' }],
      { code: 'INVALID_OPTION' },
    );
  }
  return ms;
}

export function resolveOptions(options: PostgresEventStoreOptions): ResolvedOptions {
  const schema = options.schema ?? 'tidings';
  assertSchemaName(schema);
  const synchronousCommit = options.synchronousCommit ?? 'on';
  if (!SYNC_LEVELS.includes(synchronousCommit)) {
    throw new ValidationError(
      `Invalid option synchronousCommit = ${JSON.stringify(synchronousCommit)}: expected one of ${SYNC_LEVELS.join(', ')}.`,
      [],
      {
        code: 'INVALID_OPTION',
      },
    );
  }
  const lockTimeoutMs = positiveInt('lockTimeoutMs', options.lockTimeoutMs, 5000);
  const statementTimeoutMs = positiveInt(
    'statementTimeoutMs',
    options.statementTimeoutMs,
    Math.max(30_000, lockTimeoutMs * 2),
  );
  if (statementTimeoutMs <= lockTimeoutMs) {
    throw new ValidationError(
      `statementTimeoutMs (${statementTimeoutMs}) must be above lockTimeoutMs (${lockTimeoutMs}), or a busy lock surfaces as a statement timeout instead of StoreBusyError.`,
      [],
      { code: 'INVALID_OPTION' },
    );
  }
  const queryTimeoutMs = timerMs(
    'queryTimeoutMs',
    options.queryTimeoutMs,
    Math.min(MAX_TIMER_MS, statementTimeoutMs + 5000),
  );
  if (queryTimeoutMs <= statementTimeoutMs) {
    throw new ValidationError(
      `queryTimeoutMs (${queryTimeoutMs}) must be above statementTimeoutMs (${statementTimeoutMs}), or a slow statement is cut by the client (outcome unknown, connection lost) instead of cancelled by the server (nothing stored). Lower statementTimeoutMs too.`,
      [{ path: ['queryTimeoutMs'], message: 'not above statementTimeoutMs' }],
      { code: 'INVALID_OPTION' },
    );
  }
  return {
    schema,
    migrate: options.migrate ?? false,
    clock: options.clock ?? systemClock,
    codec: options.codec,
    upcast: options.upcast,
    maxEventBytes: positiveInt('maxEventBytes', options.maxEventBytes, DEFAULT_MAX_EVENT_BYTES),
    lockTimeoutMs,
    idleInTransactionTimeoutMs: positiveInt('idleInTransactionTimeoutMs', options.idleInTransactionTimeoutMs, 30_000),
    statementTimeoutMs,
    synchronousCommit,
    connectTimeoutMs: timerMs('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    checkoutTimeoutMs: timerMs('checkoutTimeoutMs', options.checkoutTimeoutMs, 10_000),
    queryTimeoutMs,
    closeTimeoutMs: timerMs('closeTimeoutMs', options.closeTimeoutMs, 10_000),
    maxBatchAppends: positiveInt('maxBatchAppends', options.maxBatchAppends, 256),
    maxBatchEvents: positiveInt('maxBatchEvents', options.maxBatchEvents, 2000),
    maxBatchBytes: positiveInt('maxBatchBytes', options.maxBatchBytes, 8 * 1024 * 1024),
    readPageSize: positiveInt('readPageSize', options.readPageSize, 1000),
    headPollMs: positiveInt('headPollMs', options.headPollMs, 500),
    poolSize: positiveInt('poolSize', options.poolSize, 10),
    onError: options.onError ?? ((error, context) => console.error(`[tidings/postgres] ${context}:`, error)),
  };
}
