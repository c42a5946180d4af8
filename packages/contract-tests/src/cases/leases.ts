import { LeaseLostError, serializeError } from 'tidings';
import { createFakeClock, type FakeClock } from 'tidings/testing';
import { describe, expect } from 'vitest';
import { collect, ev, rejects } from '../fixtures.js';
import type { ContractContext, StoreHarness, StoreOptions } from '../harness.js';
import { fakeClockExpiry, fencedWriteViolations, serverClockExpiry, type LeaseExpiry } from '../processing-checks.js';

const T0 = Date.UTC(2026, 0, 1);

interface LeaseSetup {
  readonly options: StoreOptions;
  readonly expiry: LeaseExpiry;
  /** Set when leases follow the store's clock option. */
  readonly clock: FakeClock | undefined;
}

/** A store option set and an expiry strategy matching how the harness times leases. */
export function leaseSetup(harness: StoreHarness): LeaseSetup {
  if (harness.leaseClock === 'clock-option') {
    const clock = createFakeClock({ now: T0 });
    return { options: { clock }, expiry: fakeClockExpiry(clock), clock };
  }
  return { options: {}, expiry: serverClockExpiry(), clock: undefined };
}

/** Settles within `ms`? Used to show that a call is held back (a bounded wait for something not to happen). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function leaseCases({ open, test, testWith, harness }: ContractContext): void {
  describe('processing: leases', () => {
    test('acquireLease: the first holder gets epoch 1, the same owner renews with the same epoch, another owner waits', async () => {
      const { options, clock } = leaseSetup(harness);
      const store = await open(options);
      expect(await store.processing.getLease('p')).toBeUndefined();
      const lease = await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 60_000 });
      expect(lease).toMatchObject({ processor: 'p', partition: 0, owner: 'a', epoch: 1n });
      if (clock !== undefined) expect(lease!.expiresAt).toEqual(new Date(T0 + 60_000));
      expect(await store.processing.getLease('p')).toEqual(lease);
      await clock?.advance(1000);
      const again = await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 60_000 });
      expect(again).toMatchObject({ owner: 'a', epoch: 1n });
      expect(again!.expiresAt.getTime()).toBeGreaterThanOrEqual(lease!.expiresAt.getTime());
      expect(await store.processing.acquireLease({ processor: 'p', owner: 'b', ttlMs: 60_000 })).toBeUndefined();
      // Partitions are separate leases.
      expect(
        await store.processing.acquireLease({ processor: 'p', partition: 1, owner: 'b', ttlMs: 60_000 }),
      ).toMatchObject({
        partition: 1,
        owner: 'b',
        epoch: 1n,
      });
      expect(await store.processing.getLease('p')).toMatchObject({ owner: 'a', epoch: 1n });
    });

    test('an expired lease is taken over by another owner with epoch + 1; the old holder can no longer renew it', async () => {
      const { options, expiry } = leaseSetup(harness);
      const store = await open(options);
      const a = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: expiry.ttlMs }))!;
      const b = await expiry.takeOver(store, { processor: 'p', owner: 'b', ttlMs: 60_000 });
      expect(b).toMatchObject({ processor: 'p', partition: 0, owner: 'b', epoch: a.epoch + 1n });
      expect(await store.processing.getLease('p')).toEqual(b);
      expect(await store.processing.renewLease(a, 60_000)).toBeUndefined();
      expect(await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 60_000 })).toBeUndefined();
    });

    test('renewLease extends a lease held with its epoch, even one that expired without a takeover', async () => {
      const { options, expiry, clock } = leaseSetup(harness);
      const store = await open(options);
      const a = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: expiry.ttlMs }))!;
      const renewed = await store.processing.renewLease(a, 60_000);
      expect(renewed).toMatchObject({ owner: 'a', epoch: a.epoch });
      expect(renewed!.expiresAt.getTime()).toBeGreaterThan(a.expiresAt.getTime());
      if (clock !== undefined) expect(renewed!.expiresAt).toEqual(new Date(T0 + 60_000));
      expect(await store.processing.getLease('p')).toEqual(renewed);
      expect(await store.processing.acquireLease({ processor: 'p', owner: 'b', ttlMs: 1000 })).toBeUndefined();

      // Expired, nobody took it: the holder may still renew (same epoch).
      const short = (await store.processing.renewLease(renewed!, expiry.ttlMs))!;
      if (clock !== undefined) await clock.advance(expiry.ttlMs + 1);
      else await waitPast(short.expiresAt);
      expect(await store.processing.renewLease(short, 60_000)).toMatchObject({ owner: 'a', epoch: a.epoch });
    });

    test('releaseLease frees the lease at once and the next holder, even the same owner, gets epoch + 1; a stale release does nothing', async () => {
      const { options, expiry } = leaseSetup(harness);
      const store = await open(options);
      const a = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 60_000 }))!;
      await store.processing.releaseLease(a);
      expect(await store.processing.getLease('p')).toBeUndefined();
      expect(await store.processing.renewLease(a, 60_000)).toBeUndefined();
      const again = await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: expiry.ttlMs });
      expect(again).toMatchObject({ owner: 'a', epoch: a.epoch + 1n });
      const b = await expiry.takeOver(store, { processor: 'p', owner: 'b', ttlMs: 60_000 });
      expect(b.epoch).toBe(a.epoch + 2n);
      // The old holder's release, after losing the lease, leaves the new holder alone.
      await store.processing.releaseLease(again!);
      await store.processing.releaseLease(a);
      expect(await store.processing.getLease('p')).toEqual(b);
    });
  });

  describe('processing: fencing', () => {
    testWith(
      'readModel',
      'a write fenced by a lost epoch fails with LeaseLostError and nothing of its transaction is written',
      async () => {
        const { options, expiry } = leaseSetup(harness);
        const store = await open(options);
        expect(await fencedWriteViolations(store, harness.readModel!, expiry)).toEqual([]);
      },
      30_000,
    );

    test('claimInbox, park and unpark with a lost epoch are refused; with the live epoch they pass; a released lease fences everyone', async () => {
      const { options, expiry } = leaseSetup(harness);
      const store = await open(options);
      await store.append('order-1', [ev(), ev()]);
      const [e1, e2] = await collect(store.readStream('order-1'));
      const error = serializeError(new Error('down'));
      const a = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: expiry.ttlMs }))!;
      const parked = await store.transaction((tx) =>
        tx.processing.park({ processor: 'p', event: e1!, error, attempts: 1, blocking: true, epoch: a.epoch }),
      );
      const b = await expiry.takeOver(store, { processor: 'p', owner: 'b', ttlMs: 60_000 });
      const stale = [
        () => store.transaction((tx) => tx.processing.claimInbox('p', e2!, { epoch: a.epoch })),
        () =>
          store.transaction((tx) =>
            tx.processing.park({ processor: 'p', event: e2!, error, attempts: 1, blocking: false, epoch: a.epoch }),
          ),
        () => store.transaction((tx) => tx.processing.unpark(parked.id, { epoch: a.epoch })),
        () => store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 2n, epoch: a.epoch })),
        // An epoch that was never issued is as stale as an old one.
        () => store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 2n, epoch: 99n })),
        // A partition without a lease fences every epoch.
        () => store.transaction((tx) => tx.processing.claimInbox('p', e2!, { epoch: b.epoch, partition: 7 })),
      ];
      for (const call of stale) {
        const refused = await rejects(call, LeaseLostError, 'LEASE_LOST');
        expect(refused.processor).toBe('p');
      }
      expect(await store.processing.getParked(parked.id)).toEqual(parked);
      expect(await store.processing.listParked()).toHaveLength(1);
      expect(await store.processing.getCheckpoint('p')).toBeUndefined();
      expect(await store.transaction((tx) => tx.processing.claimInbox('p', e2!, { epoch: b.epoch }))).toBe(true);
      expect(await store.transaction((tx) => tx.processing.unpark(parked.id, { epoch: b.epoch }))).toBe(true);
      await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 2n, epoch: b.epoch }));
      expect(await store.processing.getCheckpoint('p')).toMatchObject({ position: 2n, epoch: b.epoch });

      await store.processing.releaseLease(b);
      const released = await rejects(
        () => store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 3n, epoch: b.epoch })),
        LeaseLostError,
        'LEASE_LOST',
      );
      expect(released.currentEpoch).toBeUndefined();
      expect(await store.processing.getCheckpoint('p')).toMatchObject({ position: 2n });
    }, 30_000);

    test('a takeover issued while a fenced transaction is open completes only after that transaction', async () => {
      const { options, expiry, clock } = leaseSetup(harness);
      const store = await open(options);
      const writer = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: expiry.ttlMs }))!;
      // Expired but not taken over: the writer's epoch still fences, and a takeover is allowed.
      if (clock !== undefined) await clock.advance(expiry.ttlMs + 1);
      else await waitPast(writer.expiresAt);
      const order: string[] = [];
      let takeover: Promise<unknown> | undefined;
      await store.transaction(async (tx) => {
        await tx.processing.saveCheckpoint({ processor: 'p', position: 1n, epoch: writer.epoch });
        takeover = store.processing.acquireLease({ processor: 'p', owner: 'b', ttlMs: 60_000 }).then((lease) => {
          order.push(`takeover ${lease?.epoch}`);
          return lease;
        });
        // Bounded wait for something that must not happen: the takeover is held back by this transaction.
        expect(await settlesWithin(takeover, 300)).toBe(false);
        order.push('fenced transaction ends');
      });
      await takeover;
      expect(order).toEqual(['fenced transaction ends', `takeover ${writer.epoch + 1n}`]);
      expect(await store.processing.getCheckpoint('p')).toMatchObject({ position: 1n, epoch: writer.epoch });
    }, 30_000);
  });
}

/** Waits (polling, bounded) until the local clock is past `at` plus a margin: for a lease timed by a database on this host. */
async function waitPast(at: Date, boundMs = 15_000): Promise<void> {
  const giveUpAt = Date.now() + boundMs;
  while (Date.now() <= at.getTime() + 50) {
    if (Date.now() > giveUpAt) throw new Error(`The clock did not pass ${at.toISOString()} within ${boundMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
