import { describe, expect, it, vi } from 'vitest';
import { createInMemoryEventStore, defineEvent, payload } from 'tidings';
import type { RecordedEvent } from 'tidings';
import { batch, map, pipe, storeSource } from 'tidings/streams';

const Counted = defineEvent('count.recorded', payload<{ n: number }>());
const Other = defineEvent('other.happened', payload<{ n: number }>());

async function seed(store: ReturnType<typeof createInMemoryEventStore>, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await store.append(`count-${n % 3}`, [Counted({ n })]);
}

describe('storeSource: a checkpointed store subscription as a pipeline source', () => {
  it('a restarted pipeline resumes after the last event it finished', async () => {
    const store = createInMemoryEventStore();
    await seed(store, 1, 10);
    const seen: number[] = [];
    const controller = new AbortController();
    const first = storeSource(store, { processor: 'counter', checkpointEvery: 1 });
    const stats = await pipe(
      first,
      map((e) => (e.data as { n: number }).n),
    )
      .start({ signal: controller.signal })
      .pipeTo((n) => {
        seen.push(n);
        if (n === 4) controller.abort(); // stops while 4 is being written: 4 is not done
      });
    await first.close();
    expect(stats.state).toBe('stopped');
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(first.stats()).toMatchObject({ delivered: 4, done: 3n, checkpointed: 3n });
    expect((await store.processing.getCheckpoint('counter'))?.position).toBe(3n);

    // The second run starts after 3: 4 again (at least once), then the rest, then live events.
    await seed(store, 11, 12);
    const second = storeSource(store, { processor: 'counter', checkpointEvery: 1 });
    const again: number[] = [];
    const running = pipe(
      second,
      map((e) => (e.data as { n: number }).n),
    ).start();
    const done = running.pipeTo((n) => void again.push(n));
    await vi.waitFor(() => expect(again).toHaveLength(9), { timeout: 2_000 });
    await store.append('count-live', [Counted({ n: 13 })]); // live, after the catch-up
    await vi.waitFor(() => expect(again.at(-1)).toBe(13), { timeout: 2_000 });
    await running.stop();
    await done;
    await second.close();
    expect(again).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(second.stats().resumedFrom).toBe(3n);
    // 13 was written and the pipeline asked for more: done, and saved on close.
    expect((await store.processing.getCheckpoint('counter'))?.position).toBe(13n);
  });

  it('negative control: another processor name has no checkpoint and starts from the beginning', async () => {
    const store = createInMemoryEventStore();
    await seed(store, 1, 3);
    await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'a', position: 2n }));
    const fresh = storeSource(store, { processor: 'b' });
    const it = fresh[Symbol.asyncIterator]();
    expect(((await it.next()).value?.data as { n: number }).n).toBe(1);
    await fresh.close();
  });

  it('manual checkpoints: nothing is saved until commit()', async () => {
    const store = createInMemoryEventStore();
    await seed(store, 1, 6);
    const source = storeSource(store, { processor: 'windows', checkpoint: 'manual' });
    const running = pipe(source, batch({ size: 3 })).start();
    const first = (await running.next()).value as RecordedEvent[];
    expect(first.map((e) => e.position)).toEqual([1n, 2n, 3n]);
    expect(await store.processing.getCheckpoint('windows')).toBeUndefined();
    await source.commit(first[2]?.position ?? 0n); // the batch's result was written
    await running.stop();
    await source.close();
    expect((await store.processing.getCheckpoint('windows'))?.position).toBe(3n);
  });

  it('filters by type, and refuses bad options at definition', () => {
    const store = createInMemoryEventStore();
    expect(() => storeSource(store, { processor: '' })).toThrow(/processor' must be a non-empty string/);
    expect(() => storeSource(store, { processor: 'p', checkpointEvery: 0 })).toThrow(
      /checkpointEvery' must be an integer >= 1/,
    );
    expect(() => storeSource(store, { processor: 'p', checkpoint: 'auto' as never })).toThrow(
      /one of 'pulled', 'manual'/,
    );
    expect(() => storeSource(store, { processor: 'p', pageSize: 0 })).toThrow(/pageSize/);
    expect(() => storeSource(store, { processor: 'p', from: 'start' } as never)).toThrow(/unknown option 'from'/);
    expect(() => storeSource(store, { processor: 'p', filter: { types: ['other.happened'] } })).not.toThrow();
    void Other;
  });

  it('one reader at a time', async () => {
    const store = createInMemoryEventStore();
    const source = storeSource(store, { processor: 'p' });
    source[Symbol.asyncIterator]();
    expect(() => source[Symbol.asyncIterator]()).toThrow(/already being read/);
    await source.close();
    expect(() => source[Symbol.asyncIterator]()).not.toThrow();
    await source.close();
  });
});
