import type { PoolClient } from 'pg';
import { StoreClosedError, uuidv7Generator } from 'tidings';
import type { EventStore, StoreInfo } from 'tidings';
import { HeadNotifier, subscribeToStore, timersOutsideTransaction, TransactionShell } from 'tidings/store-kit';
import type { SessionSettings } from './connection.js';
import { describeDurability } from './durability.js';
import { HeadAnnouncer } from './head-announce.js';
import { headProbe } from './head-probe.js';
import type { MigrationResult } from './migrate.js';
import { resolveOptions } from './options.js';
import type { PostgresEventStoreOptions } from './options.js';
import { ProcessingSql } from './processing-sql.js';
import { postgresProcessingStore } from './processing-store.js';
import { storeReads } from './reads.js';
import type { ReadContext } from './reads.js';
import { quoteIdent } from './sql/identifiers.js';
import { storeAdmin } from './store-admin.js';
import { storeClose } from './store-close.js';
import { StoreConnections } from './store-connections.js';
import { resolveSource, schemaAccess } from './store-open.js';
import { readStream, streamInfo } from './stream-reads.js';
import { runTransaction } from './transaction.js';
import { createWritePath } from './write-path.js';

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
  const { source, target, listenConfig, ownsPool } = resolveSource(options, opts.poolSize);
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
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StoreClosedError('PostgreSQL');
  };

  // Tagged with the store's identity once `ready()` read it; every processing call awaits `ready()` first.
  const processingSql = new ProcessingSql(s);
  const { ready, migrate, withClient } = schemaAccess({
    connections,
    schema,
    migrate: opts.migrate,
    settings,
    processingSql,
    assertOpen,
  });

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
  // Other processes are told only when one may be listening (decision 0312); this one at once.
  const committed = (position: bigint, othersMayListen = true): void => {
    head.moved(position);
    if (othersMayListen) announcer.announce(position);
  };

  const writePath = createWritePath({
    opts,
    connections,
    settings,
    target,
    ownsPool,
    nextId: uuidv7Generator({ now: () => clock.now() }),
    ready,
    committed,
  });
  const { prepare, committer } = writePath;
  const reads = storeReads({ readContext, withClient, assertOpen, headPosition: () => store.headPosition() });
  const admin = storeAdmin({ s, settings, shell, assertOpen, withClient });
  const close = storeClose({
    opts,
    target,
    connections,
    head,
    announcer,
    writePath,
    markClosed: () => {
      closed = true;
    },
  });

  const store: PostgresEventStore = {
    schema,
    migrate,

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
    readAll: reads.readAll,
    readByType: reads.readByType,
    readByTime: reads.readByTime,

    setStreamMetadata: admin.setStreamMetadata,
    truncateBefore: admin.truncateBefore,
    deleteStream: admin.deleteStream,

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
        maxEventBytes: opts.maxEventBytes,
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
    processing: postgresProcessingStore({ assertOpen, withClient, inTransaction: admin.inTransaction }, processingSql),
    timers: timersOutsideTransaction((work) => store.transaction(work)),

    async info(): Promise<StoreInfo> {
      assertOpen();
      const { storeId } = await ready();
      return {
        storeId,
        kind: 'postgres',
        durability: describeDurability(opts.synchronousCommit),
      };
    },

    close,
    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  return store;
}
