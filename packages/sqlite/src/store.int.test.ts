import Database from 'better-sqlite3';
import { ConcurrencyError, DuplicateEventError, StreamDeletedError, uuidv7, type RecordedEvent } from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore, type SqliteEventStore } from './index.js';

const ev = (type: string, data: unknown = {}, id?: string) => (id === undefined ? { type, data } : { id, type, data });

describe('sqliteEventStore (focused)', () => {
  let tmp: TempDir;
  const open: SqliteEventStore[] = [];
  const openStore = async (...args: Parameters<typeof sqliteEventStore>): Promise<SqliteEventStore> => {
    const store = await sqliteEventStore(...args);
    open.push(store);
    return store;
  };

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    tmp.remove();
  });

  it('appends and reads a stream forward and backward', async () => {
    const store = await openStore(tmp.path());
    const r = await store.append('order-1', [ev('order.placed', { n: 1 }), ev('order.paid', { n: 2 })], {
      expectedVersion: 'no-stream',
    });
    expect(r.nextVersion).toBe(2n);
    const fwd = await collect(store.readStream('order-1'));
    expect(fwd.map((e) => [e.version, e.type, e.data])).toEqual([
      [1n, 'order.placed', { n: 1 }],
      [2n, 'order.paid', { n: 2 }],
    ]);
    expect(fwd[1]?.position).toBe(r.position);
    const back = await collect(store.readStream('order-1', { direction: 'backward', limit: 1 }));
    expect(back.map((e) => e.version)).toEqual([2n]);
  });

  it('group commit: coalesced appends each keep their own check and outcome', async () => {
    const store = await openStore(tmp.path());
    await store.append('a-1', [ev('x.happened')]);
    const results = await Promise.allSettled([
      store.append('a-1', [ev('x.happened')], { expectedVersion: 1n }),
      store.append('a-1', [ev('x.happened')], { expectedVersion: 1n }),
      store.append('b-1', [ev('x.happened')], { expectedVersion: 'no-stream' }),
      store.append('a-1', [ev('x.happened')], { expectedVersion: 2n }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const conflict = (results[1] as PromiseRejectedResult).reason as ConcurrencyError;
    expect(conflict).toBeInstanceOf(ConcurrencyError);
    // The second saw the first's result: running versions inside one batch.
    expect(conflict.actual).toBe(2n);
    expect((results[3] as PromiseFulfilledResult<{ nextVersion: bigint }>).value.nextVersion).toBe(3n);
    expect((await collect(store.readStream('a-1'))).map((e) => e.version)).toEqual([1n, 2n, 3n]);
    expect(await collect(store.readStream('b-1'))).toHaveLength(1);
  });

  it('group commit puts concurrent appends into one transaction', async () => {
    const db = new Database(tmp.path());
    // Counts COMMITs however the store issues them: through exec or a prepared statement.
    let commits = 0;
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      if (sql.trim().toUpperCase() === 'COMMIT') commits++;
      return exec(sql);
    };
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const stmt = prepare(sql);
      if (sql.trim().toUpperCase() === 'COMMIT') {
        const run = stmt.run.bind(stmt);
        stmt.run = (...params: unknown[]) => {
          commits++;
          return run(...params);
        };
      }
      return stmt;
    }) as typeof db.prepare;
    const store = await openStore(db);
    commits = 0; // the migration's own
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(`s-${i}`, [ev('x.happened')])));
      expect(commits).toBe(1);
      await store.append('s-x', [ev('x.happened')]);
      await store.append('s-x', [ev('x.happened')]);
      expect(commits).toBe(3);
      expect(await collect(store.readAll())).toHaveLength(52);
    } finally {
      await store.close();
      db.close();
    }
  });

  it('idempotent append: same ids at the same expected version return the original result; elsewhere DuplicateEventError', async () => {
    const store = await openStore(tmp.path());
    const ids = [uuidv7(), uuidv7()];
    const events = [ev('x.happened', 1, ids[0]), ev('x.happened', 2, ids[1])];
    const first = await store.append('s-1', events, { expectedVersion: 'no-stream' });
    await store.append('s-1', [ev('x.happened', 3)]);
    const again = await store.append('s-1', events, { expectedVersion: 'no-stream' });
    expect(again).toEqual(first);
    await expect(store.append('s-2', events)).rejects.toBeInstanceOf(DuplicateEventError);
    await expect(store.append('s-1', [events[1]!, events[0]!])).rejects.toBeInstanceOf(DuplicateEventError);
    expect(await collect(store.readStream('s-1'))).toHaveLength(3);
    expect(await collect(store.readStream('s-2'))).toHaveLength(0);
  });

  it('transaction: the caller’s own writes and appends commit together; a throw rolls both back; other appends wait', async () => {
    const store = await openStore(tmp.path());
    await store.transaction(async (tx) => {
      tx.connection.exec('CREATE TABLE IF NOT EXISTS read_model (id TEXT PRIMARY KEY, n INTEGER)');
      return Promise.resolve();
    });
    let outsideDone = false;
    let outside: Promise<unknown> | undefined;
    await expect(
      store.transaction(async (tx) => {
        await tx.append('t-1', [ev('x.happened')]);
        tx.connection.prepare('INSERT INTO read_model VALUES (?, ?)').run('a', 1);
        outside = store.append('t-2', [ev('x.happened')]).then(() => (outsideDone = true));
        await new Promise((r) => setTimeout(r, 20));
        expect(outsideDone).toBe(false); // queued behind the open transaction
        expect((await collect(tx.readStream('t-1'))).length).toBe(1); // sees its own append
        expect(await collect(store.readStream('t-1'))).toHaveLength(0); // others do not
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await outside;
    expect(await collect(store.readStream('t-1'))).toHaveLength(0);
    const db = new Database(tmp.path(), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM read_model').get()).toEqual({ n: 0 });
    db.close();
    let committed = false;
    await store.transaction(async (tx) => {
      await tx.append('t-1', [ev('x.happened')]);
      tx.connection.prepare('INSERT INTO read_model VALUES (?, ?)').run('a', 1);
      tx.afterCommit(() => (committed = true));
    });
    expect(committed).toBe(true);
    expect(await collect(store.readStream('t-1'))).toHaveLength(1);
  });

  it('recordedAt comes from the clock and never decreases with position', async () => {
    const clock = createFakeClock({ now: 1_000_000 });
    const store = await openStore(tmp.path(), { clock });
    await store.append('c-1', [ev('x.happened')]);
    await clock.advance(0);
    (clock as { now: () => number }).now = () => 500; // the clock steps back
    await store.append('c-1', [ev('x.happened')]);
    const events = await collect(store.readAll());
    expect(events.map((e) => e.recordedAt.getTime())).toEqual([1_000_000, 1_000_000]);
  });

  it('soft delete hides events and versions continue; hard delete tombstones', async () => {
    const store = await openStore(tmp.path());
    await store.append('d-1', [ev('x.happened'), ev('x.happened')]);
    await store.deleteStream('d-1');
    expect(await collect(store.readStream('d-1'))).toHaveLength(0);
    expect((await store.streamInfo('d-1')).deleted).toBe('soft');
    const r = await store.append('d-1', [ev('x.happened')], { expectedVersion: 'no-stream' });
    expect(r.nextVersion).toBe(3n);
    expect((await collect(store.readStream('d-1'))).map((e) => e.version)).toEqual([3n]);
    await store.deleteStream('d-1', { mode: 'hard' });
    await expect(store.append('d-1', [ev('x.happened')])).rejects.toBeInstanceOf(StreamDeletedError);
    expect(await collect(store.readAll())).toHaveLength(0);
  });

  it('maxCount and maxAge hide older events from readStream and readAll', async () => {
    const clock = createFakeClock({ now: 10_000 });
    const store = await openStore(tmp.path(), { clock });
    await store.append('r-1', [ev('x.happened', 1)]);
    await clock.advance(5_000);
    await store.append('r-1', [ev('x.happened', 2), ev('x.happened', 3)]);
    await store.append('other-1', [ev('x.happened', 4)]);
    await store.setStreamMetadata('r-1', { maxCount: 2 });
    const data = (events: RecordedEvent[]) => events.map((e) => e.data);
    expect(data(await collect(store.readStream('r-1')))).toEqual([2, 3]);
    expect(data(await collect(store.readAll()))).toEqual([2, 3, 4]);
    await store.setStreamMetadata('r-1', { maxAge: 1_000, owner: 'me' });
    await clock.advance(500);
    expect(data(await collect(store.readStream('r-1')))).toEqual([2, 3]);
    await clock.advance(1_000);
    expect(data(await collect(store.readAll()))).toEqual([4]);
    expect((await store.streamInfo('r-1')).metadata).toEqual({ maxAge: 1_000, owner: 'me' });
  });

  it('readAll pages through many events in short read transactions, with filters, both directions', async () => {
    const store = await openStore(tmp.path(), { readPageSize: 7 });
    for (let i = 0; i < 10; i++)
      await store.append(`${i % 2 === 0 ? 'even' : 'odd'}-${i}`, [ev(i % 3 === 0 ? 'x.three' : 'x.other', i)]);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await collect(store.readAll({ direction: 'backward', limit: 3 }))).map((e) => e.data)).toEqual([9, 8, 7]);
    expect((await collect(store.readAll({ filter: { categories: ['odd'] } }))).map((e) => e.data)).toEqual([
      1, 3, 5, 7, 9,
    ]);
    expect((await collect(store.readByType(['x.three']))).map((e) => e.data)).toEqual([0, 3, 6, 9]);
    expect(await collect(store.readAll({ filter: { types: [] } }))).toEqual([]);
  });

  it('readByTime returns the [from, to) window', async () => {
    const clock = createFakeClock({ now: 0 });
    const s2 = await openStore(tmp.path(), { clock });
    for (let i = 0; i < 20; i++) {
      await s2.append('t-1', [ev('x.happened', i)]);
      await clock.advance(10);
    }
    const window = await collect(s2.readByTime({ from: new Date(50), to: new Date(120) }));
    expect(window.map((e) => e.data)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(await collect(s2.readByTime({ from: new Date(500), to: new Date(900) }))).toEqual([]);
  });

  it('onHeadMoved fires asynchronously after a local commit', async () => {
    const store = await openStore(tmp.path());
    const heads: bigint[] = [];
    using _sub = store.onHeadMoved((h) => heads.push(h));
    const r = await store.append('h-1', [ev('x.happened')]);
    expect(heads).toEqual([]); // not inside append
    await new Promise((resolve) => setImmediate(resolve));
    expect(heads).toEqual([r.position]);
    expect(await store.headPosition()).toBe(r.position);
  });

  it('notices commits by another connection through data_version polling', async () => {
    const a = await openStore(tmp.path(), { pollIntervalMs: 5 });
    const b = await openStore(tmp.path());
    const moved = new Promise<bigint>((resolve) => {
      a.onHeadMoved(resolve);
    });
    const r = await b.append('p-1', [ev('x.happened')]);
    expect(await moved).toBe(r.position);
    expect((await collect(a.readAll())).map((e) => e.position)).toEqual([r.position]);
  });
});
