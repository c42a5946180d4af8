import pg from 'pg';
import { StoreClosedError, TidingsError, TimeoutError, UnknownOutcomeError, uuidv7 } from 'tidings';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import type { PostgresEventStore, PostgresEventStoreOptions } from './index.js';
import { headChannelName } from './head-channel.js';
import { listenerLockSql } from './listener-lock.js';
import { CutProxy } from './test-support/cut-proxy.js';
import { storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable, sql } from './test-support/pg-env.js';
import { SilentListener } from './test-support/silent-listener.js';

// Every wait of the store has a client-side bound (decision 0350). Before it, each of these tests
// hung until vitest's own timeout: that is their negative control. The bounds are small here so
// the tests are quick; nothing sleeps for a fixed time — each test awaits the calls themselves.

const available = await pgAvailable();

// Small bounds that keep the server-side ones below the client-side ones, as the options require.
const tight = {
  lockTimeoutMs: 100,
  statementTimeoutMs: 200,
  queryTimeoutMs: 500,
  connectTimeoutMs: 500,
  checkoutTimeoutMs: 500,
} satisfies Partial<PostgresEventStoreOptions>;

const one = () => [{ id: uuidv7(), type: 'test.bound', data: { at: 1 } }];

/** The rejection of `promise`, or a failure of the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Polls `condition` every few ms for at most `ms`; for waiting on an effect we cannot await. */
async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The chain of messages of an error and its causes, to check which bound it names. */
function messages(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' <- ');
}

// Without the bounds these tests hang; the short timeout makes that a quick failure.
const HANG = { timeout: 20_000 };

describe('a listener that never answers (another service, a wedged host)', HANG, () => {
  it('migrate, append, headPosition, transaction and info fail with TimeoutError naming connectTimeoutMs; close() returns', async () => {
    await using listener = await SilentListener.start();
    const store = postgresEventStore({ connectionString: listener.url, schema: 'silent', ...tight });
    const calls = {
      migrate: store.migrate(),
      append: store.append('silent-1', one()),
      queued: store.append('silent-2', one()),
      headPosition: store.headPosition(),
      transaction: store.transaction((tx) => tx.append('silent-3', one())),
      info: store.info(),
    };
    for (const [name, call] of Object.entries(calls)) {
      const error = await rejection(call);
      expect(error, name).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).message, name).toMatch(/connectTimeoutMs \(500 ms\)/);
      expect((error as TimeoutError).message, name).toContain(`127.0.0.1:${listener.port}`);
    }
    expect(listener.openConnections).toBeGreaterThan(0); // it was reached, and said nothing
    await store.close();
    await expect(store.append('silent-4', one())).rejects.toBeInstanceOf(StoreClosedError);
  });

  it("on a pool the caller owns (without its own timeout) the store still bounds its wait, and close() leaves the caller's pool open", async () => {
    await using listener = await SilentListener.start();
    const pool = new pg.Pool({ connectionString: listener.url, max: 2 });
    pool.on('error', () => {});
    const store = postgresEventStore({ pool, schema: 'silent', ...tight });
    const error = await rejection(store.headPosition());
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/connectTimeoutMs/);
    await store.close();
    // The attempt inside the caller's pool is the caller's to bound; the listener's end releases it.
    await listener[Symbol.asyncDispose]();
    await pool.end();
  });
});

