import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { ConcurrencyError, DuplicateEventError, StreamDeletedError, uuidv7 } from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './index.js';

const ev = (type: string, data: unknown = {}, id?: string) => (id === undefined ? { type, data } : { id, type, data });

/** Counts runs of the store's prepared statements whose SQL matches, observed on the connection itself. */
function countRuns(db: Db, match: (sql: string) => boolean): { count: number } {
  const counter = { count: 0 };
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    if (match(sql)) {
      for (const method of ['run', 'get', 'all'] as const) {
        const original: (...p: unknown[]) => unknown = stmt[method].bind(stmt);
        (stmt as unknown as Record<string, unknown>)[method] = (...params: unknown[]) => {
          counter.count++;
          return original(...params);
        };
      }
    }
    return stmt;
  }) as typeof db.prepare;
  return counter;
}

// The fast paths of decision 0204: a batch reads its stream rows in one statement and writes them
// back in one; appends whose ids were all generated skip the id look-up.
describe('sqliteEventStore batches and fast paths', () => {
  let tmp: TempDir;
  let db: Db | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    db?.close();
    db = undefined;
    tmp.remove();
  });

  it('a batch sees its own appends: revived soft-deleted stream, tombstone, running versions, verbatim ids', async () => {
    db = new Database(tmp.path());
    const commits = countRuns(db, (sql) => sql === 'COMMIT');
    const store = await sqliteEventStore(db);
    await store.append('sd-1', [ev('x.happened'), ev('x.happened')]);
    await store.deleteStream('sd-1');
    await store.append('hd-1', [ev('x.happened')]);
    await store.deleteStream('hd-1', { mode: 'hard' });
    const odd = ['o\'rder-"1"; DROP TABLE streams; --', 'ünï-çødé-🙂', '123', '[1,2]'];
    commits.count = 0;
    const results = await Promise.allSettled([
      store.append('sd-1', [ev('x.happened', 'revived')], { expectedVersion: 'no-stream' }),
      store.append('sd-1', [ev('x.happened')], { expectedVersion: 'no-stream' }),
      store.append('hd-1', [ev('x.happened')]),
      ...odd.map((id) => store.append(id, [ev('x.happened', id)], { expectedVersion: 'no-stream' })),
      store.append('sd-1', [ev('x.happened', 'next')], { expectedVersion: 3n }),
      store.append(odd[0]!, [ev('x.happened', 'again')], { expectedVersion: 1n }),
    ]);
    expect(commits.count).toBe(1); // one batch, so the batch path ran
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const reason = (i: number): unknown => (results[i] as PromiseRejectedResult).reason;
    expect(reason(1)).toBeInstanceOf(ConcurrencyError); // the revive in the same batch made it exist
    expect((reason(1) as ConcurrencyError).actual).toBe(3n);
    expect(reason(2)).toBeInstanceOf(StreamDeletedError);
    await store.close();

    // The stream rows the batch wrote back, read by a fresh store on the file.
    const again = await sqliteEventStore(tmp.path());
    try {
      const info = await again.streamInfo('sd-1');
      expect([info.version, info.deleted]).toEqual([4n, undefined]);
      expect((await collect(again.readStream('sd-1'))).map((e) => [e.version, e.data])).toEqual([
        [3n, 'revived'],
        [4n, 'next'],
      ]);
      for (const id of odd) {
        const events = await collect(again.readStream(id));
        expect(events.map((e) => e.streamId)).toEqual(id === odd[0] ? [id, id] : [id]);
        expect((await again.streamInfo(id)).version).toBe(id === odd[0] ? 2n : 1n);
      }
      // Versions continue from the rows the batch wrote.
      const r = await again.append('sd-1', [ev('x.happened')], { expectedVersion: 4n });
      expect(r.nextVersion).toBe(5n);
      expect(r.position).toBe(await again.headPosition());
    } finally {
      await again.close();
    }
  });

  it('recordedAt of a batch is clamped to the last stored event’s when the clock steps back', async () => {
    const clock = createFakeClock({ now: 1_000_000 });
    const store = await sqliteEventStore(tmp.path(), { clock });
    try {
      await store.append('c-1', [ev('x.happened')]);
      (clock as { now: () => number }).now = () => 500;
      await Promise.all([store.append('c-1', [ev('x.happened')]), store.append('c-2', [ev('x.happened')])]);
      await store.append('c-3', [ev('x.happened')]);
      const times = (await collect(store.readAll())).map((e) => e.recordedAt.getTime());
      expect(times).toEqual([1_000_000, 1_000_000, 1_000_000, 1_000_000]);
    } finally {
      await store.close();
    }
  });

  it('looks stored ids up only when the caller supplied one, wherever it sits in the append', async () => {
    db = new Database(tmp.path());
    const lookUps = countRuns(db, (sql) => /FROM events WHERE id/.test(sql));
    const store = await sqliteEventStore(db);
    try {
      await store.append('g-1', [ev('x.happened'), ev('x.happened')]);
      await Promise.all([store.append('g-2', [ev('x.happened')]), store.append('g-3', [ev('x.happened')])]);
      expect(lookUps.count).toBe(0);

      const given = uuidv7();
      const first = await store.append('i-1', [ev('x.happened', 1), ev('x.happened', 2, given)]);
      expect(lookUps.count).toBeGreaterThan(0);
      // The generated id of the retry differs, so it is not the same append: DuplicateEventError, nothing written.
      await expect(store.append('i-1', [ev('x.happened', 1), ev('x.happened', 2, given)])).rejects.toBeInstanceOf(
        DuplicateEventError,
      );
      const id0 = (await collect(store.readStream('i-1')))[0]!.id;
      // The exact retry (both ids) returns the original result.
      expect(await store.append('i-1', [ev('x.happened', 1, id0), ev('x.happened', 2, given)])).toEqual(first);
      expect(await collect(store.readStream('i-1'))).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});
