import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../time/fake-clock.js';
import { createInMemoryEventStore } from './memory-store.js';
import type { RecordedEvent } from './types.js';

async function first<T>(iterable: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of iterable) return item;
  return undefined;
}

const ev = (n: number) => ({ type: n % 2 === 0 ? 'even.seen' : 'odd.seen', data: { n } });

describe('store.subscribe (memory)', () => {
  it('catches up in pages, then goes live, with no gap and no duplicate at the hand-over', async () => {
    await using store = createInMemoryEventStore();
    for (let i = 1; i <= 25; i++) await store.append(`s-${i % 3}`, [ev(i)]);
    const seen: bigint[] = [];
    const sub = store.subscribe({ pageSize: 7 }, (e) => {
      seen.push(e.position);
    });
    // Appends while the catch-up runs and after it.
    for (let i = 26; i <= 40; i++) await store.append(`s-${i % 3}`, [ev(i)]);
    while (seen.length < 40) await new Promise((r) => setImmediate(r));
    await sub.close();
    await sub.done;
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
    expect(sub.position).toBe(40n);
  });

  it('filters by type and jumps over unmatched events', async () => {
    await using store = createInMemoryEventStore();
    for (let i = 1; i <= 10; i++) await store.append('s-1', [ev(i)]);
    const got: RecordedEvent[] = [];
    const controller = new AbortController();
    const sub = store.subscribe({ filter: { types: ['even.seen'] }, signal: controller.signal, pageSize: 2 });
    for await (const e of sub) {
      got.push(e);
      if (got.length === 5) controller.abort();
    }
    expect(got.map((e) => (e.data as { n: number }).n)).toEqual([2, 4, 6, 8, 10]);
  });

  it("'end' delivers only events committed after it started", async () => {
    await using store = createInMemoryEventStore();
    await store.append('s-1', [ev(1)]);
    const sub = store.subscribe({ from: 'end' });
    const it = sub[Symbol.asyncIterator]();
    const first = it.next();
    await store.append('s-1', [ev(2)]);
    expect(((await first).value as RecordedEvent).position).toBe(2n);
    await sub.close();
  });

  it('refuses a start beyond the head, a foreign checkpoint and unknown options', async () => {
    await using store = createInMemoryEventStore();
    await using other = createInMemoryEventStore();
    await store.append('s-1', [ev(1)]);
    const beyond = store.subscribe({ from: 5n });
    await expect(beyond[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'FROM_BEYOND_HEAD' });
    await other.transaction(async (tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 0n }));
    const foreign = (await other.processing.getCheckpoint('p'))!;
    const sub = store.subscribe({ from: foreign }, () => undefined);
    await expect(sub.done).rejects.toMatchObject({ code: 'CHECKPOINT_FOREIGN_STORE' });
    expect(() => store.subscribe({ form: 1n } as never)).toThrow(/unknown option 'form'/);
    expect(() => store.subscribe('start' as never)).toThrow(/options must be an object/);
  });

  it('a handler error stops the loop at that event and rejects done', async () => {
    await using store = createInMemoryEventStore();
    for (let i = 1; i <= 3; i++) await store.append('s-1', [ev(i)]);
    const sub = store.subscribe({}, (e) => {
      if (e.position === 2n) throw new Error('boom');
    });
    await expect(sub.done).rejects.toThrow('boom');
    expect(sub.position).toBe(1n);
  });
});

describe('processing state (memory)', () => {
  it('commits checkpoint, inbox and parked entries with the transaction, or not at all', async () => {
    await using store = createInMemoryEventStore();
    const { position } = await store.append('s-1', [ev(1)]);
    const event = await first(store.readAll());
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.processing.claimInbox('p', event!)).toBe(true);
        expect(await tx.processing.claimInbox('p', event!)).toBe(false);
        await tx.processing.saveCheckpoint({ processor: 'p', position: 0n });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await store.processing.getCheckpoint('p')).toBeUndefined();
    await store.transaction(async (tx) => {
      expect(await tx.processing.claimInbox('p', event!)).toBe(true);
    });
    await store.transaction(async (tx) => {
      expect(await tx.processing.claimInbox('p', event!)).toBe(false);
      await tx.processing.saveCheckpoint({ processor: 'p', position });
    });
    // At or below the checkpoint the inbox row is pruned: it can no longer be redelivered.
    await store.transaction(async (tx) => {
      expect(await tx.processing.claimInbox('p', event!)).toBe(true);
    });
    expect(await store.processing.getCheckpoint('p')).toMatchObject({ source: 'store', position, epoch: 0n });
  });

  it('fences writes by lease epoch', async () => {
    // Leases are timed by the store's clock: a fake one makes expiry exact, whatever the machine's load.
    const clock = createFakeClock({ now: 0 });
    await using store = createInMemoryEventStore({ clock });
    const a = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 1000 }))!;
    expect(a.epoch).toBe(1n);
    await clock.advance(999);
    expect(await store.processing.acquireLease({ processor: 'p', owner: 'b', ttlMs: 60_000 })).toBeUndefined();
    await clock.advance(1);
    const b = (await store.processing.acquireLease({ processor: 'p', owner: 'b', ttlMs: 60_000 }))!;
    expect(b.epoch).toBe(2n);
    await expect(
      store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 0n, epoch: a.epoch })),
    ).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await store.processing.renewLease(a, 1000)).toBeUndefined();
    await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 0n, epoch: b.epoch }));
  });
});
