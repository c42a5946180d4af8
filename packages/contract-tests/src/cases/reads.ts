import { createFakeClock } from 'tidings/testing';
import type { Clock } from 'tidings';
import { describe, expect } from 'vitest';
import { contiguityViolations, positionViolations, readsDuringAppends } from '../checks.js';
import { collect, ev, evs, range, versions } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function readCases({ open, test }: ContractContext): void {
  describe('readStream', () => {
    test('reads a stream forward from a version with a limit', async () => {
      const store = await open();
      await store.append('s-1', evs(10));
      await store.append('s-2', evs(3));
      expect(versions(await collect(store.readStream('s-1')))).toEqual(range(1n, 10n));
      expect(versions(await collect(store.readStream('s-1', { from: 4n })))).toEqual(range(4n, 10n));
      expect(versions(await collect(store.readStream('s-1', { from: 4n, limit: 3 })))).toEqual([4n, 5n, 6n]);
      expect(versions(await collect(store.readStream('s-1', { from: 0n, limit: 2 })))).toEqual([1n, 2n]);
      expect(await collect(store.readStream('s-1', { from: 11n }))).toEqual([]);
      expect(await collect(store.readStream('s-1', { limit: 0 }))).toEqual([]);
      expect(
        (await collect(store.readStream('s-1', { from: 9n, limit: 100 }))).map((e) => (e.data as { n: number }).n),
      ).toEqual([8, 9]);
    });

    test('reads a stream backward from the end or from a version with a limit', async () => {
      const store = await open();
      await store.append('s-1', evs(10));
      expect(versions(await collect(store.readStream('s-1', { direction: 'backward' })))).toEqual(range(10n, 1n));
      expect(versions(await collect(store.readStream('s-1', { direction: 'backward', limit: 3 })))).toEqual([
        10n,
        9n,
        8n,
      ]);
      expect(versions(await collect(store.readStream('s-1', { direction: 'backward', from: 4n })))).toEqual([
        4n,
        3n,
        2n,
        1n,
      ]);
      expect(versions(await collect(store.readStream('s-1', { direction: 'backward', from: 4n, limit: 2 })))).toEqual([
        4n,
        3n,
      ]);
      expect(versions(await collect(store.readStream('s-1', { direction: 'backward', from: 99n, limit: 2 })))).toEqual([
        10n,
        9n,
      ]);
      expect(await collect(store.readStream('s-1', { direction: 'backward', from: 0n }))).toEqual([]);
    });

    test('reading a stream that does not exist yields nothing and its info is version 0', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      expect(await collect(store.readStream('s-2'))).toEqual([]);
      expect(await collect(store.readStream('s-2', { direction: 'backward' }))).toEqual([]);
      expect(await store.streamInfo('s-2')).toEqual({
        streamId: 's-2',
        version: 0n,
        truncatedBefore: 0n,
        deleted: undefined,
        metadata: {},
      });
    });

    test('keeps 10,000 events in one stream readable in both directions', async () => {
      const store = await open();
      for (let b = 0; b < 20; b++)
        await store.append('big-1', evs(500, 'big.happened', b * 500), { expectedVersion: BigInt(b * 500) });
      const all = await collect(store.readStream('big-1'));
      expect(all.length).toBe(10_000);
      expect(contiguityViolations(all, 'forward')).toEqual([]);
      expect(positionViolations(all)).toEqual([]);
      expect(all.every((e, i) => (e.data as { n: number }).n === i)).toBe(true);
      expect(versions(await collect(store.readStream('big-1', { direction: 'backward', limit: 3 })))).toEqual([
        10_000n,
        9_999n,
        9_998n,
      ]);
      expect(versions(await collect(store.readStream('big-1', { from: 9_999n })))).toEqual([9_999n, 10_000n]);
      const back = await collect(store.readStream('big-1', { direction: 'backward' }));
      expect(back.length).toBe(10_000);
      expect(contiguityViolations(back, 'backward')).toEqual([]);
      expect((await store.streamInfo('big-1')).version).toBe(10_000n);
    }, 120_000);

    test('every read during appends returns a contiguous run of whole appends', async () => {
      const store = await open();
      expect(await readsDuringAppends(store)).toEqual([]);
    }, 60_000);
  });

  describe('readAll', () => {
    test('reads all events forward and backward by global position with from and limit', async () => {
      const store = await open();
      await store.append('a-1', evs(3));
      await store.append('b-1', evs(2));
      await store.append('a-1', evs(2));
      const all = await collect(store.readAll());
      expect(all.length).toBe(7);
      expect(positionViolations(all)).toEqual([]);
      const p = all.map((e) => e.position);
      expect((await collect(store.readAll({ from: p[2]! }))).map((e) => e.position)).toEqual(p.slice(2));
      expect((await collect(store.readAll({ from: p[2]!, limit: 2 }))).map((e) => e.position)).toEqual(p.slice(2, 4));
      expect((await collect(store.readAll({ from: p[6]! + 1n }))).length).toBe(0);
      expect((await collect(store.readAll({ direction: 'backward' }))).map((e) => e.position)).toEqual(
        [...p].reverse(),
      );
      expect((await collect(store.readAll({ direction: 'backward', limit: 3 }))).map((e) => e.position)).toEqual([
        p[6],
        p[5],
        p[4],
      ]);
      expect((await collect(store.readAll({ direction: 'backward', from: p[3]! }))).map((e) => e.position)).toEqual([
        p[3],
        p[2],
        p[1],
        p[0],
      ]);
      expect(
        (await collect(store.readAll({ direction: 'backward', from: p[1]!, limit: 5 }))).map((e) => e.position),
      ).toEqual([p[1], p[0]]);
      expect(await collect(store.readAll({ limit: 0 }))).toEqual([]);
    });

    test('filters readAll by event types and stream categories, forward and backward', async () => {
      const store = await open();
      await store.append('order-1', [ev('order.placed'), ev('order.paid')]);
      await store.append('payment-1', [ev('payment.taken'), ev('order.paid')]);
      await store.append('order-2', [ev('order.placed')]);
      await store.append('orders-1', [ev('order.placed')]); // category 'orders', not 'order'
      await store.append('plain', [ev('order.placed')]); // no dash: the whole id is the category
      const pick = (events: { streamId: string; type: string }[]): string[] =>
        events.map((e) => `${e.streamId}:${e.type}`);
      expect(pick(await collect(store.readAll({ filter: { types: ['order.paid'] } })))).toEqual([
        'order-1:order.paid',
        'payment-1:order.paid',
      ]);
      expect(pick(await collect(store.readAll({ filter: { categories: ['order'] } })))).toEqual([
        'order-1:order.placed',
        'order-1:order.paid',
        'order-2:order.placed',
      ]);
      expect(pick(await collect(store.readAll({ filter: { categories: ['plain', 'payment'] } })))).toEqual([
        'payment-1:payment.taken',
        'payment-1:order.paid',
        'plain:order.placed',
      ]);
      expect(
        pick(await collect(store.readAll({ filter: { types: ['order.placed'], categories: ['order'] } }))),
      ).toEqual(['order-1:order.placed', 'order-2:order.placed']);
      expect(
        pick(await collect(store.readAll({ direction: 'backward', limit: 2, filter: { types: ['order.placed'] } }))),
      ).toEqual(['plain:order.placed', 'orders-1:order.placed']);
    });

    test('an empty types or categories list matches nothing', async () => {
      const store = await open();
      await store.append('order-1', [ev('order.placed')]);
      expect(await collect(store.readAll({ filter: { types: [] } }))).toEqual([]);
      expect(await collect(store.readAll({ filter: { categories: [] } }))).toEqual([]);
      expect(await collect(store.readByType([]))).toEqual([]);
      expect((await collect(store.readAll({ filter: {} }))).length).toBe(1);
    });

    test('category filters match literally, with no wildcard meaning', async () => {
      const store = await open();
      for (const id of ['a_c-1', 'abc-1', 'a%-1', 'a%c-1', 'A_C-1', "a'c-1"]) await store.append(id, [ev()]);
      const streams = async (category: string): Promise<string[]> =>
        (await collect(store.readAll({ filter: { categories: [category] } }))).map((e) => e.streamId);
      expect(await streams('a_c')).toEqual(['a_c-1']);
      expect(await streams('a%')).toEqual(['a%-1']);
      expect(await streams('a%c')).toEqual(['a%c-1']);
      expect(await streams("a'c")).toEqual(["a'c-1"]);
      expect(await streams('a')).toEqual([]);
    });

    test('readByType returns events of the given types in position order, forward and backward', async () => {
      const store = await open();
      await store.append('order-1', [ev('order.placed', { n: 1 }), ev('order.paid', { n: 2 })]);
      await store.append('order-2', [ev('order.placed', { n: 3 }), ev('order.cancelled', { n: 4 })]);
      await store.append('order-1', [ev('order.shipped', { n: 5 })]);
      const data = (events: { data: unknown }[]): unknown[] => events.map((e) => (e.data as { n: number }).n);
      expect(data(await collect(store.readByType(['order.placed', 'order.shipped'])))).toEqual([1, 3, 5]);
      expect(
        data(await collect(store.readByType(['order.placed', 'order.shipped'], { direction: 'backward', limit: 2 }))),
      ).toEqual([5, 3]);
      const placed = await collect(store.readByType(['order.placed']));
      expect(data(await collect(store.readByType(['order.placed'], { from: placed[0]!.position + 1n })))).toEqual([3]);
      expect(await collect(store.readByType(['order.unknown']))).toEqual([]);
    });

    test('readByTime returns events recorded in [from, to) by the store clock', async () => {
      const t0 = Date.UTC(2026, 0, 1);
      const clock = createFakeClock({ now: t0 });
      const store = await open({ clock });
      await store.append('a-1', [ev('x.happened', { n: 0 })]);
      await clock.advance(1000);
      await store.append('b-1', [ev('y.happened', { n: 1 }), ev('x.happened', { n: 2 })]);
      await clock.advance(1000);
      await store.append('a-1', [ev('x.happened', { n: 3 })]);
      const all = await collect(store.readAll());
      expect(all.map((e) => e.recordedAt.getTime() - t0)).toEqual([0, 1000, 1000, 2000]);
      const n = (events: { data: unknown }[]): unknown[] => events.map((e) => (e.data as { n: number }).n);
      const at = (ms: number): Date => new Date(t0 + ms);
      expect(n(await collect(store.readByTime({ from: at(1000), to: at(2000) })))).toEqual([1, 2]);
      expect(n(await collect(store.readByTime({ from: at(0), to: at(1000) })))).toEqual([0]);
      expect(n(await collect(store.readByTime({ from: at(1), to: at(2001) })))).toEqual([1, 2, 3]);
      expect(n(await collect(store.readByTime({ from: at(0), to: at(5000), limit: 2 })))).toEqual([0, 1]);
      expect(
        n(
          await collect(
            store.readByTime({ from: at(0), to: at(5000), filter: { types: ['x.happened'], categories: ['b'] } }),
          ),
        ),
      ).toEqual([2]);
      expect(await collect(store.readByTime({ from: at(2001), to: at(9000) }))).toEqual([]);
      expect(await collect(store.readByTime({ from: at(1000), to: at(1000) }))).toEqual([]);
    });

    test('recordedAt never decreases with position, even when the clock steps back', async () => {
      const fake = createFakeClock({ now: Date.UTC(2026, 0, 1) });
      let offset = 0;
      const clock: Clock = {
        now: () => fake.now() + offset,
        setTimeout: (cb, ms) => fake.setTimeout(cb, ms),
        sleep: (ms, signal) => fake.sleep(ms, signal),
      };
      const store = await open({ clock });
      await store.append('s-1', [ev()]);
      offset = -60_000; // an NTP step back by a minute
      await store.append('s-1', [ev()]);
      offset = 5_000;
      await store.append('s-2', [ev()]);
      const times = (await collect(store.readAll())).map((e) => e.recordedAt.getTime() - fake.now());
      expect(times).toEqual([0, 0, 5_000]);
    });
  });
}
