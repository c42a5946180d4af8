import { StoreBusyError, TidingsError, UnknownOutcomeError, uuidv7 } from 'tidings';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import { CutProxy } from './test-support/cut-proxy.js';
import { collect, storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable, sql } from './test-support/pg-env.js';

// How long the unrelated session stays idle in its transaction (the issue says 30 s).
const IDLE_MS = Number(process.env['TIDINGS_PG_IDLE_MS'] ?? 30_000);

const available = await pgAvailable();

const countIn = async (schema: string, streamId: string): Promise<number> =>
  Number(
    (await sql<{ n: string }>(`select count(*)::text n from "${schema}".events where stream_id = $1`, [streamId]))[0]!
      .n,
  );

const events = (n: number) => Array.from({ length: n }, (_, i) => ({ id: uuidv7(), type: 'test.fault', data: { i } }));

describe.skipIf(!available)('postgres event store faults', () => {
  const stores = storeFactory('fault');
  afterAll(() => stores.cleanup());

  it('pg_terminate_backend on an appending connection: an error, the append wholly absent, and a retry stores it once', async () => {
    const store = await stores.open();
    const s = store.schema;
    await sql(`create function "${s}".slow() returns trigger language plpgsql as $$ begin perform pg_sleep(2); return null; end $$;
      create trigger slow after insert on "${s}".events for each statement execute function "${s}".slow();`);
    const batch = events(3);
    const appending = store.append('victim-1', batch).then(
      () => undefined,
      (e: unknown) => e,
    );
    let pid: number | undefined;
    for (let i = 0; i < 200 && pid === undefined; i++) {
      const rows = await sql<{ pid: number }>(
        `select pid from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()`,
        [`%update "${s}".head%`],
      );
      pid = rows[0]?.pid;
      if (pid === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(pid).toBeDefined();
    await sql('select pg_terminate_backend($1)', [pid]);
    const error = await appending;
    // The statement commits on its own, so a connection lost during it is reported as unknown.
    expect(error).toBeInstanceOf(UnknownOutcomeError);
    expect(await countIn(s, 'victim-1')).toBe(0);
    await sql(`drop trigger slow on "${s}".events`);
    const retried = await store.append('victim-1', batch);
    expect(await store.append('victim-1', batch)).toEqual(retried);
    expect(await countIn(s, 'victim-1')).toBe(3);
  });

  it('connection lost while the append commits: UnknownOutcomeError, and a retry with the same ids returns the original result', async () => {
    const store = await stores.open();
    await using proxy = await CutProxy.start(PG_URL);
    const viaProxy = postgresEventStore({ connectionString: proxy.url(PG_URL), schema: store.schema, poolSize: 1 });
    try {
      await viaProxy.append('warm-1', [{ type: 'test.warm', data: 0 }]);
      const batch = events(2);
      proxy.arm('tidings_batch_');
      const error = await viaProxy.append('lost-1', batch).catch((e: unknown) => e);
      expect(proxy.didCut).toBe(true);
      expect(error).toBeInstanceOf(UnknownOutcomeError);
      // It did commit: the reply was lost, not the work.
      expect(await countIn(store.schema, 'lost-1')).toBe(2);
      const retried = await store.append('lost-1', batch);
      expect(retried).toEqual({ nextVersion: 2n, position: 3n });
      expect(await countIn(store.schema, 'lost-1')).toBe(2);
    } finally {
      await viaProxy.close();
    }
  });

  it('in a transaction: lost before COMMIT stores nothing; lost during COMMIT is an UnknownOutcomeError that a retry resolves', async () => {
    const store = await stores.open();
    const s = store.schema;
    const before = await store
      .transaction(async (tx) => {
        await tx.append('tx-1', events(2));
        const pid = (await tx.connection.query<{ pid: number }>('select pg_backend_pid() pid')).rows[0]!.pid;
        const ended = new Promise((r) => tx.connection.once('end', r));
        await sql('select pg_terminate_backend($1)', [pid]);
        await ended;
      })
      .catch((e: unknown) => e);
    expect(before).toBeInstanceOf(TidingsError);
    expect((before as TidingsError).code).toBe('CONNECTION_LOST');
    expect(await countIn(s, 'tx-1')).toBe(0);

    await using proxy = await CutProxy.start(PG_URL);
    const viaProxy = postgresEventStore({ connectionString: proxy.url(PG_URL), schema: s, poolSize: 1 });
    try {
      const batch = events(2);
      const during = await viaProxy
        .transaction(async (tx) => {
          await tx.append('tx-2', batch, { expectedVersion: 'no-stream' });
          proxy.arm('commit');
        })
        .catch((e: unknown) => e);
      expect(proxy.didCut).toBe(true);
      expect(during).toBeInstanceOf(UnknownOutcomeError);
      expect(await countIn(s, 'tx-2')).toBe(2);
      const retried = await store.transaction((tx) => tx.append('tx-2', batch, { expectedVersion: 'no-stream' }));
      expect(retried.nextVersion).toBe(2n);
      expect(await countIn(s, 'tx-2')).toBe(2);
    } finally {
      await viaProxy.close();
    }
  });

  it('a store transaction idle after appending makes other writers fail with StoreBusyError within lock_timeout, then is killed', async () => {
    const holder = await stores.open({ idleInTransactionTimeoutMs: 2500 });
    const other = postgresEventStore({ connectionString: PG_URL, schema: holder.schema, lockTimeoutMs: 800 });
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let appended!: () => void;
      const didAppend = new Promise<void>((r) => (appended = r));
      const holding = holder
        .transaction(async (tx) => {
          await tx.append('hold-1', events(1));
          appended();
          await gate; // the connection sits idle in its transaction, holding the head row
        })
        .catch((e: unknown) => e);
      await didAppend;
      const started = Date.now();
      const busy = await other.append('other-1', events(1)).catch((e: unknown) => e);
      const waited = Date.now() - started;
      expect(busy).toBeInstanceOf(StoreBusyError);
      expect(waited).toBeGreaterThanOrEqual(700);
      expect(waited).toBeLessThan(800 + 2000);
      // idle_in_transaction_session_timeout ends the holder; its work is rolled back. Wait for the
      // server to end that session (bounded poll of pg_stat_activity), not for a fixed time.
      const idleHolder = () =>
        sql(`select 1 from pg_stat_activity where state like 'idle in transaction%' and query like $1`, [
          `%"${holder.schema}".%`,
        ]);
      for (let i = 0; i < 200 && (await idleHolder()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await idleHolder()).toHaveLength(0);
      release();
      const outcome = await holding;
      expect(outcome).toBeInstanceOf(TidingsError);
      expect((outcome as TidingsError).code).toBe('CONNECTION_LOST');
      await expect(other.append('other-1', events(1))).resolves.toEqual({ nextVersion: 1n, position: 1n });
      expect(await countIn(holder.schema, 'hold-1')).toBe(0);
    } finally {
      await other.close();
    }
  });

  it(
    `an unrelated session idle in a transaction that wrote something (${IDLE_MS} ms) does not stall readers`,
    async () => {
      const store = await stores.open();
      const s = store.schema;
      const pg = await import('pg');
      const idle = new pg.default.Client({ connectionString: PG_URL });
      await idle.connect();
      try {
        await idle.query(`create table "${s}".scratch (x int)`);
        await idle.query('begin');
        await idle.query(`insert into "${s}".scratch values (1)`);
        const until = Date.now() + IDLE_MS;
        let rounds = 0;
        let slowest = 0;
        let last = 0n;
        while (Date.now() < until) {
          const { position } = await store.append(`live-${rounds % 5}`, [{ type: 'test.live', data: rounds }]);
          const t = Date.now();
          const seen = await collect(store.readAll({ from: last + 1n }));
          slowest = Math.max(slowest, Date.now() - t);
          expect(seen.map((e) => e.position)).toEqual([position]);
          last = position;
          rounds++;
          await new Promise((r) => setTimeout(r, 20));
        }
        console.log(
          `[idle session] ${rounds} append+read rounds while another session sat idle in a transaction; slowest read ${slowest} ms`,
        );
        expect(rounds).toBeGreaterThan(10);
        expect(slowest).toBeLessThan(5000);
      } finally {
        await idle.query('rollback').catch(() => {});
        await idle.end();
      }
    },
    IDLE_MS + 60_000,
  );
});
