import { serializeError, type EventStore, type RecordedEvent } from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { describe, expect } from 'vitest';
import { collect, ev, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';
import { atomicCheckpointViolations } from '../processing-checks.js';
import { TidingsError } from 'tidings';

const T0 = Date.UTC(2026, 0, 1);

/** Appends `n` events to `streamId` and returns them as recorded. */
async function recorded(store: EventStore, streamId: string, n: number): Promise<RecordedEvent[]> {
  await store.append(
    streamId,
    Array.from({ length: n }, (_, i) => ev('test.happened', { i })),
  );
  return collect(store.readStream(streamId));
}

export function processingStateCases({ open, test, testWith, harness }: ContractContext): void {
  describe('processing: checkpoints', () => {
    test("a checkpoint saved in a transaction reads back tagged with the store's identity and clock", async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const { storeId } = await store.info();
      expect(await store.processing.getCheckpoint('p')).toBeUndefined();
      await store.transaction(async (tx) => {
        await tx.processing.saveCheckpoint({ processor: 'p', position: 3n });
        // The transaction reads its own write.
        expect((await tx.processing.getCheckpoint('p'))?.position).toBe(3n);
      });
      const expected = {
        source: 'store',
        storeId,
        processor: 'p',
        partition: 0,
        position: 3n,
        epoch: 0n,
        updatedAt: new Date(T0),
      };
      expect(await store.processing.getCheckpoint('p')).toEqual(expected);
      expect(await store.processing.getCheckpoint('p', 0)).toEqual(expected);
      expect(await store.processing.getCheckpoint('p', 1)).toBeUndefined();
      await clock.advance(5000);
      // A checkpoint may move backwards (a reset).
      await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 1n }));
      expect(await store.processing.getCheckpoint('p')).toEqual({
        ...expected,
        position: 1n,
        updatedAt: new Date(T0 + 5000),
      });
    });

    testWith('readModel', 'a read-model write and the checkpoint commit together or not at all', async () => {
      const store = await open();
      expect(await atomicCheckpointViolations(store, harness.readModel!)).toEqual([]);
    });

    test('listCheckpoints orders by processor then partition; deleteCheckpoints removes every partition of one processor', async () => {
      const store = await open();
      await store.transaction(async (tx) => {
        for (const [processor, partition] of [
          ['b', 1],
          ['a', 2],
          ['b', 0],
          ['a', 0],
          ['c', 0],
        ] as const) {
          await tx.processing.saveCheckpoint({ processor, partition, position: BigInt(partition + 1) });
        }
      });
      const keys = async () => (await store.processing.listCheckpoints()).map((c) => `${c.processor}/${c.partition}`);
      expect(await keys()).toEqual(['a/0', 'a/2', 'b/0', 'b/1', 'c/0']);
      await store.processing.deleteCheckpoints('b');
      expect(await keys()).toEqual(['a/0', 'a/2', 'c/0']);
      await store.processing.deleteCheckpoints('nobody');
      expect(await keys()).toEqual(['a/0', 'a/2', 'c/0']);
    });

    test('a checkpoint of another store carries its id, and subscribing from it is refused', async () => {
      const store = await open();
      const other = await open();
      await store.append('s-1', [ev(), ev()]);
      await other.append('s-1', [ev()]);
      await other.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 1n }));
      const foreign = (await other.processing.getCheckpoint('p'))!;
      expect(foreign.storeId).toBe((await other.info()).storeId);
      expect(foreign.storeId).not.toBe((await store.info()).storeId);
      await rejects(() => collect(store.subscribe({ from: foreign })), TidingsError, 'CHECKPOINT_FOREIGN_STORE');
    });
  });

  describe('processing: inbox', () => {
    test('claimInbox is true once per processor and event, across transactions; a rolled-back claim is forgotten', async () => {
      const store = await open();
      const [e1, e2] = await recorded(store, 's-1', 2);
      await store.transaction(async (tx) => {
        expect(await tx.processing.claimInbox('p', e1!)).toBe(true);
        expect(await tx.processing.claimInbox('p', e1!)).toBe(false);
        // Ids compare case-insensitively, as event ids do everywhere.
        expect(await tx.processing.claimInbox('p', { ...e1!, id: e1!.id.toUpperCase() })).toBe(false);
        expect(await tx.processing.claimInbox('q', e1!)).toBe(true);
      });
      await store.transaction(async (tx) => {
        expect(await tx.processing.claimInbox('p', e1!)).toBe(false);
        expect(await tx.processing.claimInbox('q', e1!)).toBe(false);
      });
      await expect(
        store.transaction(async (tx) => {
          expect(await tx.processing.claimInbox('p', e2!)).toBe(true);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      await store.transaction(async (tx) => {
        expect(await tx.processing.claimInbox('p', e2!)).toBe(true);
      });
    });

    test("saveCheckpoint prunes the processor's inbox rows at or below its position, no others", async () => {
      const store = await open();
      const events = await recorded(store, 's-1', 4);
      await store.transaction(async (tx) => {
        for (const e of events) await tx.processing.claimInbox('p', e);
        await tx.processing.claimInbox('q', events[0]!);
      });
      await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: events[1]!.position }));
      // Probe in a transaction that rolls back, so probing claims nothing.
      const claims = await probe(store, async (tx) => [
        ...(await Promise.all(events.map((e) => tx.processing.claimInbox('p', e)))),
        await tx.processing.claimInbox('q', events[0]!),
      ]);
      expect(claims).toEqual([true, true, false, false, false]);
      // Pruning inside one transaction: rows claimed, then checkpointed past, can be claimed again.
      await store.transaction(async (tx) => {
        expect(await tx.processing.claimInbox('r', events[0]!)).toBe(true);
        await tx.processing.saveCheckpoint({ processor: 'r', position: events[0]!.position });
        expect(await tx.processing.claimInbox('r', events[0]!)).toBe(true);
      });
      // deleteCheckpoints clears the inbox too: the processor starts again.
      await store.processing.deleteCheckpoints('q');
      expect(await probe(store, (tx) => tx.processing.claimInbox('q', events[0]!))).toBe(true);
    });
  });

  describe('processing: parked events', () => {
    test('park upserts one entry per processor and event: attempts add up, firstFailedAt stays, the rest follows the last failure', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const [e1] = await recorded(store, 'order-1', 1);
      const first = serializeError(new TypeError('first failure'));
      const entry = await store.transaction((tx) =>
        tx.processing.park({
          processor: 'p',
          event: { ...e1!, id: e1!.id.toUpperCase() },
          error: first,
          attempts: 3,
          blocking: true,
        }),
      );
      expect(entry).toEqual({
        id: entry.id,
        processor: 'p',
        partition: 0,
        eventId: e1!.id.toLowerCase(),
        position: e1!.position,
        streamId: 'order-1',
        version: 1n,
        type: 'test.happened',
        error: first,
        attempts: 3,
        firstFailedAt: new Date(T0),
        lastFailedAt: new Date(T0),
        blocking: true,
      });
      expect(typeof entry.id).toBe('string');
      expect(await store.processing.getParked(entry.id)).toEqual(entry);
      await clock.advance(60_000);
      const second = serializeError(new Error('second failure', { cause: new Error('root') }));
      const again = await store.transaction((tx) =>
        tx.processing.park({ processor: 'p', event: e1!, error: second, attempts: 2, blocking: false }),
      );
      const expected = { ...entry, error: second, attempts: 5, lastFailedAt: new Date(T0 + 60_000), blocking: false };
      expect(again).toEqual(expected);
      expect(await store.processing.getParked(entry.id)).toEqual(expected);
      // Another processor parking the same event gets its own entry.
      const other = await store.transaction((tx) =>
        tx.processing.park({ processor: 'q', event: e1!, error: first, attempts: 1, blocking: false }),
      );
      expect(other.id).not.toBe(entry.id);
      expect((await store.processing.listParked()).length).toBe(2);
    });

    test('listParked filters by processor, stream and blocking, orders by position and honours limit; unpark removes', async () => {
      const store = await open();
      const a = await recorded(store, 'order-a', 3);
      const b = await recorded(store, 'order-b', 2);
      const error = serializeError(new Error('down'));
      // Parked out of position order, to see the listing sort them.
      const parked = await store.transaction(async (tx) => [
        await tx.processing.park({ processor: 'p', event: b[1]!, error, attempts: 1, blocking: false }),
        await tx.processing.park({ processor: 'p', event: a[0]!, error, attempts: 1, blocking: true }),
        await tx.processing.park({ processor: 'q', event: a[1]!, error, attempts: 1, blocking: false }),
        await tx.processing.park({ processor: 'p', event: a[2]!, error, attempts: 1, blocking: true }),
      ]);
      const list = async (filter?: Parameters<EventStore['processing']['listParked']>[0]) =>
        (await store.processing.listParked(filter)).map((p) => `${p.processor}:${p.streamId}@${p.version}`);
      expect(await list()).toEqual(['p:order-a@1', 'q:order-a@2', 'p:order-a@3', 'p:order-b@2']);
      expect(await list({ processor: 'p' })).toEqual(['p:order-a@1', 'p:order-a@3', 'p:order-b@2']);
      expect(await list({ streamId: 'order-b' })).toEqual(['p:order-b@2']);
      expect(await list({ processor: 'p', blocking: true })).toEqual(['p:order-a@1', 'p:order-a@3']);
      expect(await list({ blocking: false, limit: 1 })).toEqual(['q:order-a@2']);
      expect(await list({ limit: 2 })).toEqual(['p:order-a@1', 'q:order-a@2']);
      expect(await list({ processor: 'nobody' })).toEqual([]);
      expect(await store.processing.getParked('00000000-0000-7000-8000-000000000000')).toBeUndefined();
      expect(await store.processing.getParked('not-an-id')).toBeUndefined();

      // A rolled-back unpark keeps the entry; a committed one removes it; a second one finds nothing.
      await expect(
        store.transaction(async (tx) => {
          expect(await tx.processing.unpark(parked[1]!.id)).toBe(true);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await store.processing.getParked(parked[1]!.id)).toEqual(parked[1]);
      expect(await store.transaction((tx) => tx.processing.unpark(parked[1]!.id))).toBe(true);
      expect(await store.transaction((tx) => tx.processing.unpark(parked[1]!.id))).toBe(false);
      expect(await store.processing.getParked(parked[1]!.id)).toBeUndefined();
      expect(await list({ blocking: true })).toEqual(['p:order-a@3']);
    });

    test('a park in a rolled-back transaction leaves nothing', async () => {
      const store = await open();
      const [e1] = await recorded(store, 'order-1', 1);
      await expect(
        store.transaction(async (tx) => {
          await tx.processing.park({
            processor: 'p',
            event: e1!,
            error: serializeError(new Error('x')),
            attempts: 1,
            blocking: true,
          });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await store.processing.listParked()).toEqual([]);
    });
  });
}

/** Runs `work` in a transaction that is rolled back afterwards, returning what it returned. */
async function probe<R>(
  store: EventStore,
  work: (tx: Parameters<Parameters<EventStore['transaction']>[0]>[0]) => Promise<R>,
): Promise<R> {
  const marker = new Error('probe rollback');
  let result: R | undefined;
  try {
    await store.transaction(async (tx) => {
      result = await work(tx);
      throw marker;
    });
  } catch (error) {
    if (error !== marker) throw error;
  }
  return result as R;
}
