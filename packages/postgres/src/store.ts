import type { ClientConfig, Pool, PoolClient } from 'pg';
import {
  StoreClosedError,
  TidingsError,
  TimeoutError,
  UnknownOutcomeError,
  uuidv7Generator,
  ValidationError,
} from 'tidings';
import {
  assertReadAllOptions,
  assertReadByTimeOptions,
  assertReadByTypeArguments,
  assertStreamId,
  assertTruncateVersion,
  describeValue,
  prepareAppend,
  resolveDeleteOptions,
  TransactionShell,
} from 'tidings/store-kit';
import type {
  AppendOptions,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadByTimeOptions,
  RecordedEvent,
  StoreInfo,
  StreamMetadata,
  DeleteMode,
  ExpectedVersion,
} from 'tidings';
import { runAppendBatch } from './append-batch.js';
import type { PreparedAppend } from './append-batch.js';
import { isUnanswered } from './bounded-query.js';
import { describePool, isConnectionError, mapPgError, neverSent, redactConnectionString } from './connection.js';
import type { SessionSettings } from './connection.js';
import { createGroupCommit } from './group-commit.js';
import { HeadAnnouncer } from './head-announce.js';
import { headProbe } from './head-probe.js';
import { checkSchema, migrateSchema } from './migrate.js';
import type { MigrationResult, StoreIdentity } from './migrate.js';
import { resolveOptions } from './options.js';
import { StoreConnections } from './store-connections.js';
import type { PostgresEventStoreOptions } from './options.js';
import { allPageQuery, paged } from './reads.js';
import type { EventRow, ReadContext, WithClient } from './reads.js';
import { quoteIdent } from './sql/identifiers.js';
import { deleteStream, setStreamMetadata, truncateBefore } from './stream-admin.js';
import { readStream, streamInfo } from './stream-reads.js';
import { runTransaction } from './transaction.js';
import { HeadNotifier, subscribeToStore } from 'tidings/store-kit';
import { ProcessingSql } from './processing-sql.js';
import { postgresProcessingStore } from './processing-store.js';

/** Bound on connecting the LISTEN connection, its LISTEN, and its close. */
const LISTEN_TIMEOUT_MS = 10_000;

/**
 * The PostgreSQL event store: the full {@link EventStore} contract, with the pg `PoolClient` as
 * the connection of `transaction`, plus `migrate()`.
 */
export interface PostgresEventStore extends EventStore<PoolClient> {
  /** Creates or upgrades the schema. Safe to run from several processes at once; refuses a schema newer than the code. */
  migrate(): Promise<MigrationResult>;
  /** The schema holding this store. */
  readonly schema: string;
}

/**
 * Opens an event store in a PostgreSQL schema. Nothing connects until the first call; with
 * `migrate: false` (the default) the schema must have been created by {@link PostgresEventStore.migrate}.
 *
 * @example
 * import { postgresEventStore } from '@tidings/postgres';
 *
 * const store = postgresEventStore({ connectionString: process.env.TIDINGS_PG_URL, schema: 'shop' });
 * await store.migrate();
 * const { nextVersion } = await store.append('order-42', [{ type: 'order.placed', data: { total: 30 } }], { expectedVersion: 'no-stream' });
 * await store.transaction(async (tx) => {
 *   await tx.connection.query('update order_totals set total = total + 30');
 *   await tx.append('order-42', [{ type: 'order.paid', data: {} }], { expectedVersion: nextVersion });
 * });
 * await store.close();
 */
