// Two processes fire the timers of one schema: over 1,000 timers due at the same moment, every
// timer fires exactly once (counted from the store). Negative control: firers that claim without
// the lock and delete in another transaction fire some twice, and the same count sees it.
import { timerId, type RecordedEvent } from 'tidings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import { bundleChildren, Children, lastJson } from './test-support/children.js';
import { collect } from './test-support/open-store.js';
import { dropSchema, PG_URL, pgAvailable, randomSchema } from './test-support/pg-env.js';

const available = await pgAvailable();
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

describe.skipIf(!available)('timers: two processes race for the same due timers (PostgreSQL)', () => {
  const children = new Children();
  let bundle: Awaited<ReturnType<typeof bundleChildren>>;
  const schemas: string[] = [];
  beforeAll(async () => {
    bundle = await bundleChildren(['timer-firer']);
  });
  afterAll(async () => {
    children.killAll();
    bundle?.cleanup();
    for (const s of schemas) await dropSchema(s);
  });

  async function race(mode: 'poller' | 'broken') {
    const schema = randomSchema('timers');
    schemas.push(schema);
    const store = postgresEventStore({ connectionString: PG_URL, schema });
    await store.migrate();
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
    const startAt = String(Date.now() + 3_000);
    try {
      const results = await Promise.all(
        [1, 2].map(() => children.run(bundle.path('timer-firer'), [PG_URL, schema, mode, startAt], 80_000)),
      );
      const perChild = results.map((r) => lastJson<{ fired: number }>(r).fired);
      const counts = firings(await collect(store.readAll()));
      const pending = await store.timers.count();
      return { ids, counts, perChild, pending };
    } finally {
      children.killAll();
      await store.close();
    }
  }

  it('every timer fires exactly once with two pollers', async () => {
    const { ids, counts, perChild, pending } = await race('poller');
    expect(pending).toBe(0);
    expect(counts.size).toBe(TIMERS);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(new Set(counts.keys())).toEqual(new Set(ids));
    expect(perChild[0]! + perChild[1]!).toBe(TIMERS);
    expect(perChild.every((n) => n > 0)).toBe(true); // both processes fired: they did race
  }, 120_000);

  it('negative control: claiming without the lock and deleting in another transaction fires some twice', async () => {
    const { counts } = await race('broken');
    expect([...counts.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
  }, 120_000);
});
