import { createFakeClock } from 'tidings/testing';
import { describe, expect } from 'vitest';
import { collect, ev, evs, range, versions } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function retentionCases({ open, test }: ContractContext): void {
  describe('stream metadata and retention', () => {
    test('setStreamMetadata replaces the stream metadata, user keys included, with or without events', async () => {
      const store = await open();
      await store.setStreamMetadata('s-1', { owner: 'team-a', acl: { read: ['x'] }, maxCount: 10 });
      expect(await store.streamInfo('s-1')).toEqual({
        streamId: 's-1',
        version: 0n,
        truncatedBefore: 0n,
        deleted: undefined,
        metadata: { owner: 'team-a', acl: { read: ['x'] }, maxCount: 10 },
      });
      await store.append('s-1', evs(2));
      await store.setStreamMetadata('s-1', { label: 'it\'s "quoted" 🎉' });
      const info = await store.streamInfo('s-1');
      expect(info.metadata).toEqual({ label: 'it\'s "quoted" 🎉' });
      expect(info.version).toBe(2n);
      // maxCount was removed with the old metadata: every event is readable again.
      expect((await collect(store.readStream('s-1'))).length).toBe(2);
    });

    test('maxCount keeps only the newest events readable in readStream and readAll', async () => {
      const store = await open();
      await store.append('s-1', evs(5));
      await store.append('other-1', evs(2));
      await store.setStreamMetadata('s-1', { maxCount: 3 });
      expect(versions(await collect(store.readStream('s-1')))).toEqual([3n, 4n, 5n]);
      expect(versions(await collect(store.readStream('s-1', { direction: 'backward' })))).toEqual([5n, 4n, 3n]);
      expect(versions(await collect(store.readStream('s-1', { from: 1n, limit: 2 })))).toEqual([3n, 4n]);
      expect(await collect(store.readStream('s-1', { direction: 'backward', from: 2n }))).toEqual([]);
      await store.append('s-1', evs(2));
      expect(versions(await collect(store.readStream('s-1')))).toEqual([5n, 6n, 7n]);
      const all = await collect(store.readAll());
      expect(all.map((e) => `${e.streamId}@${e.version}`)).toEqual([
        's-1@5',
        'other-1@1',
        'other-1@2',
        's-1@6',
        's-1@7',
      ]);
      expect((await collect(store.readAll({ direction: 'backward', filter: { categories: ['s'] } }))).length).toBe(3);
      // Retention hides; it does not truncate: versions continue and the info keeps the version.
      expect((await store.streamInfo('s-1')).version).toBe(7n);
    });

    test('maxAge hides events older than the limit by the store clock, in readStream and readAll', async () => {
      const clock = createFakeClock({ now: Date.UTC(2026, 0, 1) });
      const store = await open({ clock });
      await store.append('s-1', [ev('x.happened', { n: 1 })]);
      await clock.advance(1000);
      await store.append('s-1', [ev('x.happened', { n: 2 })]);
      await store.append('other-1', [ev('x.happened', { n: 9 })]);
      await store.setStreamMetadata('s-1', { maxAge: 1000 });
      const n = (events: { data: unknown }[]): unknown[] => events.map((e) => (e.data as { n: number }).n);
      // Exactly maxAge old is still readable; one millisecond more is not.
      expect(n(await collect(store.readStream('s-1')))).toEqual([1, 2]);
      await clock.advance(1);
      expect(n(await collect(store.readStream('s-1')))).toEqual([2]);
      expect(n(await collect(store.readAll()))).toEqual([2, 9]);
      expect(n(await collect(store.readByType(['x.happened'])))).toEqual([2, 9]);
      await clock.advance(1000);
      expect(await collect(store.readStream('s-1'))).toEqual([]);
      expect(n(await collect(store.readAll()))).toEqual([9]);
      expect((await store.streamInfo('s-1')).version).toBe(2n);
      expect((await store.append('s-1', [ev('x.happened', { n: 3 })], { expectedVersion: 2n })).nextVersion).toBe(3n);
      expect(n(await collect(store.readStream('s-1')))).toEqual([3]);
    });

    test('truncateBefore hides earlier events from every read; versions continue', async () => {
      const store = await open();
      await store.append('s-1', evs(5));
      await store.append('other-1', evs(1));
      await store.truncateBefore('s-1', 3n);
      expect(versions(await collect(store.readStream('s-1')))).toEqual([3n, 4n, 5n]);
      expect(versions(await collect(store.readStream('s-1', { direction: 'backward' })))).toEqual([5n, 4n, 3n]);
      expect((await collect(store.readAll())).map((e) => `${e.streamId}@${e.version}`)).toEqual([
        's-1@3',
        's-1@4',
        's-1@5',
        'other-1@1',
      ]);
      expect(await store.streamInfo('s-1')).toMatchObject({ version: 5n, truncatedBefore: 3n, deleted: undefined });
      expect((await store.append('s-1', evs(1), { expectedVersion: 5n })).nextVersion).toBe(6n);
      expect(versions(await collect(store.readStream('s-1')))).toEqual(range(3n, 6n));
    });

    test('truncateBefore never moves back and is capped at the next version', async () => {
      const store = await open();
      await store.append('s-1', evs(5));
      await store.truncateBefore('s-1', 4n);
      await store.truncateBefore('s-1', 2n);
      expect((await store.streamInfo('s-1')).truncatedBefore).toBe(4n);
      expect(versions(await collect(store.readStream('s-1')))).toEqual([4n, 5n]);
      await store.truncateBefore('s-1', 100n);
      expect((await store.streamInfo('s-1')).truncatedBefore).toBe(6n);
      expect(await collect(store.readStream('s-1'))).toEqual([]);
      // Events appended after the truncation are readable: it never hides what was not written yet.
      await store.append('s-1', evs(2), { expectedVersion: 5n });
      expect(versions(await collect(store.readStream('s-1')))).toEqual([6n, 7n]);
      // A stream without events is not changed.
      await store.truncateBefore('s-2', 10n);
      expect(await store.streamInfo('s-2')).toMatchObject({ version: 0n, truncatedBefore: 0n });
    });
  });
}