describe.skipIf(!available)(
  'a network that goes silent mid-session (proxy stops forwarding, resets nothing)',
  HANG,
  () => {
    const stores = storeFactory('bounds');
    afterAll(() => stores.cleanup());

    const countAll = async (schema: string): Promise<number> =>
      Number((await sql<{ n: string }>(`select count(*)::text n from "${schema}".events`))[0]!.n);

    it('in-flight and queued appends, headPosition, migrate and a transaction all fail with typed errors naming their bound; close() returns', async () => {
      const direct = await stores.open();
      await using proxy = await CutProxy.start(PG_URL);
      const store = postgresEventStore({
        connectionString: proxy.url(PG_URL),
        schema: direct.schema,
        poolSize: 2,
        ...tight,
      });
      try {
        // Two live connections in the pool before the network goes quiet. The warm-up's commit is
        // announced by a NOTIFY on a pooled connection (decision 0600): wait until it was delivered
        // and its backend is idle, so both connections are free when the network goes silent.
        const listener = new pg.Client({ connectionString: PG_URL });
        await listener.connect();
        try {
          const notified = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
          await listener.query(`listen "${headChannelName(direct.schema)}"`);
          await listener.query(listenerLockSql(direct.schema)); // registered, so the commit is announced (decision 0312)
          await Promise.all([store.append('warm-1', one()), store.headPosition(), store.headPosition()]);
          await notified;
        } finally {
          await listener.end();
        }
        await until(async () => {
          const rows = await sql<{ n: string }>(
            `select count(*)::text n from pg_stat_activity where query like '%pg_notify%' and query like $1 and state <> 'idle' and pid <> pg_backend_pid()`,
            [`%${headChannelName(direct.schema)}%`],
          );
          return rows[0]!.n === '0';
        });
        proxy.silence();
        const appends = [store.append('quiet-1', one()), store.append('quiet-2', one())];
        const headPosition = rejection(store.headPosition());
        await until(() => proxy.swallowedBytes > 0);
        const queued = store.append('quiet-3', one()); // behind the batch in flight
        const migrate = rejection(store.migrate());
        const transaction = rejection(store.transaction((tx) => tx.append('quiet-4', one())));

        const appendErrors = await Promise.all([...appends.map(rejection), rejection(queued)]);
        // The first batch went out on a pooled connection and was swallowed.
        expect(appendErrors[0]).toBeInstanceOf(UnknownOutcomeError);
        for (const error of appendErrors) {
          // Sent and unanswered: it may have committed, so the answer is UnknownOutcomeError, which names the bound.
          // Not sent (waiting for a connection that never came): a plain TimeoutError.
          expect(error).toBeInstanceOf(TidingsError);
          if (error instanceof UnknownOutcomeError) expect(error.message).toMatch(/queryTimeoutMs \(500 ms\)/);
          else expect(messages(error)).toMatch(/(connectTimeoutMs|checkoutTimeoutMs) \(500 ms\)/);
        }
        // Sent on the second pooled connection (queryTimeoutMs), or waiting for a new one (connectTimeoutMs).
        const head = await headPosition;
        expect(head).toBeInstanceOf(TimeoutError);
        expect((head as Error).message).toMatch(/(queryTimeoutMs|connectTimeoutMs) \(500 ms\)/);
        for (const error of [await migrate, await transaction]) {
          expect(error).toBeInstanceOf(TimeoutError);
          expect((error as Error).message).toMatch(/(connectTimeoutMs|checkoutTimeoutMs) \(500 ms\)/);
        }
        // Nothing reached the server: UnknownOutcomeError was the honest answer, not a lost write.
        expect(await countAll(direct.schema)).toBe(1);
      } finally {
        await store.close();
      }
    });

    it('close() waits closeTimeoutMs for pending work, then fails it with errors naming closeTimeoutMs and returns', async () => {
      const direct = await stores.open();
      await using proxy = await CutProxy.start(PG_URL);
      const reported: unknown[] = [];
      // The other bounds are long: only close() can end these waits within the test's time.
      const store = postgresEventStore({
        connectionString: proxy.url(PG_URL),
        schema: direct.schema,
        poolSize: 3,
        connectTimeoutMs: 60_000,
        checkoutTimeoutMs: 60_000,
        queryTimeoutMs: 60_000,
        closeTimeoutMs: 300,
        onError: (error) => reported.push(error),
      });
      await Promise.all([store.append('warm-1', one()), store.headPosition(), store.headPosition()]);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let appended!: () => void;
      const didAppend = new Promise<void>((r) => (appended = r));
      // A transaction whose work is still running when close() is called.
      const transaction = rejection(
        store.transaction(async (tx) => {
          await tx.append('held-1', one());
          appended();
          await gate;
          await tx.append('held-2', one());
        }),
      );
      await didAppend;
      proxy.silence();
      const inFlight = rejection(store.append('flight-1', one()));
      const head = rejection(store.headPosition());
      await until(() => proxy.swallowedBytes > 0);
      const queued = rejection(store.append('queued-1', one()));
      const waiting = rejection(store.migrate()); // all three connections are in use: waits for one

      await store.close();

      const flight = await inFlight;
      expect(flight).toBeInstanceOf(UnknownOutcomeError);
      expect((flight as Error).message).toMatch(/closeTimeoutMs \(300 ms\)/);
      for (const error of [await head, await queued, await waiting]) {
        expect(error).toBeInstanceOf(TimeoutError);
        expect((error as Error).message).toMatch(/closeTimeoutMs \(300 ms\)/);
      }
      expect(((await queued) as Error).message).toMatch(/was not sent/);
      expect(
        reported.some((e) => e instanceof TimeoutError && /store\.close\(\) waited closeTimeoutMs/.test(e.message)),
      ).toBe(true);
      release();
      const tx = await transaction;
      expect(tx).toBeInstanceOf(TidingsError);
      expect((tx as TidingsError).code).toBe('CONNECTION_LOST');
      expect(await countAll(direct.schema)).toBe(1); // only the warm-up append
    });

    it("a connection of the caller's pool leaves the store without its query bound", async () => {
      const direct = await stores.open();
      const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
      const store = postgresEventStore({ pool, schema: direct.schema, ...tight });
      try {
        await store.headPosition(); // the store held the pool's only connection, bounded to 500 ms
        const client = await pool.connect();
        try {
          // The caller's own slow statement on it, once released, is not cut by the store's bound.
          await client.query('set statement_timeout = 0');
          await expect(client.query('select pg_sleep(0.8)')).resolves.toBeDefined();
        } finally {
          client.release();
        }
        // And the store's bound is back when the store holds it again (statement_timeout is still 0 on
        // this connection, so only the client-side bound can end the statement).
        const slow = await rejection(store.transaction((tx) => tx.connection.query('select pg_sleep(0.8)')));
        expect(slow).toBeInstanceOf(TimeoutError);
      } finally {
        await store.close();
        await pool.end();
      }
    });
  },
);

