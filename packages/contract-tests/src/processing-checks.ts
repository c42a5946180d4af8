import {
  LeaseLostError,
  type CheckpointWrite,
  type EventStore,
  type Lease,
  type LeaseRequest,
  type StoreTransaction,
  type TransactionProcessing,
} from 'tidings';
import type { FakeClock } from 'tidings/testing';
import type { ReadModelHarness } from './harness.js';

// Scenarios behind the processing cases that a store's own tests also run against a deliberately
// broken store (negative controls). Each returns the violations it found instead of asserting.

/** How a test makes a lease expire: by moving the store's fake clock, or by waiting for the database's. */
export interface LeaseExpiry {
  /** TTL to use for a lease the test will let expire. */
  readonly ttlMs: number;
  /** Takes the lease over for `request.owner` once the current one expired; throws after a bound. */
  takeOver(store: EventStore, request: LeaseRequest): Promise<Lease>;
}

/** Moves `clock` past the TTL, then takes the lease. */
export function fakeClockExpiry(clock: FakeClock, ttlMs = 1000): LeaseExpiry {
  return {
    ttlMs,
    async takeOver(store, request) {
      await clock.advance(ttlMs + 1);
      const lease = await store.processing.acquireLease(request);
      if (lease === undefined)
        throw new Error(`The lease of '${request.processor}' was not free after the fake clock passed its TTL.`);
      return lease;
    },
  };
}

/** Polls (every 25 ms, at most `boundMs`) until the lease can be taken: the database's clock moves on its own. */
export function serverClockExpiry(ttlMs = 300, boundMs = 15_000): LeaseExpiry {
  return {
    ttlMs,
    async takeOver(store, request) {
      const giveUpAt = Date.now() + boundMs;
      for (;;) {
        const lease = await store.processing.acquireLease(request);
        if (lease !== undefined) return lease;
        if (Date.now() > giveUpAt)
          throw new Error(`The lease of '${request.processor}' did not expire within ${boundMs} ms.`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

/**
 * A holder whose lease was taken over writes a read-model row and a checkpoint fenced by its old
 * epoch, in one transaction: the write must fail with LeaseLostError and leave neither behind.
 */
export async function fencedWriteViolations(
  store: EventStore,
  readModel: ReadModelHarness,
  expiry: LeaseExpiry,
): Promise<string[]> {
  const out: string[] = [];
  const processor = `fenced-${Math.random().toString(36).slice(2, 8)}`;
  const zombie = await store.processing.acquireLease({ processor, owner: 'a', ttlMs: expiry.ttlMs });
  if (zombie === undefined) return ['the first acquireLease returned undefined'];
  await store.transaction(async (tx) => {
    await readModel.write(store, tx, processor, 1);
    await tx.processing.saveCheckpoint({ processor, position: 1n, epoch: zombie.epoch });
  });
  const successor = await expiry.takeOver(store, { processor, owner: 'b', ttlMs: 60_000 });
  if (successor.epoch !== zombie.epoch + 1n)
    out.push(`takeover epoch ${successor.epoch}, expected ${zombie.epoch + 1n}`);
  let error: unknown;
  try {
    await store.transaction(async (tx) => {
      await readModel.write(store, tx, processor, 2);
      await tx.processing.saveCheckpoint({ processor, position: 2n, epoch: zombie.epoch });
    });
  } catch (e) {
    error = e;
  }
  if (!(error instanceof LeaseLostError)) out.push(`the stale write ended with ${String(error)}, not LeaseLostError`);
  else if (error.currentEpoch !== successor.epoch) out.push(`LeaseLostError.currentEpoch ${error.currentEpoch}`);
  const value = await readModel.read(store, processor);
  if (value !== 1) out.push(`read model holds ${value} after the refused write, expected 1`);
  const checkpoint = await store.processing.getCheckpoint(processor);
  if (checkpoint?.position !== 1n)
    out.push(`checkpoint at ${checkpoint?.position} after the refused write, expected 1n`);
  return out;
}

/**
 * A read-model write and a checkpoint in one transaction: a failing transaction leaves neither, a
 * committed one leaves both; outside readers see neither before the commit.
 */
export async function atomicCheckpointViolations(store: EventStore, readModel: ReadModelHarness): Promise<string[]> {
  const out: string[] = [];
  const processor = `atomic-${Math.random().toString(36).slice(2, 8)}`;
  const boom = new Error('handler failed after the checkpoint');
  try {
    await store.transaction(async (tx) => {
      await readModel.write(store, tx, processor, 1);
      await tx.processing.saveCheckpoint({ processor, position: 1n });
      throw boom;
    });
    out.push('the failing transaction committed');
  } catch (error) {
    if (error !== boom) out.push(`the failing transaction threw ${String(error)}`);
  }
  if ((await readModel.read(store, processor)) !== undefined) out.push('rolled back: the read-model write stayed');
  if ((await store.processing.getCheckpoint(processor)) !== undefined) out.push('rolled back: the checkpoint stayed');
  let seenInside: bigint | undefined;
  await store.transaction(async (tx) => {
    await readModel.write(store, tx, processor, 2);
    await tx.processing.saveCheckpoint({ processor, position: 2n });
    seenInside = (await store.processing.getCheckpoint(processor))?.position;
  });
  if (seenInside !== undefined)
    out.push(`an outside reader saw the checkpoint (${String(seenInside)}) before the commit`);
  if ((await readModel.read(store, processor)) !== 2) out.push('committed: the read-model write is missing');
  if ((await store.processing.getCheckpoint(processor))?.position !== 2n)
    out.push('committed: the checkpoint is missing');
  return out;
}

/**
 * A read model kept as events in the store itself (stream `rm-<key>`, the last event's `value`):
 * for a store whose transaction has no connection of its own, such as the in-memory one.
 */
export const appendReadModel: ReadModelHarness = {
  async write(_store, tx, key, value) {
    await tx.append(`rm-${key}`, [{ type: 'read-model.set', data: { value } }]);
  },
  async read(store, key) {
    let value: number | undefined;
    for await (const e of store.readStream(`rm-${key}`, { direction: 'backward', limit: 1 }))
      value = (e.data as { value: number }).value;
    return value;
  },
};

/** A deliberately broken writer, for negative controls of the checks above. */
export type ProcessingDefect =
  /** Checkpoints are written without their epoch: nothing is fenced. */
  | 'no-fence'
  /** Checkpoints are written in a transaction of their own after the work's, whatever its outcome. */
  | 'checkpoint-outside';

/** Wraps `store` so its transactions carry `defect`; everything else is the store's own. */
export function brokenProcessing(store: EventStore, defect: ProcessingDefect): EventStore {
  const transaction = async <R>(work: (tx: StoreTransaction) => Promise<R>): Promise<R> => {
    const later: CheckpointWrite[] = [];
    try {
      return await store.transaction((tx) => {
        const processing: TransactionProcessing = {
          ...bindAll(tx.processing),
          saveCheckpoint: (write) => {
            if (defect === 'no-fence') return tx.processing.saveCheckpoint({ ...write, epoch: undefined });
            later.push(write);
            return Promise.resolve();
          },
        };
        return work({ ...bindAll(tx), connection: tx.connection, processing });
      });
    } finally {
      for (const write of later) await store.transaction((tx) => tx.processing.saveCheckpoint(write));
    }
  };
  return new Proxy(store, {
    get: (target, key, receiver) =>
      key === 'transaction' ? transaction : (Reflect.get(target, key, receiver) as unknown),
  });
}

function bindAll<T extends object>(target: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(target)) {
    const value = (target as Record<string, unknown>)[key];
    out[key] = typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  }
  return out as T;
}
