// Several processes on one file: writers serialise through SQLite's write lock, readers see each
// other's commits, and a writer frozen while holding the lock costs others a typed timeout, not a hang.
import { StoreBusyError } from 'tidings';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildChild, Children } from './__fixtures__/children.js';
import { checkCrashFile } from './__fixtures__/crash-check.js';
import { collect, tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore, type SqliteEventStore } from './store.js';

/** Appends while another process holds the lock; measures the wait and the longest event-loop stall. */
async function timeBusyAppend(store: SqliteEventStore): Promise<{ waited: number; worstGap: number }> {
  let last = performance.now();
  let worstGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    await expect(store.append('blocked-1', [{ type: 'x.happened', data: {} }])).rejects.toBeInstanceOf(StoreBusyError);
  } finally {
    clearInterval(ticker);
  }
  return { waited: performance.now() - started, worstGap: Math.max(worstGap, performance.now() - last) };
}

describe('several processes on one file', () => {
  let tmp: TempDir;
  let script = '';
  const children = new Children(() => script);

  beforeAll(async () => {
    tmp = tempDir('tidings-multi-');
    script = await buildChild(tmp.dir);
  });
  afterEach(() => children.killAll());
  afterAll(() => tmp.remove());

  it('two processes appending concurrently: nothing lost or duplicated, positions increase, each sees the other', async () => {
    const path = tmp.path('two.db');
    // Both children create and migrate the new file at the same time: migrate re-checks under the lock.
    const count = 300;
    const total = 2 * count * 2;
    const a = children.spawn('concurrent', path, '1', 'A', String(count), String(total));
    const b = children.spawn('concurrent', path, '2', 'B', String(count), String(total));
    const sawA = await a.waitFor((l) => l.startsWith('saw '), 60_000);
    const sawB = await b.waitFor((l) => l.startsWith('saw '), 60_000);
    expect(sawA).toBe(`saw ${total} ${total / 2}`);
    expect(sawB).toBe(`saw ${total} ${total / 2}`);
    expect(await a.exit()).toBe(0);
    expect(await b.exit()).toBe(0);
    const report = await checkCrashFile(path, [...a.acks(), ...b.acks()]);
    expect(report).toMatchObject({ events: total, batches: 2 * count, torn: [], lost: [], disorder: [] });
    // Both wrote to 'shared-1' with expectedVersion 'any': its versions are contiguous across processes.
    await using store = await sqliteEventStore(path);
    const shared = await collect(store.readStream('shared-1'));
    expect(shared.map((e) => e.version)).toEqual(shared.map((_, i) => BigInt(i + 1)));
    expect(new Set(shared.map((e) => (e.data as { b: string }).b.slice(0, 1)))).toEqual(new Set(['A', 'B']));
  });

  it('a writer stopped with SIGSTOP while holding the write lock: others get StoreBusyError without freezing, and all continues after SIGCONT', async () => {
    const path = tmp.path('stopped.db');
    await using store = await sqliteEventStore(path, { lockTimeoutMs: 300 });
    await store.append('before-1', [{ type: 'x.happened', data: {} }]);
    const holder = children.spawn('hold-lock', path, '3', 'H');
    await holder.waitFor((l) => l === 'locked');
    holder.process.kill('SIGSTOP');

    const { waited, worstGap } = await timeBusyAppend(store);
    expect(waited).toBeGreaterThanOrEqual(250); // it did wait for the lock timeout...
    expect(waited).toBeLessThan(5_000); // ...and no longer (generous bound)
    expect(worstGap).toBeLessThan(500); // only short busy_timeout slices block the loop (generous bound)
    // Negative control: with SQLite's own blocking wait as long as the timeout, the same check fails.
    await using blocking = await sqliteEventStore(path, { lockTimeoutMs: 300, busyTimeoutMs: 1000 });
    expect((await timeBusyAppend(blocking)).worstGap).toBeGreaterThanOrEqual(900);
    // Readers are never blocked by a writer in WAL mode, even a frozen one.
    expect(await collect(store.readAll())).toHaveLength(1);
    expect(await collect(store.readStream('blocked-1'))).toHaveLength(0);

    holder.process.kill('SIGCONT');
    holder.process.stdin?.write('commit\n');
    await holder.waitFor((l) => l === 'committed');
    expect(await holder.exit()).toBe(0);
    await store.append('after-1', [{ type: 'x.happened', data: {} }]);
    expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(['before-1', 'held-1', 'after-1']);
  });
});
