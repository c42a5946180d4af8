/**
 * Who needs the post-commit NOTIFY (decision 0312). A process that LISTENs on a schema's head
 * channel holds a shared session-level advisory lock keyed by the schema for as long as it
 * listens, taken after its LISTEN is active and before it reads the head. Every autocommit write
 * statement tries the same key exclusively, transaction-scoped, in the transaction that commits its
 * events (`pg_try_advisory_xact_lock`, which never waits):
 * - it gets the lock: nobody listened or waited to listen at that moment, and a listener that asks
 *   for its shared lock now waits until this transaction has committed, then reads the head and
 *   sees these events; no NOTIFY is needed;
 * - it does not: a listener holds the shared lock or waits for it (its LISTEN is active already),
 *   so the writer announces after its commit as before. A false "someone listens" (a key collision,
 *   our own listener) only costs the NOTIFY.
 * The lock lives in the lock manager only: no table, no WAL, nothing stale after a crash.
 */

/** First half of the key; migrations use another (see migrate.ts). */
const LISTENER_LOCK_CLASS = 0x7469_646c; // 'tidl'

/** The two-int key of schema `schema`'s listeners, as SQL arguments (the schema is a checked identifier). */
export function listenerLockKey(schema: string): string {
  return `${LISTENER_LOCK_CLASS}, hashtext('${schema.replace(/'/g, "''")}')`;
}

/** Taken by a listener after its LISTEN; held until its connection ends. Waits for writers committing now. */
export function listenerLockSql(schema: string): string {
  return `select pg_advisory_lock_shared(${listenerLockKey(schema)})`;
}

/** The writer's test, evaluated in the transaction that commits its events: true when nobody listens. */
export function noListenerSql(schema: string): string {
  return `pg_try_advisory_xact_lock(${listenerLockKey(schema)})`;
}
