import {
  ConcurrencyError,
  DuplicateEventError,
  IncompatibleStoreError,
  StreamDeletedError,
  systemClock,
  TidingsError,
  uuidv7,
  ValidationError,
} from 'tidings';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import { collect, storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable, randomSchema, sql } from './test-support/pg-env.js';

const available = await pgAvailable();

describe.skipIf(!available)('postgres event store', () => {
  const stores = storeFactory('store');
  afterAll(() => stores.cleanup());

  const xids = async (schema: string): Promise<number> =>
    Number((await sql<{ n: string }>(`select count(distinct xmin::text)::text as n from "${schema}".events`))[0]!.n);

  it('coalesces concurrent appends into one transaction with contiguous positions', async () => {
    const store = await stores.open();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.append(`acct-${i}`, [{ type: 'acct.opened', data: { i } }])),
    );
    expect(results.map((r) => r.position).sort()).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    expect(await xids(store.schema)).toBe(1);
    expect(await store.headPosition()).toBe(8n);
  });

  it('checks versions per append in a batch: running versions, and one conflict fails only its caller', async () => {
    const store = await stores.open();
    const [a, b, c, d] = await Promise.allSettled([
      store.append('order-1', [{ type: 'order.placed', data: {} }], { expectedVersion: 'no-stream' }),
      store.append('order-1', [{ type: 'order.placed', data: {} }], { expectedVersion: 'no-stream' }),
      store.append(
        'order-1',
        [
          { type: 'order.paid', data: {} },
          { type: 'order.packed', data: {} },
        ],
        { expectedVersion: 1n },
      ),
      store.append('order-2', [{ type: 'order.placed', data: {} }], { expectedVersion: 0n }),
    ]);
    expect(a).toEqual({ status: 'fulfilled', value: { nextVersion: 1n, position: 1n } });
    expect(b.status).toBe('rejected');
    const conflict = (b as PromiseRejectedResult).reason as ConcurrencyError;
    expect(conflict).toBeInstanceOf(ConcurrencyError);
    expect(conflict.actual).toBe(1n);
    expect(c).toEqual({ status: 'fulfilled', value: { nextVersion: 3n, position: 3n } });
    expect(d).toEqual({ status: 'fulfilled', value: { nextVersion: 1n, position: 4n } });
    expect(await xids(store.schema)).toBe(1);
    expect((await collect(store.readStream('order-1'))).map((e) => e.type)).toEqual([
      'order.placed',
      'order.paid',
      'order.packed',
    ]);
  });

  it('retries a batch that failed for another reason member by member', async () => {
    const store = await stores.open();
    await sql(`create function "${store.schema}".poison() returns trigger language plpgsql as $$
      begin if exists (select 1 from new_rows where type = 'test.poison') then raise exception 'poisoned'; end if; return null; end $$;
      create trigger poison after insert on "${store.schema}".events referencing new table as new_rows
      for each statement execute function "${store.schema}".poison();`);
    const [ok1, bad, ok2] = await Promise.allSettled([
      store.append('s-1', [{ type: 'test.fine', data: 1 }]),
      store.append('s-2', [{ type: 'test.poison', data: 2 }]),
      store.append('s-3', [{ type: 'test.fine', data: 3 }]),
    ]);
    expect(ok1.status).toBe('fulfilled');
    expect(ok2.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/poisoned/);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.data)).toEqual([1, 3]);
    expect(all.map((e) => e.position)).toEqual([1n, 2n]);
  });

  it('is idempotent: the same ids at the same expected version return the original result', async () => {
    const store = await stores.open();
    const ids = [uuidv7(), uuidv7()];
    const events = ids.map((id, i) => ({ id, type: 'user.registered', data: { i } }));
    const first = await store.append('user-1', events, { expectedVersion: 'no-stream' });
    await store.append('user-1', [{ type: 'user.renamed', data: {} }]);
    // Two retries racing each other go to separate batches and both get the original result.
    const [again, again2] = await Promise.all([
      store.append('user-1', events, { expectedVersion: 'no-stream' }),
      store.append('user-1', events, { expectedVersion: 'no-stream' }),
    ]);
    expect(again).toEqual(first);
    expect(again2).toEqual(first);
    await expect(store.append('user-1', events, { expectedVersion: 5n })).rejects.toBeInstanceOf(DuplicateEventError);
    await expect(store.append('user-2', [events[0]!])).rejects.toBeInstanceOf(DuplicateEventError);
    await expect(store.append('user-1', [events[1]!, events[0]!])).rejects.toBeInstanceOf(DuplicateEventError);
    expect((await store.streamInfo('user-1')).version).toBe(3n);
    expect(await store.headPosition()).toBe(3n);
  });

  it('rejects bad input with a typed error and writes nothing', async () => {
    const store = await stores.open();
    await expect(store.append('order-1', [{ type: 'Bad Type!', data: {} }])).rejects.toBeInstanceOf(ValidationError);
    await expect(store.append('order-1', [{ type: 'order.placed', data: 10n }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(store.append('', [{ type: 'order.placed', data: {} }])).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.append('order-1', [{ type: 'order.placed', data: 'x'.repeat(2000) }], {}),
    ).resolves.toBeDefined();
    const small = postgresEventStore({ connectionString: PG_URL, schema: store.schema, maxEventBytes: 100 });
    await expect(small.append('order-1', [{ type: 'order.placed', data: 'x'.repeat(200) }])).rejects.toMatchObject({
      code: 'EVENT_TOO_LARGE',
    });
    await small.close();
    expect(await store.headPosition()).toBe(1n);
    expect(() => postgresEventStore({ connectionString: PG_URL, schema: 'Robert"); drop table x;--' })).toThrow(
      ValidationError,
    );
    expect(() => postgresEventStore({ schema: 'ok' })).toThrow(ValidationError);
    expect(() =>
      postgresEventStore({ connectionString: PG_URL, lockTimeoutMs: 5000, statementTimeoutMs: 1000 }),
    ).toThrow(/above lockTimeoutMs/);
  });

  it('stores SQL-looking stream ids, types and metadata verbatim', async () => {
    const store = await stores.open();
    const streamId = `order-'); drop table events; -- "x" \\ $1`;
    const metadata = { note: "'; delete from streams where '1'='1", "we'ird": '$$ $fn$ \\x00' };
    await store.append(streamId, [{ type: 'drop_table.events', data: { sql: 'select * from pg_user; --' }, metadata }]);
    const [event] = await collect(store.readStream(streamId));
    expect(event).toMatchObject({
      streamId,
      type: 'drop_table.events',
      data: { sql: 'select * from pg_user; --' },
      metadata,
    });
    await store.setStreamMetadata(streamId, { owner: "o'brien" });
    expect((await store.streamInfo(streamId)).metadata).toEqual({ owner: "o'brien" });
    expect((await collect(store.readAll({ filter: { categories: ['order'] } }))).length).toBe(1);
  });

  it('runs the caller writes and the appends in one transaction', async () => {
    const store = await stores.open();
    await sql(`create table "${store.schema}".read_model (id text primary key, n int)`);
    const committed: string[] = [];
    await store.transaction(async (tx) => {
      await tx.connection.query(`insert into "${store.schema}".read_model values ('a', 1)`);
      await tx.append('order-1', [{ type: 'order.placed', data: {} }], { expectedVersion: 'no-stream' });
      expect((await collect(tx.readStream('order-1'))).length).toBe(1);
      tx.afterCommit(() => committed.push('after'));
    });
    expect(committed).toEqual(['after']);
    await expect(
      store.transaction(async (tx) => {
        await tx.connection.query(`insert into "${store.schema}".read_model values ('b', 2)`);
        await tx.append('order-1', [{ type: 'order.paid', data: {} }], { expectedVersion: 1n });
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    await expect(
      store.transaction(async (tx) => {
        await tx.connection.query(`insert into "${store.schema}".read_model values ('c', 3)`);
        await tx.append('order-1', [{ type: 'order.paid', data: {} }], { expectedVersion: 7n });
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(
      (await sql<{ id: string }>(`select id from "${store.schema}".read_model order by id`)).map((r) => r.id),
    ).toEqual(['a']);
    expect(await store.headPosition()).toBe(1n);
    // A failed statement swallowed inside the work must not look like a commit.
    await expect(
      store.transaction(async (tx) => {
        await tx.append('order-1', [{ type: 'order.paid', data: {} }]);
        await tx.connection.query('select 1/0').catch(() => {});
      }),
    ).rejects.toMatchObject({ code: 'TRANSACTION_ABORTED' });
    expect(await store.headPosition()).toBe(1n);
  });

  it('sets lock, idle and statement timeouts on its connections', async () => {
    const store = await stores.open({
      lockTimeoutMs: 1234,
      idleInTransactionTimeoutMs: 4321,
      statementTimeoutMs: 9876,
    });
    const settings = await store.transaction(async (tx) => {
      const r = await tx.connection.query<{ l: string; i: string; s: string; c: string }>(
        `select current_setting('lock_timeout') l, current_setting('idle_in_transaction_session_timeout') i, current_setting('statement_timeout') s, current_setting('synchronous_commit') c`,
      );
      return r.rows[0];
    });
    expect(settings).toEqual({ l: '1234ms', i: '4321ms', s: '9876ms', c: 'on' });
  });

  it('reads $all in keyset pages, filtered, backward and by time; recordedAt never decreases', async () => {
    let now = Date.UTC(2024, 0, 1);
    const clock = { ...systemClock, now: () => now };
    const store = await stores.open({ readPageSize: 3, clock });
    for (let i = 0; i < 5; i++) {
      await store.append(`cart-${i}`, [{ type: 'cart.opened', data: i }]);
      await store.append(`user-${i}`, [{ type: 'user.seen', data: i }]);
      now += 1000;
    }
    now -= 60_000; // a clock stepping back must not make recordedAt decrease
    await store.append('cart-9', [{ type: 'cart.opened', data: 9 }]);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: 11 }, (_, i) => BigInt(i + 1)));
    for (let i = 1; i < all.length; i++)
      expect(all[i]!.recordedAt.getTime()).toBeGreaterThanOrEqual(all[i - 1]!.recordedAt.getTime());
    expect((await collect(store.readAll({ from: 4n, limit: 4 }))).map((e) => e.position)).toEqual([4n, 5n, 6n, 7n]);
    expect((await collect(store.readAll({ direction: 'backward', limit: 4 }))).map((e) => e.position)).toEqual([
      11n,
      10n,
      9n,
      8n,
    ]);
    expect((await collect(store.readByType(['user.seen']))).map((e) => e.data)).toEqual([0, 1, 2, 3, 4]);
    expect((await collect(store.readAll({ filter: { categories: ['cart'] } }))).map((e) => e.data)).toEqual([
      0, 1, 2, 3, 4, 9,
    ]);
    expect(await collect(store.readAll({ filter: { types: [] } }))).toEqual([]);
    const t0 = Date.UTC(2024, 0, 1);
    expect(
      (await collect(store.readByTime({ from: new Date(t0 + 1000), to: new Date(t0 + 3000) }))).map((e) => e.data),
    ).toEqual([1, 1, 2, 2]);
    await expect(collect(store.readAll({ limit: -1 }))).rejects.toBeInstanceOf(TidingsError);
  });

  it('a $all read stopped after its first page (the next one already requested) leaves nothing busy', async () => {
    const errors: unknown[] = [];
    const store = await stores.open({ readPageSize: 3, onError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) await store.append(`cart-${i}`, [{ type: 'cart.opened', data: i }]);
    const seen: unknown[] = [];
    for await (const e of store.readAll()) {
      seen.push(e.data);
      if (seen.length === 2) break; // the second page was requested when the first arrived
    }
    expect(seen).toEqual([0, 1]);
    // Pages continue from where a fresh read starts, and the store closes without waiting on anything.
    expect((await collect(store.readAll({ from: 3n }))).map((e) => e.data)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    await store.close();
    expect(errors).toEqual([]);
  });

  it('applies maxCount retention, truncation, soft and hard delete', async () => {
    const store = await stores.open();
    const put = (id: string, n: number) =>
      store.append(
        id,
        Array.from({ length: n }, (_, i) => ({ type: 'item.added', data: i })),
      );
    await put('keep-1', 5);
    await store.setStreamMetadata('keep-1', { maxCount: 2 });
    expect((await collect(store.readStream('keep-1'))).map((e) => e.version)).toEqual([4n, 5n]);
    expect((await collect(store.readAll())).length).toBe(2);
    await put('trunc-1', 4);
    await store.truncateBefore('trunc-1', 3n);
    expect((await collect(store.readStream('trunc-1'))).map((e) => e.version)).toEqual([3n, 4n]);
    expect((await store.streamInfo('trunc-1')).truncatedBefore).toBe(3n);
    await put('soft-1', 2);
    await store.deleteStream('soft-1');
    expect(await collect(store.readStream('soft-1'))).toEqual([]);
    expect((await store.streamInfo('soft-1')).deleted).toBe('soft');
    const revived = await store.append('soft-1', [{ type: 'item.added', data: 'again' }], {
      expectedVersion: 'no-stream',
    });
    expect(revived.nextVersion).toBe(3n);
    expect((await collect(store.readStream('soft-1'))).map((e) => e.data)).toEqual(['again']);
    await put('hard-1', 2);
    await expect(store.deleteStream('hard-1', { mode: 'hard', expectedVersion: 1n })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    await store.deleteStream('hard-1', { mode: 'hard', expectedVersion: 2n });
    await expect(put('hard-1', 1)).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(store.setStreamMetadata('hard-1', {})).rejects.toBeInstanceOf(StreamDeletedError);
    expect((await store.streamInfo('hard-1')).deleted).toBe('hard');
    const types = new Set((await collect(store.readAll())).map((e) => e.streamId));
    expect([...types].sort()).toEqual(['keep-1', 'soft-1', 'trunc-1']);
  });

  it('tells head listeners about local commits and, by polling, about other processes', async () => {
    const store = await stores.open({ pollIntervalMs: 50 });
    const other = postgresEventStore({ connectionString: PG_URL, schema: store.schema });
    try {
      const heads: bigint[] = [];
      let wake: (() => void) | undefined;
      using _sub = store.onHeadMoved((h) => {
        heads.push(h);
        wake?.();
      });
      const next = (): Promise<void> => new Promise((r) => (wake = r));
      let moved = next();
      await store.append('a-1', [{ type: 'a.b', data: 1 }]);
      await moved;
      expect(heads).toEqual([1n]);
      moved = next();
      await other.append('a-1', [
        { type: 'a.b', data: 2 },
        { type: 'a.b', data: 3 },
      ]);
      await moved;
      expect(heads).toEqual([1n, 3n]);
    } finally {
      await other.close();
    }
  });

  it('refuses a schema newer than the code, one that is not a store, and a store not migrated', async () => {
    const store = await stores.open();
    await sql(`update "${store.schema}".tidings_store set schema_version = 99`);
    await expect(store.migrate()).rejects.toBeInstanceOf(IncompatibleStoreError);
    const fresh = postgresEventStore({ connectionString: PG_URL, schema: store.schema });
    await expect(fresh.headPosition()).rejects.toBeInstanceOf(IncompatibleStoreError);
    await fresh.close();
    expect((await sql<{ v: number }>(`select schema_version v from "${store.schema}".tidings_store`))[0]?.v).toBe(99);

    const foreign = randomSchema('foreign');
    await sql(`create schema ${foreign}; create table ${foreign}.events (id int)`);
    const f = await stores.open({ schema: foreign }).catch((e: unknown) => e);
    expect(f).toBeInstanceOf(IncompatibleStoreError);

    const unmigrated = postgresEventStore({ connectionString: PG_URL, schema: randomSchema('none') });
    await expect(unmigrated.append('a-1', [{ type: 'a.b', data: 1 }])).rejects.toMatchObject({
      code: 'STORE_NOT_MIGRATED',
    });
    await unmigrated.close();
  });

  it('names the URL, without its password, when the server cannot be reached', async () => {
    const store = postgresEventStore({ connectionString: 'postgres://tidings:s3cret@127.0.0.1:1/test', schema: 'x' });
    const error = (await store.migrate().catch((e: unknown) => e)) as TidingsError;
    expect(error).toBeInstanceOf(TidingsError);
    expect(error.code).toBe('STORE_UNREACHABLE');
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).not.toContain('s3cret');
    await store.close();
  });
});
