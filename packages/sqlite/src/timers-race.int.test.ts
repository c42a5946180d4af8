// Two processes fire the timers of one SQLite file: over 1,000 timers due at the same moment,
// every timer fires exactly once (counted from the store). Negative control: firers that claim
// without the lock and delete in another transaction fire some twice, and the same count sees it.
import { timerId, type RecordedEvent } from 'tidings';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildChild, Children } from './__fixtures__/children.js';
import { collect, tempDir, type TempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './store.js';

const TIMERS = 1_200;

/** How many events each timer id produced. */
function firings(events: readonly RecordedEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    const id = (e.metadata['timer'] as { id: string }).id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('timers: two processes race for the same due timers (SQLite)', () => {
  let tmp: TempDir;
  let script = '';
  const children = new Children(() => script);

  beforeAll(async () => {
    tmp = tempDir('tidings-timers-');
    script = await buildChild(tmp.dir, 'timer-child.ts');
  });
  afterEach(() => children.killAll());
  afterAll(() => tmp.remove());

  async function race(
    name: string,
    mode: 'poller' | 'broken',
  ): Promise<{ ids: string[]; counts: Map<string, number>; reported: number; pending: number; perChild: number[] }> {
    const path = tmp.path(`${name}.db`);
    const store = await sqliteEventStore(path);
    const due = Date.now() - 1_000; // every timer due at the same moment, already past
    const ids: string[] = [];
    await store.transaction(async (tx) => {
      for (let i = 0; i < TIMERS; i++) {
        const id = await timerId(`order-${i}`, 'payment-timeout');
        ids.push(id);
        await tx.timers.schedule({
          id,
          streamId: `order-${i % 50}`,
          at: due,
          message: { type: 'PaymentTimedOut', data: { i } },
        });
      }
    });
    const a = children.spawn(path, mode);
    const b = children.spawn(path, mode);
    await Promise.all([a, b].map((c) => c.waitFor((l) => l === 'ready')));
    for (const c of [a, b]) c.process.stdin?.write('go\n');
    const lines = await Promise.all([a, b].map((c) => c.waitFor((l) => l.startsWith('fired '), 60_000)));
    const perChild = lines.map((l) => Number(l.split(' ')[1]));
    const reported = perChild[0]! + perChild[1]!;
    const counts = firings(await collect(store.readAll()));
    const pending = await store.timers.count();
    await store.close();
    return { ids, counts, reported, pending, perChild };
  }

  it('every timer fires exactly once with two pollers', async () => {
    const { ids, counts, reported, pending, perChild } = await race('pollers', 'poller');
    expect(perChild.every((n) => n > 0)).toBe(true); // both processes fired: they did race
    expect(pending).toBe(0);
    expect(counts.size).toBe(TIMERS);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(new Set(counts.keys())).toEqual(new Set(ids));
    expect(reported).toBe(TIMERS);
  }, 90_000);

  it('negative control: claiming without the lock and deleting in another transaction fires some twice', async () => {
    const { counts } = await race('broken', 'broken');
    const doubles = [...counts.values()].filter((n) => n > 1).length;
    expect(doubles).toBeGreaterThan(0);
  }, 90_000);
});