export function postgresEventStore(options: PostgresEventStoreOptions): PostgresEventStore {
  const opts = resolveOptions(options);
  const { schema, clock } = opts;
  const s = quoteIdent(schema);
  let source: { readonly pool: Pool } | { readonly connectionString: string; readonly poolSize: number };
  let target: string;
  // Where the LISTEN connection goes: the same server and credentials as the pool.
  let listenConfig: ClientConfig;
  const given = (options as PostgresEventStoreOptions | undefined) ?? {};
  if (given.pool !== undefined) {
    if (typeof given.pool !== 'object' || given.pool === null || typeof given.pool.connect !== 'function') {
      throw new ValidationError(
        `postgresEventStore: option 'pool' must be a pg Pool, got ${describeValue(given.pool)}.`,
        [{ path: ['pool'], message: 'not a pg Pool' }],
        { code: 'INVALID_OPTION' },
      );
    }
    source = { pool: given.pool };
    target = describePool(given.pool);
    listenConfig = given.pool.options;
  } else {
    const connectionString = given.connectionString;
    if (typeof connectionString !== 'string' || connectionString === '') {
      throw new ValidationError(
        `postgresEventStore needs a connectionString (postgres://user@host:5432/db) or a pg Pool in options.pool; got connectionString ${describeValue(connectionString)}.`,
        [{ path: ['connectionString'], message: 'missing' }],
        { code: 'INVALID_OPTION' },
      );
    }
    source = { connectionString, poolSize: opts.poolSize };
    target = redactConnectionString(connectionString);
    listenConfig = { connectionString };
  }
  const ownsPool = given.pool === undefined;
  const shell = new TransactionShell('PostgreSQL', opts.onError);
  // The plan guard, and with it the lone-append statement, only on connections the store owns.
  const settings: SessionSettings = {
    lockTimeoutMs: opts.lockTimeoutMs,
    idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs,
    statementTimeoutMs: opts.statementTimeoutMs,
    synchronousCommit: opts.synchronousCommit,
    planGuard: ownsPool,
  };
  const connections = new StoreConnections(source, settings, target, opts);
  const nextId = uuidv7Generator({ now: () => clock.now() });
  let closed = false;
  let closing: Promise<void> | undefined;
  let identity: Promise<StoreIdentity> | undefined;
  // Set when close() ran out of time: appends still queued fail with it, unsent.
  let abandoned: TimeoutError | undefined;

  // Tagged with the store's identity once `ready()` read it; every processing call awaits `ready()` first.
  const processingSql = new ProcessingSql(s);

  const assertOpen = (): void => {
    if (closed) throw new StoreClosedError('PostgreSQL');
  };

  const ready = (): Promise<StoreIdentity> => {
    identity ??= (async () => {
      const client = await connections.checkout();
      try {
        if (opts.migrate) await migrateSchema(client, schema);
        const found = await checkSchema(client, schema);
        processingSql.storeId = found.storeId;
        return found;
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      identity = undefined; // the next call tries again (the server may come up)
      throw error;
    });
    return identity;
  };

  const withClient: WithClient = async (use) => {
    assertOpen();
    await ready();
    const client = await connections.checkout();
    let broken = false;
    try {
      return await use(client);
    } catch (error) {
      broken = isConnectionError(error);
      throw mapPgError(error, 'The PostgreSQL store call', settings);
    } finally {
      client.release(broken);
    }
  };

  const readContext: ReadContext = {
    s,
    codec: opts.codec,
    upcast: opts.upcast,
    pageSize: opts.readPageSize,
    now: () => clock.now(),
  };

  const readHead = (): Promise<bigint> =>
    withClient(async (c) =>
      BigInt((await c.query<{ position: string }>(`select position from ${s}.head`)).rows[0]!.position),
    );
  // Wake-ups (decision 0600): local commits at once, other processes' through LISTEN on a dedicated
  // connection, the head row polled every pollIntervalMs while that connection is down.
  const head = new HeadNotifier(headProbe(readHead, { config: listenConfig, schema, timeoutMs: LISTEN_TIMEOUT_MS }), {
    pollIntervalMs: opts.pollIntervalMs,
    onError: opts.onError,
    channelTimeoutMs: LISTEN_TIMEOUT_MS,
  });
  const announcer = new HeadAnnouncer(schema, () => connections.checkout(), opts.onError);
  const committed = (position: bigint): void => {
    head.moved(position);
    announcer.announce(position);
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
    await ready();
    for (let attempt = 0; ; attempt++) {
      const client = await connections.checkout();
      try {
        const outcomes = await runAppendBatch(client, schema, batch, new Date(clock.now()), {
          autocommit: true,
          guarded: ownsPool,
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
      committed,
    },
    opts,
  );

  // Validation errors surface on iteration, as in every store.
  async function* readAll(options?: ReadAllOptions): AsyncGenerator<RecordedEvent> {
    assertOpen();
    assertReadAllOptions(options);
    const forward = (options?.direction ?? 'forward') === 'forward';
    const filter = options?.filter;
    // An empty list matches nothing (the shared rule).
    if (filter?.types?.length === 0 || filter?.categories?.length === 0) return;
    const start = options?.from ?? (forward ? 0n : await store.headPosition());
    const page = allPageQuery(readContext, { forward, filter });
    const fetch = (cursor: bigint, n: number): Promise<EventRow[]> =>
      withClient(async (c) => (await c.query<EventRow>(page(cursor, n))).rows);
    yield* paged(fetch, start, forward, options?.limit, opts.readPageSize, (r) => BigInt(r.position), readContext);
  }

  async function* readByType(
    types: readonly string[],
    options?: Omit<ReadAllOptions, 'filter'>,
  ): AsyncGenerator<RecordedEvent> {
    assertOpen();
    assertReadByTypeArguments(types, options);
    yield* readAll({ ...options, filter: { types } });
  }

  async function* readByTime(options: ReadByTimeOptions): AsyncGenerator<RecordedEvent> {
    assertOpen();
    assertReadByTimeOptions(options);
    const filter = options.filter;
    if (filter?.types?.length === 0 || filter?.categories?.length === 0) return;
    const page = allPageQuery(readContext, { forward: true, filter, time: { from: options.from, to: options.to } });
    const fetch = (cursor: bigint, n: number): Promise<EventRow[]> =>
      withClient(async (c) => (await c.query<EventRow>(page(cursor, n))).rows);
    yield* paged(fetch, 0n, true, options.limit, opts.readPageSize, (r) => BigInt(r.position), readContext);
  }

  const adminTransaction = <R>(what: string, work: (client: PoolClient) => Promise<R>): Promise<R> =>
    withClient(async (client) => {
      await client.query('begin');
      try {
        const result = await work(client);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw mapPgError(error, what, settings);
      }
    });

  const store: PostgresEventStore = {
    schema,

    async migrate() {
      assertOpen();
      const client = await connections.checkout();
      let broken = false;
      try {
        const result = await migrateSchema(client, schema);
        identity = undefined;
        return result;
      } catch (error) {
        broken = isConnectionError(error);
        throw mapPgError(error, 'store.migrate()', settings);
      } finally {
        client.release(broken);
      }
    },

    append(streamId, events, appendOptions) {
      try {
        assertOpen();
        shell.assertNotInWork('append');
        return committer.append(prepare(streamId, events, appendOptions));
      } catch (error) {
        return Promise.reject(error);
      }
    },

    readStream: ((streamId: string, options?: Parameters<EventStore['readStream']>[1]) => {
      assertOpen();
      return readStream(withClient, readContext, streamId, options);
    }) as EventStore['readStream'],
    streamInfo: (streamId) => streamInfo(withClient, readContext, streamId),
    readAll,
    readByType,
    readByTime,

    async setStreamMetadata(streamId: string, metadata: StreamMetadata) {
      assertOpen();
      shell.assertNotInWork('setStreamMetadata');
      await withClient((c) => setStreamMetadata(c, s, streamId, metadata));
    },
    async truncateBefore(streamId: string, before: bigint) {
      assertOpen();
      shell.assertNotInWork('truncateBefore');
      assertStreamId(streamId);
      assertTruncateVersion(streamId, before);
      await adminTransaction(`truncateBefore('${streamId}')`, (c) => truncateBefore(c, s, streamId, before));
    },
    async deleteStream(streamId: string, options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion }) {
      assertOpen();
      shell.assertNotInWork('deleteStream');
      assertStreamId(streamId);
      const { mode, expectedVersion } = resolveDeleteOptions(streamId, options);
      await adminTransaction(`deleteStream('${streamId}')`, (c) => deleteStream(c, s, streamId, mode, expectedVersion));
    },

    async transaction(work) {
      assertOpen();
      shell.assertNotInWork('transaction');
      shell.assertWork(work);
      await ready();
      const client = await connections.checkout('transaction');
      return runTransaction(client, shell, work, {
        s,
        schema,
        settings,
        readContext,
        target,
        prepare,
        now: () => new Date(clock.now()),
        committed,
        processing: processingSql,
      });
    },

    headPosition: readHead,
    onHeadMoved(listener) {
      assertOpen();
      return head.add(listener);
    },
    subscribe(options, handler) {
      assertOpen();
      return subscribeToStore(store, options, handler);
    },
    processing: postgresProcessingStore({ assertOpen, withClient, inTransaction: adminTransaction }, processingSql),

    async info(): Promise<StoreInfo> {
      assertOpen();
      const { storeId } = await ready();
      return {
        storeId,
        kind: 'postgres',
        durability: describeDurability(opts.synchronousCommit),
      };
    },

    close() {
      closing ??= (async () => {
        closed = true;
        await head.close();
        const drained = Promise.all([committer.idle(), announcer.idle(), connections.idle()]);
        if (!(await settlesWithin(drained, opts.closeTimeoutMs))) {
          const ended = `store.close() waited closeTimeoutMs (${opts.closeTimeoutMs} ms) for pending work on PostgreSQL at ${target} (${connections.inUse} connection(s) still in use), then ended it`;
          abandoned = new TimeoutError(
            `${ended}: this call had not been sent, nothing of it was stored.`,
            opts.closeTimeoutMs,
          );
          const cut = new TimeoutError(
            `${ended}: this call was in flight and its connection was closed.`,
            opts.closeTimeoutMs,
          );
          connections.cutAll(abandoned, cut);
          opts.onError(
            new TimeoutError(
              `${ended}: work not yet sent failed with nothing stored; work in flight may or may not have committed (UnknownOutcomeError).`,
              opts.closeTimeoutMs,
            ),
            'close',
          );
        }
        const ended = new StoreClosedError('PostgreSQL');
        if (!(await settlesWithin(connections.end(opts.closeTimeoutMs, ended), opts.closeTimeoutMs))) {
          opts.onError(
            new TimeoutError(
              `The store's pool did not end within closeTimeoutMs (${opts.closeTimeoutMs} ms); close() returns without it.`,
              opts.closeTimeoutMs,
            ),
            'close',
          );
        }
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  return store;
}

/** Resolves true when `promise` settles within `ms`, false otherwise (its outcome is not our concern here). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeDurability(level: string): string {
  switch (level) {
    case 'on':
      return 'PostgreSQL synchronous_commit=on: an acknowledged append is flushed to the WAL on disk and survives a crash of the server or the host.';
    case 'remote_write':
    case 'remote_apply':
      return `PostgreSQL synchronous_commit=${level}: an acknowledged append is on disk locally and ${level === 'remote_apply' ? 'applied on' : 'written to'} a synchronous standby.`;
    case 'local':
      return 'PostgreSQL synchronous_commit=local: an acknowledged append is flushed to the local WAL (standbys not awaited).';
    default:
      return 'PostgreSQL synchronous_commit=off: an acknowledged append survives a server crash only after the WAL writer flushes (up to 3x wal_writer_delay later); it is never corrupted, the last moments may be lost.';
  }
}
