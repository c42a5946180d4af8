import {
  StoreBusyError,
  TidingsError,
  ValidationError,
  type AppendOptions,
  type EventStore,
  type StoreTransaction,
} from 'tidings';
import { MAX_SCHEMA_VERSION, MAX_STORE_INTEGER } from 'tidings/store-kit';
import { describe, expect } from 'vitest';
import { collect, contents, ev, evs, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

// Issue 8 items 3, 10 and 12: store calls made from inside transaction work, bad input inside a
// transaction, and a transaction used after it finished — one answer on every store.

/** The store methods that take the write lock, called the way a misuse would. */
function writes(store: EventStore): [string, () => Promise<unknown>][] {
  return [
    ['append', () => store.append('s-9', [ev()])],
    ['transaction', () => store.transaction((tx) => tx.append('s-9', [ev()]))],
    ['setStreamMetadata', () => store.setStreamMetadata('s-9', { owner: 'x' })],
    ['truncateBefore', () => store.truncateBefore('s-9', 1n)],
    ['deleteStream', () => store.deleteStream('s-9', { mode: 'hard' })],
  ];
}

/** Lock waits in these tests: short, so a wait that is correctly bounded ends quickly. */
const LOCK_TIMEOUT_MS = 300;

export function nestedCases({ open, test }: ContractContext): void {
  describe('store calls inside transaction work', () => {
    test('a store write called while work runs synchronously fails at once with NESTED_TRANSACTION', async () => {
      const store = await open();
      for (const [what, call] of writes(store)) {
        const error = await store.transaction(async (tx) => {
          // Called before work's first await: the store knows this call comes from inside work.
          const nested = call().then(
            () => undefined,
            (e: unknown) => e,
          );
          await tx.append('s-1', [ev('x.kept', { what })]);
          return nested;
        });
        expect(error, what).toBeInstanceOf(TidingsError);
        expect((error as TidingsError).code, what).toBe('NESTED_TRANSACTION');
        expect((error as Error).message, what).toContain('tx.append');
      }
      // Every transaction committed its own append; none of the nested writes happened.
      expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(['s-1', 's-1', 's-1', 's-1', 's-1']);
      expect((await store.streamInfo('s-9')).version).toBe(0n);
      expect((await store.streamInfo('s-9')).deleted).toBe(undefined);
    });

    test('a store write called inside work after it appended fails with StoreBusyError within lockTimeoutMs, and the transaction still commits', async () => {
      const store = await open({ lockTimeoutMs: LOCK_TIMEOUT_MS });
      await store.append('s-1', evs(1));
      const caught: unknown[] = [];
      await store.transaction(async (tx) => {
        await tx.append('s-1', evs(1), { expectedVersion: 1n });
        // After an await the store cannot tell this call from a concurrent caller's: it waits for
        // the lock, bounded, instead of forever.
        caught.push(await store.append('s-2', evs(1)).catch((e: unknown) => e));
        caught.push(await store.transaction((inner) => inner.append('s-3', evs(1))).catch((e: unknown) => e));
        await tx.append('s-1', evs(1), { expectedVersion: 2n });
      });
      for (const error of caught) {
        expect(error).toBeInstanceOf(StoreBusyError);
        expect((error as StoreBusyError).timeoutMs).toBe(LOCK_TIMEOUT_MS);
        expect((error as Error).message).toMatch(/use tx\.append/);
      }
      expect((await collect(store.readAll())).map((e) => `${e.streamId}@${e.version}`)).toEqual([
        's-1@1',
        's-1@2',
        's-1@3',
      ]);
      // Nothing is left waiting: the store accepts writes and closes.
      await store.append('s-2', evs(1));
      await store.close();
    });

    test('transaction(work) refuses a work that is not a function', async () => {
      const store = await open();
      for (const work of [undefined, null, 'work', {}]) {
        await rejects(() => store.transaction(work as never), ValidationError, 'INVALID_ARGUMENT');
      }
      await store.transaction(async (tx) => {
        await rejects(() => tx.afterCommit('later' as never), ValidationError, 'INVALID_ARGUMENT');
      });
    });
  });

  describe('transaction lifetime', () => {
    test('every tx call, reads included, fails with TRANSACTION_FINISHED after the transaction finished', async () => {
      const store = await open();
      await store.append('s-1', evs(3));
      let leaked: StoreTransaction | undefined;
      let reading: AsyncIterator<unknown> | undefined;
      await store.transaction(async (tx) => {
        leaked = tx;
        reading = tx.readStream('s-1')[Symbol.asyncIterator]();
        expect((await reading.next()).done).toBe(false);
      });
      await rejects(() => collect(leaked!.readStream('s-1')), TidingsError, 'TRANSACTION_FINISHED');
      await rejects(() => leaked!.streamInfo('s-1'), TidingsError, 'TRANSACTION_FINISHED');
      await rejects(() => leaked!.append('s-1', evs(1)), TidingsError, 'TRANSACTION_FINISHED');
      await rejects(() => leaked!.afterCommit(() => undefined), TidingsError, 'TRANSACTION_FINISHED');
      // A read begun inside and resumed after is refused too, rather than reading outside the transaction.
      await rejects(() => reading!.next(), TidingsError, 'TRANSACTION_FINISHED');
      // The same after a rollback.
      await rejects(
        () =>
          store.transaction((tx) => {
            leaked = tx;
            return Promise.reject(new Error('roll back'));
          }),
        Error,
      );
      await rejects(() => leaked!.streamInfo('s-1'), TidingsError, 'TRANSACTION_FINISHED');
      expect((await store.streamInfo('s-1')).version).toBe(3n);
    });

    test('an append refused for bad input of any kind inside a transaction can be caught and the rest still commits', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      const badAppends: [string, () => Promise<unknown>][] = [];
      await store.transaction(async (tx) => {
        badAppends.push(
          [
            'schemaVersion 2^31',
            () => tx.append('s-1', [ev('x.a', {}, { metadata: { schemaVersion: MAX_SCHEMA_VERSION + 1 } })]),
          ],
          [
            'long correlationId',
            () => tx.append('s-1', [ev('x.a', {}, { metadata: { correlationId: 'c'.repeat(5000) } })]),
          ],
          ['expectedVersion 2^63', () => tx.append('s-1', [ev()], { expectedVersion: MAX_STORE_INTEGER + 1n })],
          ['options in place', () => tx.append('s-1', [ev()], 'no-stream' as unknown as AppendOptions)],
          ['deep data', () => tx.append('s-1', [ev('x.a', JSON.parse('['.repeat(300) + ']'.repeat(300)) as unknown)])],
          ['bad toJSON', () => tx.append('s-1', [ev('x.a', { toJSON: () => 1n })])],
        );
        await tx.append('s-2', evs(1));
        for (const [what, call] of badAppends) {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, what).toBeInstanceOf(ValidationError);
        }
        await tx.append('s-1', evs(1), { expectedVersion: 1n });
      });
      expect((await collect(store.readAll())).map((e) => `${e.streamId}@${e.version}`)).toEqual([
        's-1@1',
        's-2@1',
        's-1@2',
      ]);
      expect(await contents(store, [])).toMatchObject({ head: 3n });
    });
  });
}
