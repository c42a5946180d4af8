import { DuplicateEventError, uuidv7 } from 'tidings';
import { describe, expect } from 'vitest';
import { collect, contents, ev, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function idempotencyCases({ open, test }: ContractContext): void {
  describe('idempotent append', () => {
    test('re-appending the same ids at the same expected version returns the original result and writes nothing', async () => {
      const store = await open();
      const batch = [ev('order.placed'), ev('order.paid')];
      const original = await store.append('order-1', batch, { expectedVersion: 0n });
      await store.append('order-1', [ev('order.shipped')], { expectedVersion: 2n });
      const before = await contents(store, ['order-1']);
      // The retry after an unknown outcome: same ids, same expected version, even after later appends.
      expect(await store.append('order-1', batch, { expectedVersion: 0n })).toEqual(original);
      expect(await store.append('order-1', batch, { expectedVersion: 0n })).toEqual(original);
      expect(await contents(store, ['order-1'])).toEqual(before);
    });

    test("re-appending the same ids with 'any', 'no-stream' or 'exists' returns the original result", async () => {
      const store = await open();
      const first = [ev()];
      const second = [ev(), ev()];
      const third = [ev()];
      const r1 = await store.append('s-1', first, { expectedVersion: 'no-stream' });
      const r2 = await store.append('s-1', second, { expectedVersion: 'exists' });
      const r3 = await store.append('s-1', third, { expectedVersion: 'any' });
      const before = await contents(store, ['s-1']);
      expect(await store.append('s-1', first, { expectedVersion: 'no-stream' })).toEqual(r1);
      expect(await store.append('s-1', second, { expectedVersion: 'exists' })).toEqual(r2);
      expect(await store.append('s-1', third, { expectedVersion: 'any' })).toEqual(r3);
      expect(await store.append('s-1', first, { expectedVersion: 'any' })).toEqual(r1);
      expect(await contents(store, ['s-1'])).toEqual(before);
    });

    test('the same ids in another stream raise DuplicateEventError and write nothing', async () => {
      const store = await open();
      const batch = [ev(), ev()];
      await store.append('s-1', batch);
      const before = await contents(store, ['s-1', 's-2']);
      for (const expectedVersion of ['any', 'no-stream', 0n] as const) {
        const e = await rejects(
          () => store.append('s-2', batch, { expectedVersion }),
          DuplicateEventError,
          'DUPLICATE_EVENT',
        );
        expect(e.streamId).toBe('s-2');
        expect(batch.map((b) => b.id)).toContain(e.eventId);
        expect(e.message).toContain('s-1');
      }
      expect(await contents(store, ['s-1', 's-2'])).toEqual(before);
    });

    test('the same ids at another expected version raise DuplicateEventError and write nothing', async () => {
      const store = await open();
      const batch = [ev(), ev()];
      await store.append('s-1', [ev()]);
      await store.append('s-1', batch, { expectedVersion: 1n });
      const before = await contents(store, ['s-1']);
      for (const wrong of [0n, 2n, 3n]) {
        await rejects(() => store.append('s-1', batch, { expectedVersion: wrong }), DuplicateEventError);
      }
      expect(await contents(store, ['s-1'])).toEqual(before);
    });

    test('a partial overlap with stored ids raises DuplicateEventError and writes nothing', async () => {
      const store = await open();
      const a = ev();
      const b = ev();
      await store.append('s-1', [a, b]);
      const before = await contents(store, ['s-1', 's-2']);
      const fresh = ev();
      await rejects(() => store.append('s-1', [b, fresh], { expectedVersion: 'any' }), DuplicateEventError);
      await rejects(() => store.append('s-1', [fresh, a], { expectedVersion: 'any' }), DuplicateEventError);
      await rejects(() => store.append('s-1', [a, b, fresh], { expectedVersion: 0n }), DuplicateEventError);
      await rejects(() => store.append('s-2', [fresh, b]), DuplicateEventError);
      expect(await contents(store, ['s-1', 's-2'])).toEqual(before);
      // The fresh id was not reserved by the failed appends.
      expect((await store.append('s-3', [fresh])).nextVersion).toBe(1n);
    });

    test('the same ids in another order raise DuplicateEventError', async () => {
      const store = await open();
      const a = ev();
      const b = ev();
      await store.append('s-1', [a, b], { expectedVersion: 'no-stream' });
      await rejects(() => store.append('s-1', [b, a], { expectedVersion: 'any' }), DuplicateEventError);
      await rejects(() => store.append('s-1', [b, a], { expectedVersion: 0n }), DuplicateEventError);
      expect((await collect(store.readStream('s-1'))).map((e) => e.id)).toEqual([a.id, b.id]);
    });

    test('event ids are compared without regard to letter case and stored in lower case', async () => {
      const store = await open();
      const id = uuidv7();
      const original = await store.append('s-1', [ev('x.happened', {}, { id: id.toUpperCase() })]);
      expect(await store.append('s-1', [ev('x.happened', {}, { id })], { expectedVersion: 0n })).toEqual(original);
      await rejects(() => store.append('s-2', [ev('x.happened', {}, { id: id.toUpperCase() })]), DuplicateEventError);
      const [read] = await collect(store.readStream('s-1'));
      expect(read!.id).toBe(id.toLowerCase());
    });
  });
}
