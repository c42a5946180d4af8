import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { TidingsError, TimeoutError } from 'tidings';
import { boundQueries, cutConnection, wasCut, withinBound } from './bounded-query.js';
import { unreachable } from './connection.js';
import type { SessionSettings } from './connection.js';

/** The client-side bounds of the store's waits for its connections (decision 0350). */
export interface ConnectionBounds {
  /** Opening one new connection: TCP, TLS, authentication and the store's session settings. */
  readonly connectTimeoutMs: number;
  /** Waiting for a free pooled connection while all of them are in use. */
  readonly checkoutTimeoutMs: number;
  /** Each query round trip on a connection the store holds. */
  readonly queryTimeoutMs: number;
}

/** What a checked-out connection is used for; named in the pool-exhaustion error. */
export type ConnectionUse = 'call' | 'transaction';

interface Held {
  readonly use: ConnectionUse;
  readonly release: (destroy: boolean) => void;
}

const configured = new WeakSet<PoolClient>();

/**
 * The store's access to its pool: every checkout, connection attempt and query round trip is
 * bounded, and `cutAll` ends everything at once when `close()` runs out of time. The store owns
 * the pool, or uses one the caller owns (then it bounds its own waits but leaves the pool open).
 */
export class StoreConnections {
  readonly pool: Pool;
  readonly #owned: boolean;
  readonly #settings: SessionSettings;
  readonly #target: string;
  readonly #bounds: ConnectionBounds;
  readonly #held = new Map<PoolClient, Held>();
  // Every connection of a pool the store owns, connecting or connected (the caller's are not ours to cut).
  readonly #all = new Set<pg.Client>();
  readonly #abort = new AbortController();
  #pending = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(
    source: { readonly pool: Pool } | { readonly connectionString: string; readonly poolSize: number },
    settings: SessionSettings,
    target: string,
    bounds: ConnectionBounds,
  ) {
    this.#settings = settings;
    this.#target = target;
    this.#bounds = bounds;
    if ('pool' in source) {
      this.pool = source.pool;
      this.#owned = false;
    } else {
      this.pool = this.#createPool(source.connectionString, source.poolSize);
      this.#owned = true;
    }
  }

  /**
   * Checks out a connection with the store's session settings (set once per connection) and its
   * query bound. Fails with a {@link TimeoutError} naming `checkoutTimeoutMs` or `connectTimeoutMs`.
   */
  async checkout(use: ConnectionUse = 'call'): Promise<PoolClient> {
    if (this.#abort.signal.aborted) throw this.#abort.signal.reason;
    this.#pending++;
    try {
      const client = await this.#connect();
      const unbound = boundQueries(client, {
        ms: this.#bounds.queryTimeoutMs,
        option: 'queryTimeoutMs',
        target: this.#target,
      });
      const release = client.release.bind(client);
      const held: Held = {
        use,
        release: (broken) => {
          if (!this.#held.delete(client)) return; // released already (by close(), or twice)
          unbound();
          release(broken || wasCut(client));
          this.#settle();
        },
      };
      this.#held.set(client, held);
      // Callers release through the client as usual; a second release (after close() cut it) is a no-op.
      client.release = (err?: Error | boolean) => held.release(err !== undefined && err !== false);
      if (!configured.has(client)) {
        // A checked-out connection that dies emits 'error' besides failing its query; the query's
        // failure is what callers see, and an unheard 'error' event would crash the process.
        client.on('error', () => {});
        try {
          await withinBound(
            client,
            () => client.query(this.#sessionSql()),
            { ms: this.#bounds.connectTimeoutMs, option: 'connectTimeoutMs', target: this.#target },
            'Setting up a new connection',
          );
        } catch (error) {
          client.release(true);
          throw error instanceof TidingsError ? error : unreachable(this.#target, error);
        }
        configured.add(client);
      }
      return client;
    } finally {
      this.#pending--;
      this.#settle();
    }
  }

  /** Resolves when no connection is checked out and no checkout is waiting. */
  idle(): Promise<void> {
    if (this.#held.size === 0 && this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** How many connections are checked out now. */
  get inUse(): number {
    return this.#held.size;
  }

  /**
   * Ends everything at once: waiting checkouts fail with `notSent`; queries in flight fail with
   * `inFlight`, marked as unanswered (their outcome is unknown); every connection the store holds
   * (on a pool it owns: every connection, connecting ones included) is cut and released.
   */
  cutAll(notSent: Error, inFlight: Error): void {
    this.#abort.abort(notSent);
    for (const [client, held] of [...this.#held]) {
      cutConnection(client, inFlight);
      held.release(true);
    }
    for (const client of this.#all) cutConnection(client, inFlight);
  }

  /**
   * Ends a pool the store owns. Connections whose peer never acknowledges the goodbye (a silent
   * network) are cut after `graceMs` by an unref'd timer, so they cannot keep the process alive.
   */
  async end(graceMs: number, reason: Error): Promise<void> {
    if (!this.#owned) return;
    await this.pool.end();
    if (this.#all.size === 0) return;
    setTimeout(() => {
      for (const client of this.#all) cutConnection(client, reason);
    }, graceMs).unref();
  }

  /** Describes a timed-out wait for the pool, pointing at the usual cause when it is exhausted. */
  #checkoutTimeout(exhausted: boolean, ms: number): TimeoutError {
    const max = this.pool.options.max ?? 10;
    const connectAdvice = `Check that the address points at a PostgreSQL server (not another service's port) and that the network to it is up`;
    if (!exhausted) {
      return new TimeoutError(
        `Connecting to PostgreSQL at ${this.#target} got no answer within connectTimeoutMs (${ms} ms). ${connectAdvice}; raise connectTimeoutMs for a slow network.`,
        ms,
      );
    }
    // A connection that died while we waited is replaced by a new one for us: then the wait
    // ended in a connection attempt, not behind busy connections.
    const stillFull = this.pool.totalCount >= max && this.pool.idleCount === 0 && this.pool.waitingCount > 0;
    if (!stillFull) {
      return new TimeoutError(
        `A store call waited checkoutTimeoutMs (${ms} ms) for a connection: none of the pool's ${max} was free, and the new connection opened in its place got no answer from PostgreSQL at ${this.#target}. ${connectAdvice}.`,
        ms,
      );
    }
    const inTx = [...this.#held.values()].filter((h) => h.use === 'transaction').length;
    return new TimeoutError(
      `A store call waited checkoutTimeoutMs (${ms} ms) for a free connection: all ${max} connections of the pool are in use` +
        (inTx > 0 ? `, ${inTx} of them by store.transaction work` : '') +
        '. A call on the store made inside store.transaction work needs a second connection while the transaction holds one, so as many such transactions as connections wait for each other: inside a transaction read through tx (tx.streamInfo, tx.readStream), not the store. ' +
        `Otherwise the pool is too small for the load: raise poolSize${this.#owned ? '' : " (your pool's max)"} or checkoutTimeoutMs.`,
      ms,
    );
  }

  #connect(): Promise<PoolClient> {
    const pool = this.pool;
    const max = pool.options.max ?? 10;
    // All connections busy: this waits for one to be released. Otherwise it opens one (or takes an idle one at once).
    const exhausted = pool.totalCount >= max && pool.idleCount === 0;
    const ms = exhausted ? this.#bounds.checkoutTimeoutMs : this.#bounds.connectTimeoutMs;
    const signal = this.#abort.signal;
    return new Promise<PoolClient>((resolve, reject) => {
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (finish()) reject(signal.reason);
      };
      const timer = setTimeout(() => {
        if (finish()) reject(this.#checkoutTimeout(exhausted, ms));
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
      pool.connect().then(
        (client) => {
          // Given after we stopped waiting: hand it straight back.
          if (finish()) resolve(client);
          else client.release();
        },
        (error: unknown) => {
          if (!finish()) return;
          // The driver's own connect bound (a pool we own) ended the attempt.
          if (error instanceof Error && /connection timeout|timeout expired/i.test(error.message)) {
            reject(this.#checkoutTimeout(false, this.#bounds.connectTimeoutMs));
          } else {
            reject(unreachable(this.#target, error));
          }
        },
      );
    });
  }

  #settle(): void {
    if (this.#held.size > 0 || this.#pending > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #sessionSql(): string {
    const s = this.#settings;
    return (
      `set lock_timeout = ${s.lockTimeoutMs}; set idle_in_transaction_session_timeout = ${s.idleInTransactionTimeoutMs}; ` +
      `set statement_timeout = ${s.statementTimeoutMs}; set synchronous_commit = ${s.synchronousCommit}` +
      (s.planGuard === true ? '; set enable_seqscan = off; set jit = off' : '')
    );
  }

  #createPool(connectionString: string, max: number): Pool {
    const all = this.#all;
    const connectTimeoutMs = this.#bounds.connectTimeoutMs;
    // The driver bounds each connection attempt too, so an attempt the store stopped waiting for
    // does not linger; the pool's own connectionTimeoutMillis is not used because it would also
    // bound the wait for a free connection, which is checkoutTimeoutMs.
    class StoreClient extends pg.Client {
      constructor(config?: string | pg.ClientConfig) {
        super(typeof config === 'object' ? { ...config, connectionTimeoutMillis: connectTimeoutMs } : config);
        all.add(this);
        this.once('end', () => all.delete(this));
      }
    }
    const pool = new pg.Pool({ connectionString, max, Client: StoreClient });
    // An idle pooled connection that dies (server restart, pg_terminate_backend) must not crash the process.
    pool.on('error', () => {});
    return pool;
  }
}
