import {
  atomicCheckpointViolations,
  brokenProcessing,
  fencedWriteViolations,
  serverClockExpiry,
} from '@tidings/contract-tests';
import pg from 'pg';
import { LeaseLostError } from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresEventStore } from './index.js';
import { storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable, sql } from './test-support/pg-env.js';
import { postgresReadModel } from './test-support/read-model.js';

const available = await pgAvailable();

/** Settles within `ms`? A bounded wait for something that must not happen. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits, polling with a bound, until the database clock is past the lease's expiry. */
async function waitExpired(store: PostgresEventStore, processor: string): Promise<void> {
  const giveUpAt = Date.now() + 15_000;
  for (;;) {
    const [row] = await sql<{ expired: boolean }>(
      `select expires_at < clock_timestamp() as expired from "${store.schema}".leases where processor = $1`,
      [processor],
    );
    if (row?.expired === true) return;
    if (Date.now() > giveUpAt) throw new Error('the lease did not expire within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!available)('postgres processing state', () => {
  const stores = storeFactory('proc');
  afterAll(() => stores.cleanup());

  it('leases follow the database clock, not the store clock option', async () => {
    // A store clock twenty years behind: lease times must not come from it.
    const store = await stores.open({ clock: createFakeClock({ now: Date.UTC(2006, 0, 1) }) });
    const [{ now }] = (await sql<{ now: Date }>('select clock_timestamp() as now')) as [{ now: Date }];
    const lease = (await store.processing.acquireLease({ processor: 'p', owner: 'a', ttlMs: 60_000 }))!;
    expect(Math.abs(lease.expiresAt.getTime() - (now.getTime() + 60_000))).toBeLessThan(30_000);
    // And the store clock is still the source of checkpoint times, like recordedAt.
    await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 0n }));
    expect((await store.processing.getCheckpoint('p'))!.updatedAt).toEqual(new Date(Date.UTC(2006, 0, 1)));
  });

  it('two store instances on one schema (two processes): one lease holder, and the other is fenced after a takeover', async () => {
    const a = await stores.open();
    const b = await stores.open({ schema: a.schema });
    const leaseA = (await a.processing.acquireLease({ processor: 'p', owner: 'proc-a', ttlMs: 300 }))!;
    expect(await b.processing.acquireLease({ processor: 'p', owner: 'proc-b', ttlMs: 60_000 })).toBeUndefined();
    const leaseB = await serverClockExpiry().takeOver(b, { processor: 'p', owner: 'proc-b', ttlMs: 60_000 });
    expect(leaseB.epoch).toBe(leaseA.epoch + 1n);
    await expect(
      a.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 5n, epoch: leaseA.epoch })),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await b.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 5n, epoch: leaseB.epoch }));
    expect(await a.processing.getCheckpoint('p')).toMatchObject({ position: 5n, epoch: leaseB.epoch });
  }, 30_000);

  describe('negative controls: the checks fail against a broken writer', () => {
    it('fencing: a writer that drops the epoch lets the zombie write through', async () => {
      const store = await stores.open();
      const violations = await fencedWriteViolations(
        brokenProcessing(store, 'no-fence'),
        postgresReadModel,
        serverClockExpiry(),
      );
      expect(violations).toContain('read model holds 2 after the refused write, expected 1');
    }, 30_000);

    it('atomicity: a checkpoint written outside the transaction survives its rollback', async () => {
      const store = await stores.open();
      const violations = await atomicCheckpointViolations(
        brokenProcessing(store, 'checkpoint-outside'),
        postgresReadModel,
      );
      expect(violations).toContain('rolled back: the checkpoint stayed');
    });

    it('ordering: without the FOR SHARE lock a takeover overtakes a fenced transaction, with it the takeover waits', async () => {
      const store = await stores.open();
      const s = `"${store.schema}"`;
      const run = async (lock: '' | 'for share'): Promise<{ overtaken: boolean; zombieCommitted: boolean }> => {
        const processor = `order-${lock === '' ? 'broken' : 'locked'}`;
        const writer = (await store.processing.acquireLease({ processor, owner: 'a', ttlMs: 200 }))!;
        await waitExpired(store, processor);
        // The fenced transaction, as tx.processing.saveCheckpoint runs it (fence, then write), by hand.
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          await client.query('begin');
          const { rows } = await client.query<{ epoch: string }>(
            `select epoch from ${s}.leases where processor = $1 and partition = 0 and owner <> '' ${lock}`,
            [processor],
          );
          expect(BigInt(rows[0]!.epoch)).toBe(writer.epoch);
          const takeover = store.processing.acquireLease({ processor, owner: 'b', ttlMs: 60_000 });
          const overtaken = await settlesWithin(takeover, 500);
          await client.query(
            `insert into ${s}.checkpoints (processor, partition, position, epoch, updated_at) values ($1, 0, 1, $2, now())`,
            [processor, String(writer.epoch)],
          );
          await client.query('commit');
          const successor = (await takeover)!;
          // The zombie's write landed although its successor had taken the lease before it committed.
          return { overtaken, zombieCommitted: overtaken && successor.epoch === writer.epoch + 1n };
        } finally {
          await client.end();
        }
      };
      expect(await run('')).toEqual({ overtaken: true, zombieCommitted: true });
      expect(await run('for share')).toEqual({ overtaken: false, zombieCommitted: false });
    }, 30_000);
  });
});
