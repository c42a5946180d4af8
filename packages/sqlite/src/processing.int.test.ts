import {
  atomicCheckpointViolations,
  brokenProcessing,
  fakeClockExpiry,
  fencedWriteViolations,
} from '@tidings/contract-tests';
import { LeaseLostError } from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './__fixtures__/temp-db.js';
import { sqliteEventStore } from './index.js';
import { sqliteReadModel } from './test-support/read-model.js';

const tmp = tempDir('tidings-processing-');
let files = 0;
afterAll(() => tmp.remove());

describe('sqlite processing state', () => {
  it('two store instances on one file (two processes): one lease holder, and the other is fenced after a takeover', async () => {
    const clock = createFakeClock({ now: Date.UTC(2026, 0, 1) });
    const file = tmp.path(`two-${++files}.db`);
    await using a = await sqliteEventStore(file, { clock });
    await using b = await sqliteEventStore(file, { clock });
    const leaseA = (await a.processing.acquireLease({ processor: 'p', owner: 'proc-a', ttlMs: 1000 }))!;
    expect(await b.processing.acquireLease({ processor: 'p', owner: 'proc-b', ttlMs: 60_000 })).toBeUndefined();
    const leaseB = await fakeClockExpiry(clock).takeOver(b, { processor: 'p', owner: 'proc-b', ttlMs: 60_000 });
    expect(leaseB.epoch).toBe(leaseA.epoch + 1n);
    await expect(
      a.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 5n, epoch: leaseA.epoch })),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await b.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'p', position: 5n, epoch: leaseB.epoch }));
    expect(await a.processing.getCheckpoint('p')).toMatchObject({ position: 5n, epoch: leaseB.epoch });
    expect((await a.processing.getCheckpoint('p'))!.storeId).toBe((await b.info()).storeId);
  });

  describe('negative controls: the checks fail against a broken writer', () => {
    it('fencing: a writer that drops the epoch lets the zombie write through', async () => {
      const clock = createFakeClock({ now: 0 });
      await using store = await sqliteEventStore(tmp.path(`nf-${++files}.db`), { clock });
      const violations = await fencedWriteViolations(
        brokenProcessing(store, 'no-fence'),
        sqliteReadModel,
        fakeClockExpiry(clock),
      );
      expect(violations).toContain('read model holds 2 after the refused write, expected 1');
    });

    it('atomicity: a checkpoint written outside the transaction survives its rollback', async () => {
      await using store = await sqliteEventStore(tmp.path(`co-${++files}.db`));
      const violations = await atomicCheckpointViolations(
        brokenProcessing(store, 'checkpoint-outside'),
        sqliteReadModel,
      );
      expect(violations).toContain('rolled back: the checkpoint stayed');
    });
  });
});
