import { ConcurrencyError, StreamDeletedError } from 'tidings';
import { describe, expect } from 'vitest';
import { collect, contents, ev, evs, rejects, versions } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function deletionCases({ open, test }: ContractContext): void {
  describe('delete', () => {
    test('soft delete hides the stream from readStream, readAll, readByType and readByTime; streamInfo reports it', async () => {
      const store = await open();
      await store.append('s-1', [ev('x.happened'), ev('x.happened')]);
      await store.append('other-1', [ev('x.happened')]);
      await store.setStreamMetadata('s-1', { owner: 'a' });
      await store.deleteStream('s-1', { mode: 'soft' });
      expect(await collect(store.readStream('s-1'))).toEqual([]);
      expect(await collect(store.readStream('s-1', { direction: 'backward' }))).toEqual([]);
      expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(['other-1']);
      expect((await collect(store.readByType(['x.happened']))).map((e) => e.streamId)).toEqual(['other-1']);
      const time = await collect(store.readByTime({ from: new Date(0), to: new Date(Date.now() + 3_600_000) }));
      expect(time.map((e) => e.streamId)).toEqual(['other-1']);
      expect(await store.streamInfo('s-1')).toEqual({
        streamId: 's-1',
        version: 2n,
        truncatedBefore: 3n,
        deleted: 'soft',
        metadata: { owner: 'a' },
      });
    });

    test("after a soft delete 'no-stream' and the last version append, 'exists' conflicts, and versions continue", async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      await store.deleteStream('s-1');
      const e = await rejects(() => store.append('s-1', evs(1), { expectedVersion: 'exists' }), ConcurrencyError);
      expect(e.actual).toBe(2n);
      await rejects(() => store.append('s-1', evs(1), { expectedVersion: 0n }), ConcurrencyError);
      // An empty append checks the version but does not bring the stream back.
      expect(await store.append('s-1', [], { expectedVersion: 'no-stream' })).toMatchObject({ nextVersion: 2n });
      expect((await store.streamInfo('s-1')).deleted).toBe('soft');
      expect((await store.append('s-1', [ev('x.again')], { expectedVersion: 'no-stream' })).nextVersion).toBe(3n);
      expect(await store.streamInfo('s-1')).toMatchObject({ version: 3n, truncatedBefore: 3n, deleted: undefined });
      expect((await collect(store.readStream('s-1'))).map((x) => [x.version, x.type])).toEqual([[3n, 'x.again']]);
      // Deleted again, the stream is appended to with its last version as well.
      await store.deleteStream('s-1', { expectedVersion: 3n });
      expect((await store.append('s-1', evs(1), { expectedVersion: 3n })).nextVersion).toBe(4n);
      await rejects(() => store.append('s-1', evs(1), { expectedVersion: 'no-stream' }), ConcurrencyError);
      expect(versions(await collect(store.readStream('s-1')))).toEqual([4n]);
    });

    test('hard delete tombstones the stream: its events leave readAll and appends fail with StreamDeletedError', async () => {
      const store = await open();
      await store.append('s-1', evs(3));
      await store.append('other-1', evs(1));
      await store.setStreamMetadata('s-1', { owner: 'a' });
      await store.deleteStream('s-1', { mode: 'hard' });
      expect(await collect(store.readStream('s-1'))).toEqual([]);
      expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(['other-1']);
      expect(await store.streamInfo('s-1')).toEqual({
        streamId: 's-1',
        version: 3n,
        truncatedBefore: 4n,
        deleted: 'hard',
        metadata: {},
      });
      const before = await contents(store, ['s-1']);
      for (const expectedVersion of ['any', 'no-stream', 'exists', 3n] as const) {
        const e = await rejects(
          () => store.append('s-1', evs(1), { expectedVersion }),
          StreamDeletedError,
          'STREAM_DELETED',
        );
        expect(e.streamId).toBe('s-1');
      }
      await rejects(() => store.append('s-1', []), StreamDeletedError);
      await rejects(() => store.setStreamMetadata('s-1', {}), StreamDeletedError);
      await rejects(() => store.truncateBefore('s-1', 2n), StreamDeletedError);
      await rejects(() => store.transaction((tx) => tx.append('s-1', evs(1))), StreamDeletedError);
      expect(await contents(store, ['s-1'])).toEqual(before);
    });

    test('hard-deleting a stream that never existed prevents its creation', async () => {
      const store = await open();
      await store.deleteStream('s-1', { mode: 'hard', expectedVersion: 'no-stream' });
      expect(await store.streamInfo('s-1')).toMatchObject({ version: 0n, deleted: 'hard' });
      await rejects(() => store.append('s-1', evs(1), { expectedVersion: 'no-stream' }), StreamDeletedError);
      expect(await store.headPosition()).toBe(0n);
    });

    test('deleteStream honours expectedVersion and changes nothing on a conflict', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      const before = await contents(store, ['s-1']);
      for (const mode of ['soft', 'hard'] as const) {
        for (const expectedVersion of [1n, 3n, 'no-stream'] as const) {
          const e = await rejects(() => store.deleteStream('s-1', { mode, expectedVersion }), ConcurrencyError);
          expect([e.expected, e.actual]).toEqual([expectedVersion, 2n]);
        }
      }
      await rejects(() => store.deleteStream('s-2', { expectedVersion: 'exists' }), ConcurrencyError);
      expect(await contents(store, ['s-1'])).toEqual(before);
      await store.deleteStream('s-1', { mode: 'hard', expectedVersion: 2n });
      expect((await store.streamInfo('s-1')).deleted).toBe('hard');
    });

    test('deleting a deleted stream again changes nothing', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      await store.append('s-2', evs(2));
      await store.deleteStream('s-1');
      const soft = await store.streamInfo('s-1');
      await store.deleteStream('s-1');
      expect(await store.streamInfo('s-1')).toEqual(soft);
      await store.deleteStream('s-2', { mode: 'hard' });
      const hard = await store.streamInfo('s-2');
      // A retried hard delete (say, after an unknown outcome) succeeds whatever it expected.
      await store.deleteStream('s-2', { mode: 'hard', expectedVersion: 0n });
      await store.deleteStream('s-2', { mode: 'soft' });
      expect(await store.streamInfo('s-2')).toEqual(hard);
      // A soft-deleted stream can still be hard-deleted.
      await store.deleteStream('s-1', { mode: 'hard' });
      expect((await store.streamInfo('s-1')).deleted).toBe('hard');
      // Soft-deleting a stream that has no events changes nothing.
      await store.deleteStream('s-3');
      expect(await store.streamInfo('s-3')).toMatchObject({ version: 0n, deleted: undefined });
    });
  });
}
