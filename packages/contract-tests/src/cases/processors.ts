import {
  createProcessorRunner,
  defineProcessor,
  LeaseLostError,
  systemClock,
  TidingsError,
  UnknownParkedEventError,
  ValidationError,
  type Clock,
  type EventStore,
  type ProcessorErrorInfo,
  type RecordedEvent,
  type StoreInfo,
  type StoreTransaction,
  type TransactionProcessing,
} from 'tidings';
import { createFakeClock, runToHead } from 'tidings/testing';
import { describe, expect } from 'vitest';
import { rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';
import { leaseSetup } from './leases.js';

const n = (event: RecordedEvent): number => (event.data as { n: number }).n;

async function appendItems(store: EventStore, from: number, to: number, streams = 3): Promise<void> {
  for (let i = from; i < to; i++) await store.append(`item-${i % streams}`, [{ type: 'item.changed', data: { n: i } }]);
}

/** `store` whose transactions' `saveCheckpoint` is replaced by `wrap(original)`. */
function withSaveCheckpoint(
  store: EventStore,
  wrap: (save: TransactionProcessing['saveCheckpoint']) => TransactionProcessing['saveCheckpoint'],
): EventStore {
  const transaction = <R>(work: (tx: StoreTransaction) => Promise<R>): Promise<R> =>
    store.transaction((tx) => {
      const p = tx.processing;
      const processing: TransactionProcessing = {
        getCheckpoint: (...a) => p.getCheckpoint(...a),
        saveCheckpoint: wrap((w) => p.saveCheckpoint(w)),
        claimInbox: (...a) => p.claimInbox(...a),
        park: (r) => p.park(r),
        unpark: (...a) => p.unpark(...a),
      };
      return work({
        append: (...a) => tx.append(...a),
        readStream: (...a) => tx.readStream(...a),
        streamInfo: (id) => tx.streamInfo(id),
        afterCommit: (cb) => tx.afterCommit(cb),
        connection: tx.connection,
        processing,
        timers: tx.timers,
      });
    });
  return new Proxy(store, {
    get: (target, key, receiver) =>
      key === 'transaction' ? transaction : (Reflect.get(target, key, receiver) as unknown),
  });
}

export function processorCases({ open, test, testWith, harness }: ContractContext): void {
  describe('processors (runner)', () => {
    testWith(
      'readModel',
      'a transactional processor commits its read model with the checkpoint, in order per stream, and resumes after a restart',
      async () => {
        const store = await open();
        const readModel = harness.readModel!;
        let committed = 0;
        const p = defineProcessor({
          name: 'projection',
          filter: { categories: ['item'] },
          effects: 'transactional',
          concurrency: 3,
          batch: { maxEvents: 4 },
          handle: async (event, { tx }) => {
            // The read model holds each stream's last version: out of order it would end lower.
            await readModel.write(store, tx, event.streamId, Number(event.version));
            tx.afterCommit(() => committed++);
          },
        });
        await appendItems(store, 0, 20);
        await runToHead(store, p);
        await appendItems(store, 20, 30);
        await runToHead(store, p);
        expect(committed).toBe(30);
        for (const s of [0, 1, 2]) expect(await readModel.read(store, `item-${s}`)).toBe(10);
        let last = 0n;
        for await (const e of store.readAll({ filter: { categories: ['item'] } })) last = e.position;
        expect((await store.processing.getCheckpoint('projection'))?.position).toBe(last);
      },
      30_000,
    );

    test('an inbox processor skips the events that a failed checkpoint write delivers again', async () => {
      const store = await open();
      await appendItems(store, 0, 6);
      let fail = true;
      const flaky = withSaveCheckpoint(store, (save) => async (write) => {
        if (fail) {
          fail = false;
          throw new Error('checkpoint write failed');
        }
        await save(write);
      });
      const kinds: ProcessorErrorInfo['kind'][] = [];
      const p = defineProcessor({
        name: 'inbox',
        filter: { categories: ['item'] },
        effects: 'inbox',
        concurrency: 2,
        handle: async (event, { tx }) => {
          await tx.append('fx-1', [{ type: 'effect.done', data: { n: n(event) } }]);
        },
      });
      const runner = createProcessorRunner(flaky, { processors: [p], onError: (_e, info) => kinds.push(info.kind) });
      await runner.start();
      await runner.catchUp({ timeoutMs: 20_000 });
      await runner.stop();
      expect(kinds).toContain('store');
      const effects: number[] = [];
      for await (const e of store.readStream('fx-1')) effects.push(n(e));
      expect(effects.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    }, 30_000);

    test('a poison event is retried and parked; with block-stream its stream waits while others flow, and a retry after a restart replays it in order', async () => {
      const store = await open();
      await appendItems(store, 0, 6, 2); // item-0: 0, 2, 4; item-1: 1, 3, 5
      const handled: number[] = [];
      let poison = true;
      const p = defineProcessor({
        name: 'blocking',
        filter: { categories: ['item'] },
        onFailure: 'block-stream',
        concurrency: 2,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        handle: (event) => {
          if (poison && n(event) === 2) throw new Error('poison');
          handled.push(n(event));
        },
      });
      await runToHead(store, p);
      expect(handled.sort((a, b) => a - b)).toEqual([0, 1, 3, 5]);
      const [entry] = await store.processing.listParked({ processor: 'blocking' });
      expect(entry).toMatchObject({ streamId: 'item-0', version: 2n, attempts: 2, blocking: true });
      expect(entry?.error).toMatchObject({ name: 'Error', message: 'poison' });

      await appendItems(store, 6, 8, 2); // item-0: 6; item-1: 7
      handled.length = 0;
      poison = false;
      const runner = createProcessorRunner(store, { processors: [p] });
      await runner.start();
      await runner.catchUp();
      expect(handled).toEqual([7]);
      expect(await runner.parked.retry(entry!.id)).toMatchObject({ outcome: 'handled', replayed: 2 });
      expect(handled).toEqual([7, 2, 4, 6]);
      expect(await runner.parked.list()).toEqual([]);
      await runner.stop();
    }, 30_000);

    test('a holder paused past its lease is taken over; its late checkpoint write is refused by the epoch', async () => {
      const { options, clock } = leaseSetup(harness);
      const store = await open(options);
      await appendItems(store, 0, 3, 1);
      // The paused holder's clock stands still: it does not renew, and sees its lease as fresh.
      const paused: Clock = createFakeClock({ now: Date.now() });
      const heirClock: Clock = clock ?? systemClock;
      const ttl = clock === undefined ? 300 : 1000;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const zombieErrors: Error[] = [];
      const zombie = createProcessorRunner(store, {
        owner: 'zombie',
        clock: paused,
        leaseTtlMs: ttl,
        processors: [
          defineProcessor({
            name: 'leased',
            batch: { maxEvents: 1 },
            handle: async (event) => {
              if (n(event) === 0) await held;
            },
          }),
        ],
        onError: (error, info) => {
          if (info.kind === 'lease') zombieErrors.push(error);
        },
      });
      await zombie.start();
      const heir = createProcessorRunner(store, {
        owner: 'heir',
        clock: heirClock,
        leaseTtlMs: ttl,
        acquireIntervalMs: 50,
        processors: [defineProcessor({ name: 'leased', handle: () => undefined })],
      });
      await heir.start();
      expect(heir.status('leased').state).toBe('standby');
      if (clock !== undefined) await clock.advance(ttl + 400);
      const giveUp = Date.now() + 15_000;
      while (heir.status('leased').state !== 'running') {
        if (Date.now() > giveUp) throw new Error('the heir did not take over within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await heir.catchUp({ timeoutMs: 15_000 });
      const taken = await store.processing.getCheckpoint('leased');
      expect(taken).toMatchObject({ position: 3n, epoch: 2n });
      release();
      while (zombieErrors.length === 0) {
        if (Date.now() > giveUp) throw new Error('the zombie was not refused within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(zombieErrors[0]).toBeInstanceOf(LeaseLostError);
      expect(await store.processing.getCheckpoint('leased')).toMatchObject({ position: 3n, epoch: 2n });
      await heir.stop();
      await zombie.stop();
    }, 30_000);

    test('processors: bad input is refused with the same errors and changes nothing', async () => {
      const store = await open();
      const p = defineProcessor({ name: 'p', handle: () => undefined });
      const duplicate = await rejects(
        () =>
          createProcessorRunner(store, { processors: [p, defineProcessor({ name: 'p', handle: () => undefined })] }),
        ValidationError,
        'DUPLICATE_PROCESSOR',
      );
      expect(duplicate.message).toContain("two processors are named 'p'");
      const runner = createProcessorRunner(store, { processors: [p] });
      await rejects(() => runner.parked.retry('00000000-0000-7000-8000-000000000000'), UnknownParkedEventError);
      // Ahead of the head: a restored database would reuse positions the processor already handled.
      await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 7n }));
      await rejects(() => runner.start(), TidingsError, 'CHECKPOINT_AHEAD_OF_STORE');
      expect(runner.status('p').state).toBe('stopped');
      // Another store's identity: a checkpoint that came with a copied database.
      await appendItems(store, 0, 8, 1);
      const copy = new Proxy(store, {
        get: (target, key, receiver) =>
          key === 'info'
            ? async (): Promise<StoreInfo> => ({ ...(await target.info()), storeId: 'another-store' })
            : (Reflect.get(target, key, receiver) as unknown),
      });
      await rejects(
        () => createProcessorRunner(copy, { processors: [p] }).start(),
        TidingsError,
        'CHECKPOINT_FOREIGN_STORE',
      );
      expect(await store.processing.getCheckpoint('p')).toMatchObject({ position: 7n, epoch: 0n });
      expect(await store.processing.getLease('p')).toBeUndefined();
    }, 30_000);
  });
}