describe.skipIf(!available)('pool exhaustion inside transactions', HANG, () => {
  const stores = storeFactory('exhaust');
  afterAll(() => stores.cleanup());

  /** `n` concurrent transactions that all hold their connection, then read through the store (not tx). */
  const readThroughStore = (store: PostgresEventStore, n: number) => {
    let started = 0;
    let allStarted!: () => void;
    const barrier = new Promise<void>((r) => (allStarted = r));
    return Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        store.transaction(async (tx) => {
          if (++started === n) allStarted();
          await barrier;
          const info = await store.streamInfo(`acct-${i}`);
          await tx.append(`acct-${i}`, one(), { expectedVersion: info.version });
          return info.version;
        }),
      ),
    );
  };

  it('ten transactions (the pool size) reading through store.streamInfo fail with a TimeoutError saying what to do, instead of deadlocking', async () => {
    const store = await stores.open({ checkoutTimeoutMs: 1000 });
    const outcomes = await readThroughStore(store, 10);
    const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason as unknown);
    expect(failures.length).toBeGreaterThan(0);
    for (const error of failures) {
      expect(error).toBeInstanceOf(TimeoutError);
      const message = (error as Error).message;
      expect(message).toMatch(/checkoutTimeoutMs \(1000 ms\)/);
      expect(message).toMatch(/all 10 connections of the pool are in use, \d+ of them by store\.transaction work/);
      expect(message).toMatch(/tx\.streamInfo/);
      expect(message).toMatch(/poolSize/);
    }
    // The store is usable afterwards: every connection came back.
    expect((await store.streamInfo('acct-0')).version).toBeGreaterThanOrEqual(0n);
    await expect(store.append('after-1', one())).resolves.toMatchObject({ nextVersion: 1n });
  });

  it('five such transactions (half the pool) all succeed', async () => {
    const store = await stores.open({ checkoutTimeoutMs: 1000 });
    const outcomes = await readThroughStore(store, 5);
    expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('fulfilled'));
  });
});
