import { ConcurrencyError } from 'tidings';
import { describe, expect } from 'vitest';
import { positionViolations } from '../checks.js';
import { collect, ev, eventually, evs, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

/** Waits a few real event-loop turns: long enough for an asynchronous notification to arrive. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 2));
}

export function headCases({ open, test }: ContractContext): void {
  describe('positions and head', () => {
    test('positions strictly increase and are never reused after the last events are deleted', async () => {
      const store = await open();
      const seen: bigint[] = [];
      const r1 = await store.append('s-1', evs(3));
      seen.push(r1.position);
      await store.deleteStream('s-1', { mode: 'hard' }); // the last events of the whole store
      expect(await store.headPosition()).toBe(r1.position);
      const r2 = await store.append('s-2', evs(2));
      expect(r2.position).toBeGreaterThan(r1.position + 1n); // its first event is past the deleted ones
      await store.truncateBefore('s-2', 3n);
      const r3 = await store.append('s-3', evs(1));
      expect(r3.position).toBeGreaterThan(r2.position);
      await store.deleteStream('s-3', { mode: 'soft' });
      const r4 = await store.append('s-3', evs(1));
      expect(r4.position).toBeGreaterThan(r3.position);
      const all = await collect(store.readAll());
      expect(all.map((e) => `${e.streamId}@${e.version}`)).toEqual(['s-3@2']);
      expect(all[0]!.position).toBe(r4.position);
      expect(positionViolations(all)).toEqual([]);
    });

    test('headPosition is the highest committed position and never decreases', async () => {
      const store = await open();
      expect(await store.headPosition()).toBe(0n);
      const r1 = await store.append('s-1', evs(2));
      expect(await store.headPosition()).toBe(r1.position);
      await rejects(() => store.append('s-1', evs(1), { expectedVersion: 0n }), ConcurrencyError);
      expect(await store.headPosition()).toBe(r1.position);
      await store.deleteStream('s-1', { mode: 'hard' });
      expect(await store.headPosition()).toBe(r1.position);
      const r2 = await store.append('s-2', evs(1));
      expect(await store.headPosition()).toBe(r2.position);
    });
  });

  describe('head wake-ups', () => {
    test('onHeadMoved is called after commit, never inside append, with the new head', async () => {
      const store = await open();
      let insideAppend = false;
      const heads: bigint[] = [];
      const wrongTiming: string[] = [];
      using _sub = store.onHeadMoved((head) => {
        if (insideAppend) wrongTiming.push(`called synchronously inside append with ${head}`);
        heads.push(head);
      });
      insideAppend = true;
      const pending = store.append('s-1', evs(2));
      insideAppend = false;
      const r = await pending;
      await eventually(() => heads.includes(r.position), `a head notification of ${r.position}`);
      expect(wrongTiming).toEqual([]);
      // A notified head is committed: reading from it finds the event.
      const read = await collect(store.readAll({ from: heads[heads.length - 1]! }));
      expect(read.map((e) => e.position)).toEqual([r.position]);
      const t = await store.transaction(async (tx) => tx.append('s-2', evs(1)));
      await eventually(() => heads.includes(t.position), 'a head notification after a transaction');
      expect(heads.every((h, i) => i === 0 || h > heads[i - 1]!)).toBe(true);
    });

    test('onHeadMoved is not called for a rollback, an empty append, an idempotent retry or a conflict', async () => {
      const store = await open();
      const batch = [ev()];
      await store.append('s-1', batch);
      await quiet();
      const heads: bigint[] = [];
      using _sub = store.onHeadMoved((head) => heads.push(head));
      await rejects(
        () =>
          store.transaction(async (tx) => {
            await tx.append('s-2', evs(1));
            throw new Error('rolled back');
          }),
        Error,
      );
      await store.append('s-1', []);
      await store.append('s-1', batch, { expectedVersion: 0n });
      await rejects(() => store.append('s-1', evs(1), { expectedVersion: 0n }), ConcurrencyError);
      await quiet();
      expect(heads).toEqual([]);
      // The listener is live: a real commit is reported.
      const r = await store.append('s-3', evs(1));
      await eventually(() => heads.length > 0, 'a head notification');
      expect(heads[heads.length - 1]).toBe(r.position);
    });

    test('disposing an onHeadMoved handle stops its notifications', async () => {
      const store = await open();
      const kept: bigint[] = [];
      const dropped: bigint[] = [];
      using _kept = store.onHeadMoved((head) => kept.push(head));
      const sub = store.onHeadMoved((head) => dropped.push(head));
      const r1 = await store.append('s-1', evs(1));
      await eventually(
        () => kept.includes(r1.position) && dropped.includes(r1.position),
        'both listeners to hear the first append',
      );
      sub[Symbol.dispose]();
      const r2 = await store.append('s-1', evs(1));
      await eventually(() => kept.includes(r2.position), 'the kept listener to hear the second append');
      expect(dropped).toEqual([r1.position]);
    });
  });
}
