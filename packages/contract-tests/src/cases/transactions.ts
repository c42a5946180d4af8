import { ConcurrencyError, DuplicateEventError, TidingsError, ValidationError, type StoreTransaction } from 'tidings';
import { describe, expect } from 'vitest';
import { positionViolations } from '../checks.js';
import { collect, contents, ev, evs, rejects, versions } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function transactionCases({ open, test }: ContractContext): void {
  describe('transactions', () => {
    test('appends in a committed transaction are all visible after commit, and transaction returns what work returned', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      const value = await store.transaction(async (tx) => {
        const a = await tx.append('s-1', evs(2), { expectedVersion: 1n });
        const b = await tx.append('s-2', evs(1), { expectedVersion: 'no-stream' });
        const c = await tx.append('s-1', evs(1), { expectedVersion: a.nextVersion });
        return { a, b, c };
      });
      expect([value.a.nextVersion, value.b.nextVersion, value.c.nextVersion]).toEqual([3n, 1n, 4n]);
      const all = await collect(store.readAll());
      expect(all.map((e) => `${e.streamId}@${e.version}`)).toEqual(['s-1@1', 's-1@2', 's-1@3', 's-2@1', 's-1@4']);
      expect(positionViolations(all)).toEqual([]);
      expect(value.c.position).toBe(all[4]!.position);
      expect(await store.headPosition()).toBe(value.c.position);
    });

    test('reads outside a transaction do not see its appends before it commits', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      const head = await store.headPosition();
      let seenInside: unknown;
      await store.transaction(async (tx) => {
        await tx.append('s-1', evs(2));
        await tx.append('s-2', evs(1));
        seenInside = {
          head: await store.headPosition(),
          all: (await collect(store.readAll())).length,
          s1: (await store.streamInfo('s-1')).version,
          s2: (await collect(store.readStream('s-2'))).length,
        };
      });
      expect(seenInside).toEqual({ head, all: 1, s1: 1n, s2: 0 });
      expect((await collect(store.readAll())).length).toBe(4);
    });

    test('throwing inside work rolls back every append and rethrows the error', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      const before = await contents(store, ['s-1', 's-2']);
      const ids = [ev(), ev()];
      const boom = new Error('boom');
      const thrown = await rejects(
        () =>
          store.transaction(async (tx) => {
            await tx.append('s-1', [ids[0]!]);
            await tx.append('s-2', [ids[1]!]);
            throw boom;
          }),
        Error,
      );
      expect(thrown).toBe(boom);
      expect(await contents(store, ['s-1', 's-2'])).toEqual(before);
      // Nothing of the rolled-back transaction remains: its ids and versions are free again.
      expect((await store.append('s-2', [ids[1]!, ids[0]!], { expectedVersion: 'no-stream' })).nextVersion).toBe(2n);
      expect(positionViolations(await collect(store.readAll()))).toEqual([]);
    });

    test('reads inside a transaction see its own appends', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      await store.transaction(async (tx) => {
        await tx.append('s-1', evs(2, 'x.inside'));
        expect((await tx.streamInfo('s-1')).version).toBe(4n);
        expect(versions(await collect(tx.readStream('s-1')))).toEqual([1n, 2n, 3n, 4n]);
        expect(versions(await collect(tx.readStream('s-1', { direction: 'backward', limit: 2 })))).toEqual([4n, 3n]);
        expect((await tx.streamInfo('s-9')).version).toBe(0n);
      });
    });

    test('afterCommit callbacks run in order after commit, and not after a rollback', async () => {
      const store = await open();
      const calls: string[] = [];
      let workDone = false;
      await store.transaction(async (tx) => {
        tx.afterCommit(() => calls.push(`first:${workDone}`));
        await tx.append('s-1', evs(1));
        tx.afterCommit(() => calls.push(`second:${workDone}`));
        expect(calls).toEqual([]);
        workDone = true;
      });
      expect(calls).toEqual(['first:true', 'second:true']);
      calls.length = 0;
      await rejects(
        () =>
          store.transaction(async (tx) => {
            tx.afterCommit(() => calls.push('rolled back'));
            await tx.append('s-1', evs(1));
            throw new Error('no');
          }),
        Error,
      );
      expect(calls).toEqual([]);
    });

    test('an append that fails inside a transaction can be caught and the rest still commits', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      const taken = ev();
      await store.append('s-3', [taken]);
      await store.transaction(async (tx) => {
        await tx.append('s-2', evs(1));
        await rejects(() => tx.append('s-1', evs(1), { expectedVersion: 'no-stream' }), ConcurrencyError);
        await rejects(() => tx.append('s-1', [taken]), DuplicateEventError);
        await rejects(() => tx.append('s-1', [ev('x.happened', { n: 1n })]), ValidationError);
        await tx.append('s-1', evs(1), { expectedVersion: 1n });
      });
      expect((await collect(store.readAll())).map((e) => `${e.streamId}@${e.version}`)).toEqual([
        's-1@1',
        's-3@1',
        's-2@1',
        's-1@2',
      ]);
    });

    test('a transaction cannot be used after it finished', async () => {
      const store = await open();
      let leaked: StoreTransaction | undefined;
      await store.transaction(async (tx) => {
        leaked = tx;
        await tx.append('s-1', evs(1));
      });
      await rejects(() => leaked!.append('s-1', evs(1)), TidingsError);
      expect((await store.streamInfo('s-1')).version).toBe(1n);
    });
  });
}
