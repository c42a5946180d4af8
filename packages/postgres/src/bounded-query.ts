import type { Client, PoolClient } from 'pg';
import { TimeoutError } from 'tidings';

/**
 * Client-side bounds on round trips. `statement_timeout` and `lock_timeout` are enforced by the
 * server, so they do nothing when the server (or the network to it) stops answering: these
 * timers are what ends such a wait. A round trip that reaches its bound cuts the connection's
 * socket (a silent peer would never acknowledge a polite goodbye), which also fails every other
 * query in flight on it.
 */

/** One client-side bound: how long, the option that sets it, and where the store points. */
export interface RoundTripBound {
  readonly ms: number;
  readonly option: string;
  readonly target: string;
}

// Errors of round trips that were sent and never answered: the server may have done the work.
const unanswered = new WeakSet<object>();
// Connections cut by a bound or by close(), so their release removes them from the pool.
const cutClients = new WeakSet<object>();
// The reject functions of the bounded queries in flight on each connection.
const inFlight = new WeakMap<object, Set<(error: Error) => void>>();

/**
 * True for the error of a round trip that was sent and then abandoned (bound reached, or the
 * store closed under it): whether the server ran it is unknown, as for a lost connection.
 */
export function isUnanswered(error: unknown): boolean {
  return typeof error === 'object' && error !== null && unanswered.has(error);
}

/** True when the connection was cut by {@link cutConnection}; it must leave the pool. */
export function wasCut(client: object): boolean {
  return cutClients.has(client);
}

/**
 * Closes the connection's socket at once. Bounded queries in flight on it fail with `reason`
 * (marked as unanswered); anything the driver had queued fails as a lost connection.
 */
export function cutConnection(client: Client, reason: Error): void {
  cutClients.add(client);
  unanswered.add(reason);
  const pending = inFlight.get(client);
  if (pending !== undefined) {
    inFlight.delete(client);
    for (const reject of pending) reject(reason);
  }
  // `connection` is undefined only on a client that was never constructed properly.
  (client.connection as Client['connection'] | undefined)?.stream.destroy();
}

/**
 * Runs one round trip on `client`, failing with a {@link TimeoutError} that names `bound.option`
 * when no answer comes within `bound.ms`; the connection is then cut.
 */
export function withinBound<T>(
  client: Client,
  run: () => Promise<T>,
  bound: RoundTripBound,
  what: string | (() => string),
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let pending = inFlight.get(client);
    if (pending === undefined) inFlight.set(client, (pending = new Set()));
    const fail = (error: Error): void => {
      clearTimeout(timer);
      pending.delete(fail);
      reject(error);
    };
    pending.add(fail);
    const timer = setTimeout(() => {
      cutConnection(
        client,
        new TimeoutError(
          `${typeof what === 'string' ? what : what()} got no answer from PostgreSQL at ${bound.target} within ${bound.option} (${bound.ms} ms), so the connection was closed. ` +
            'The server or the network to it is down or silent (or the address is not a PostgreSQL server). ' +
            `If the work is legitimately that slow, raise ${bound.option}.`,
          bound.ms,
        ),
      );
    }, bound.ms);
    let started: Promise<T>;
    try {
      started = run();
    } catch (error) {
      fail(error as Error); // the driver refused the call outright (a null query): nothing was sent
      return;
    }
    started.then(
      (value) => {
        clearTimeout(timer);
        pending.delete(fail);
        resolve(value);
      },
      (error: unknown) => fail(error as Error),
    );
  });
}

function describeQuery(query: unknown): string {
  let text = '';
  if (typeof query === 'string') text = query;
  else if (typeof query === 'object' && query !== null) {
    const { name, text: sql } = query as { name?: unknown; text?: unknown };
    if (typeof name === 'string') text = name;
    else if (typeof sql === 'string') text = sql;
  }
  const head = text.replace(/\s+/g, ' ').trim().slice(0, 60);
  return head === '' ? 'A query' : `The query "${head}${text.length > 60 ? '…' : ''}"`;
}

// The bound of each connection while the store holds it; absent, its queries run unbounded.
const activeBound = new WeakMap<object, RoundTripBound>();
const installed = new WeakSet<object>();

/**
 * Bounds every promise-returning `client.query(...)` while the store holds the connection
 * (including the caller's own statements on `tx.connection`); streaming submittables (cursors)
 * and callback calls pass through unbounded. The wrapper is installed once per connection (so
 * the driver's client keeps one shape) and does nothing while the store does not hold it, so a
 * connection of the caller's pool behaves as before once released. Returns the function that
 * lifts the bound.
 */
export function boundQueries(client: PoolClient, bound: RoundTripBound): () => void {
  if (!installed.has(client)) {
    installed.add(client);
    // Called with Reflect.apply on the client below, so `this` is right.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = client.query as (...args: unknown[]) => unknown;
    const query = (...args: unknown[]): unknown => {
      const active = activeBound.get(client);
      const first = args[0];
      const submittable =
        typeof first === 'object' && first !== null && typeof (first as { submit?: unknown }).submit === 'function';
      if (active === undefined || submittable || typeof args[args.length - 1] === 'function') {
        return Reflect.apply(original, client, args);
      }
      return withinBound(
        client,
        () => Reflect.apply(original, client, args) as Promise<unknown>,
        active,
        // Described only if the bound is reached: a regex over the SQL text per round trip is measurable.
        () => describeQuery(first),
      );
    };
    Object.defineProperty(client, 'query', { value: query, configurable: true, writable: true });
  }
  activeBound.set(client, bound);
  return () => activeBound.delete(client);
}
