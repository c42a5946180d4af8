import pg from 'pg';
import { ConcurrencyError, type RecordedEvent } from 'tidings';
import { afterAll, describe, expect, it } from 'vitest';
import { headChannelName, listenerApplicationName } from './head-channel.js';
import { listenerLockSql, noListenerSql } from './listener-lock.js';
import { postgresEventStore } from './index.js';
import { storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable, sql } from './test-support/pg-env.js';

const available = await pgAvailable();

/** Resolves once `check` holds, polling every few ms; fails after a generous bound. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function listenerPids(schema: string): Promise<number[]> {
  const rows = await sql<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [
    listenerApplicationName(schema),
  ]);
  return rows.map((r) => r.pid);
}

const ev = (n: number) => ({ type: 'tick.happened', data: { n } });

// Polls that cannot be what wakes the subscriber: a wake-up within the bound came from LISTEN/NOTIFY.
const NO_POLL = { pollIntervalMs: 600_000 };
const SUBSCRIPTION_NO_POLL = { pollIntervalMs: 600_000 };

describe.skipIf(!available)('postgres: LISTEN/NOTIFY wake-ups', () => {
  const stores = storeFactory('listen');
  afterAll(() => stores.cleanup());

  it('another instance’s appends wake a subscriber through LISTEN on a connection outside the pool', async () => {
    const store = await stores.open(NO_POLL);
    const peer = postgresEventStore({ connectionString: PG_URL, schema: store.schema, ...NO_POLL });
    try {
      const seen: RecordedEvent[] = [];
      await using _sub = store.subscribe({ from: 'end', ...SUBSCRIPTION_NO_POLL }, (e) => {
        seen.push(e);
      });
      await eventually(async () => (await listenerPids(store.schema)).length === 1, 'the listener connection');
      const r = await peer.append('tick-1', [ev(1), ev(2)]);
      await eventually(() => seen.length === 2, 'the peer’s events');
      expect(seen.map((e) => e.position)).toEqual([r.position - 1n, r.position]);
    } finally {
      await peer.close();
    }
  });

  it('the listener is re-established after pg_terminate_backend, and wake-ups continue', async () => {
    const errors: string[] = [];
    const store = await stores.open({ ...NO_POLL, onError: (_e, context) => errors.push(context) });
    const peer = postgresEventStore({ connectionString: PG_URL, schema: store.schema, ...NO_POLL });
    try {
      const seen: bigint[] = [];
      await using _sub = store.subscribe({ from: 'end', ...SUBSCRIPTION_NO_POLL }, (e) => {
        seen.push(e.position);
      });
      await eventually(async () => (await listenerPids(store.schema)).length === 1, 'the listener connection');
      const [first] = await listenerPids(store.schema);
      await sql('select pg_terminate_backend($1)', [first]);
      await eventually(async () => {
        const pids = await listenerPids(store.schema);
        return pids.length === 1 && pids[0] !== first;
      }, 'a new listener connection');
      const r = await peer.append('tick-1', [ev(1)]);
      await eventually(() => seen.includes(r.position), 'a wake-up after the listener came back');
      expect(errors).toEqual(['head channel lost; polling until it is open again']);
    } finally {
      await peer.close();
    }
  });

  it('no wake-up is lost while the listener keeps being terminated', async () => {
    const store = await stores.open({ pollIntervalMs: 20, onError: () => undefined });
    const peer = postgresEventStore({ connectionString: PG_URL, schema: store.schema, ...NO_POLL });
    let killing = true;
    const killer = (async () => {
      while (killing) {
        await sql('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
          listenerApplicationName(store.schema),
        ]);
      }
    })();
    try {
      const seen: bigint[] = [];
      await using _sub = store.subscribe({ from: 'end', ...SUBSCRIPTION_NO_POLL }, (e) => {
        seen.push(e.position);
      });
      for (let i = 0; i < 5; i++) {
        const r = await peer.append('tick-1', [ev(i)]);
        await eventually(() => seen.includes(r.position), `event ${i} while the listener is being killed`);
      }
    } finally {
      killing = false;
      await killer;
      await peer.close();
    }
  });

  it('when the listener cannot connect, the head poll wakes the subscriber (the fallback)', async () => {
    // The pool reaches the server; the LISTEN connection, opened from the pool's options, cannot.
    const errors: unknown[] = [];
    class Redirected extends pg.Client {
      constructor(config: pg.ClientConfig) {
        super({ ...config, connectionString: PG_URL });
      }
    }
    const pool = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      Client: Redirected as unknown as new () => pg.ClientBase,
      max: 4,
    });
    const owner = await stores.open();
    const store = postgresEventStore({
      pool,
      schema: owner.schema,
      pollIntervalMs: 20,
      onError: (e) => errors.push(e),
    });
    const peer = postgresEventStore({ connectionString: PG_URL, schema: owner.schema, ...NO_POLL });
    try {
      const seen: bigint[] = [];
      await using _sub = store.subscribe({ from: 'end', ...SUBSCRIPTION_NO_POLL }, (e) => {
        seen.push(e.position);
      });
      for (let i = 0; i < 3; i++) {
        const r = await peer.append('tick-1', [ev(i)]);
        await eventually(() => seen.includes(r.position), `event ${i} through the poll`);
      }
      expect(await listenerPids(owner.schema)).toEqual([]);
      expect(errors.length).toBe(1); // one report per outage, not one per attempt
      expect(String(errors[0])).toMatch(/ECONNREFUSED/);
    } finally {
      await peer.close();
      await store.close();
      await pool.end();
    }
  });

  it('sends one NOTIFY per committed batch, after commit, with the head; none for a conflict or a rollback', async () => {
    const store = await stores.open();
    const listener = new pg.Client({ connectionString: PG_URL });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (m) => {
        if (m.channel === headChannelName(store.schema) && m.payload !== undefined) payloads.push(m.payload);
      });
      await listener.query(`listen "${headChannelName(store.schema)}"`);
      await listener.query(listenerLockSql(store.schema)); // registered, as the store's listener does
      const first = await store.append('acct-1', [ev(1)]);
      await eventually(() => payloads.length === 1, 'the first notification');
      expect(payloads).toEqual([String(first.position)]);
      await expect(store.append('acct-1', [ev(2)], { expectedVersion: 0n })).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(
        store.transaction(async (tx) => {
          await tx.append('acct-2', [ev(3)]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      // Eight concurrent appends share batches: at most one notification per batch, the last one the head.
      const batch = await Promise.all(Array.from({ length: 8 }, (_, i) => store.append(`acct-${i + 3}`, [ev(i)])));
      const head = batch.reduce((max, r) => (r.position > max ? r.position : max), 0n);
      await eventually(() => payloads.at(-1) === String(head), 'the notification of the last batch');
      const batches = Number(
        (await sql<{ n: string }>(`select count(distinct xmin::text)::text as n from "${store.schema}".events`))[0]!.n,
      );
      expect(payloads.length - 1).toBeLessThanOrEqual(batches - 1);
      expect(payloads.map(BigInt).every((p, i, all) => i === 0 || p > all[i - 1]!)).toBe(true);
      const t = await store.transaction((tx) => tx.append('acct-20', [ev(20)]));
      await eventually(() => payloads.at(-1) === String(t.position), 'the notification of a transaction');
      // Nothing in between came from the conflict or the rollback: every payload is a committed head.
      const committed = new Set([first.position, ...batch.map((r) => r.position), t.position].map(String));
      expect(payloads.filter((p) => !committed.has(p))).toEqual([]);
    } finally {
      await listener.end();
    }
  });

  it('announces only while a listener is registered; an unregistered LISTEN hears nothing (negative control)', async () => {
    const store = await stores.open();
    const listener = new pg.Client({ connectionString: PG_URL });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (m) => {
        if (m.channel === headChannelName(store.schema) && m.payload !== undefined) payloads.push(m.payload);
      });
      await listener.query(`listen "${headChannelName(store.schema)}"`);
      // Not registered: lone appends and a batch find nobody listening and send nothing.
      await store.append('acct-1', [ev(1)]);
      await store.append('acct-1', [ev(2)]);
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.append(`acct-${i + 2}`, [ev(i)])));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(payloads).toEqual([]);
      // Registered: the same appends are announced.
      await listener.query(listenerLockSql(store.schema));
      const r = await store.append('acct-1', [ev(3)]);
      await eventually(() => payloads.includes(String(r.position)), 'the notification after registering');
    } finally {
      await listener.end();
    }
  });

  it('a listener registering while a writer that found nobody listening is committing waits for that commit', async () => {
    const store = await stores.open(NO_POLL);
    // A writer between its listener test and its commit, held open.
    const writer = new pg.Client({ connectionString: PG_URL });
    await writer.connect();
    try {
      await writer.query('begin');
      const quiet = (await writer.query<{ q: boolean }>(`select ${noListenerSql(store.schema)} as q`)).rows[0]!.q;
      expect(quiet).toBe(true);
      // The subscriber's channel open (LISTEN, then the shared lock) waits behind the writer.
      const sub = store.subscribe({ from: 'end', ...SUBSCRIPTION_NO_POLL });
      const it = sub[Symbol.asyncIterator]();
      const pending = it.next();
      const [pid] = await (async () => {
        await eventually(async () => (await listenerPids(store.schema)).length === 1, 'the listener connection');
        return listenerPids(store.schema);
      })();
      await eventually(
        async () =>
          (
            await sql<{ n: string }>(
              `select count(*)::text as n from pg_locks where pid = $1 and locktype = 'advisory' and not granted`,
              [pid],
            )
          )[0]!.n === '1',
        'the listener waiting for the writer',
      );
      // A second writer's test now fails: a listener is waiting, so it would announce.
      const other = await sql<{ q: boolean }>(`select ${noListenerSql(store.schema)} as q`);
      expect(other[0]!.q).toBe(false);
      await writer.query('commit');
      await eventually(
        async () =>
          (
            await sql<{ n: string }>(
              `select count(*)::text as n from pg_locks where pid = $1 and locktype = 'advisory' and granted`,
              [pid],
            )
          )[0]!.n === '1',
        'the listener registered after the commit',
      );
      await sub.close();
      expect((await pending).done).toBe(true);
    } finally {
      await writer.end();
    }
  });

  it('close() ends the listener connection and returns', async () => {
    const store = await stores.open(NO_POLL);
    const sub = store.subscribe({ from: 'end' });
    const it = sub[Symbol.asyncIterator]();
    const pending = it.next();
    await eventually(async () => (await listenerPids(store.schema)).length === 1, 'the listener connection');
    await store.close();
    await eventually(async () => (await listenerPids(store.schema)).length === 0, 'the listener connection to end');
    await sub.close();
    expect((await pending).done).toBe(true);
  });
});
