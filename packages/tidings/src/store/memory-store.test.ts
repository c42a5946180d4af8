import {
  appendReadModel,
  atomicCheckpointViolations,
  brokenProcessing,
  conflictingAppends,
  eventStoreContract,
  fakeClockExpiry,
  fencedWriteViolations,
  positionViolations,
  readsDuringAppends,
  sameTickAppends,
  subscriptionHandOver,
} from '@tidings/contract-tests';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../time/fake-clock.js';
import { createInMemoryEventStore } from './memory-store.js';
import { subscribeToStore } from './subscription.js';
import type { AppendOptions, EventStore, EventToAppend, RecordedEvent } from './types.js';

eventStoreContract(
  'memory',
  {
    create: async (options) => createInMemoryEventStore(options),
    readModel: appendReadModel,
    leaseClock: 'clock-option',
  },
  {
    absentCapabilities: { openPeer: 'no second instance can share the in-memory store: nothing else can write to it' },
  },
);

// Negative controls of the processing checks: each must find violations against a broken writer.
describe('processing checks against a broken writer (memory)', () => {
  it('fencing: a checkpoint written without its epoch lets the zombie write through', async () => {
    const clock = createFakeClock({ now: 0 });
    const store = createInMemoryEventStore({ clock });
    expect(await fencedWriteViolations(store, appendReadModel, fakeClockExpiry(clock))).toEqual([]);
    const violations = await fencedWriteViolations(
      brokenProcessing(store, 'no-fence'),
      appendReadModel,
      fakeClockExpiry(clock),
    );
    expect(violations).toContain('read model holds 2 after the refused write, expected 1');
  });

  it('atomicity: a checkpoint written outside the transaction survives its rollback', async () => {
    const store = createInMemoryEventStore();
    expect(await atomicCheckpointViolations(store, appendReadModel)).toEqual([]);
    const violations = await atomicCheckpointViolations(brokenProcessing(store, 'checkpoint-outside'), appendReadModel);
    expect(violations).toContain('rolled back: the checkpoint stayed');
  });
});

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** Wraps a store, replacing its append: the deliberately broken writers of the negative controls. */
function withAppend(
  store: EventStore,
  append: (
    streamId: string,
    events: readonly EventToAppend[],
    options?: AppendOptions,
  ) => Promise<{ nextVersion: bigint; position: bigint }>,
): EventStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'append') return append;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('negative controls: the contract checks fail against broken stores', () => {
  it('readsDuringAppends reports a store that makes a batch visible one event at a time', async () => {
    const inner = createInMemoryEventStore();
    const nonAtomic = withAppend(inner, async (streamId, events) => {
      let result = { nextVersion: 0n, position: 0n };
      for (const e of events) {
        result = await inner.append(streamId, [e]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return result;
    });
    const violations = await readsDuringAppends(nonAtomic);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.join('\n')).toMatch(/partly visible|expected batch/);
  });

  it('conflictingAppends reports a store that ignores the expected version', async () => {
    const inner = createInMemoryEventStore();
    const unchecked = withAppend(inner, (streamId, events) =>
      inner.append(streamId, events, { expectedVersion: 'any' }),
    );
    const violations = await conflictingAppends(unchecked);
    expect(violations.join('\n')).toMatch(/8 of 8 conflicting appends succeeded/);
  });

  it('sameTickAppends reports a store that checks versions against a stale snapshot of the batch', async () => {
    const inner = createInMemoryEventStore();
    // A group commit that checks every member against the version read before the batch.
    const stale = withAppend(inner, async (streamId, events, options) => {
      const { version } = await inner.streamInfo(streamId);
      const expected = options?.expectedVersion;
      if (typeof expected === 'bigint' && expected !== version) throw new Error('conflict');
      return inner.append(streamId, events, { expectedVersion: 'any' });
    });
    const violations = await sameTickAppends(stale);
    expect(violations.join('\n')).toMatch(/2 of the two same-version appends to tick-a succeeded/);
  });

  it('subscriptionHandOver reports a store whose head runs ahead of what its reads show', async () => {
    // Like a sequence that hands out a position before its commit is visible: the head says one
    // more event is committed than readAll can see yet, so a subscriber jumps over it.
    const inner = createInMemoryEventStore();
    const ahead: EventStore = new Proxy(inner, {
      get(target, key) {
        if (key === 'headPosition') return async () => (await target.headPosition()) + 1n;
        if (key === 'subscribe') return (o: never, h: never) => subscribeToStore(ahead, o, h);
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const violations = await subscriptionHandOver(ahead, 1000);
    expect(violations.join('\n')).toMatch(/never delivered/);
    await inner.close();
  });

  it('positionViolations reports a reused or decreasing position', () => {
    const at = (position: bigint): RecordedEvent => ({ position }) as RecordedEvent;
    expect(positionViolations([at(1n), at(2n), at(3n)])).toEqual([]);
    expect(positionViolations([at(1n), at(2n), at(2n)])).toHaveLength(1);
    expect(positionViolations([at(3n), at(1n)])).toHaveLength(1);
  });
});

describe('in-memory store specifics', () => {
  it('notifies head moves in increasing order, ending with the last commit', async () => {
    const store = createInMemoryEventStore();
    const heads: bigint[] = [];
    using _sub = store.onHeadMoved((head) => heads.push(head));
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.append(`a-${i}`, [{ type: 'x.happened', data: i }])),
    );
    await new Promise((resolve) => setImmediate(resolve));
    // Notifications may be coalesced, never more than the commits and never out of order.
    expect(heads.length).toBeGreaterThan(0);
    expect(heads.length).toBeLessThanOrEqual(5);
    expect(heads.every((h, i) => i === 0 || h > heads[i - 1]!)).toBe(true);
    expect(heads[heads.length - 1]).toBe(results[4]!.position);
  });

  it('reports errors of head listeners and afterCommit callbacks to onError without failing the append', async () => {
    const errors: unknown[] = [];
    const store = createInMemoryEventStore({ onError: (e) => errors.push(e) });
    using _sub = store.onHeadMoved(() => {
      throw new Error('listener failed');
    });
    await store.transaction(async (tx) => {
      tx.afterCommit(() => {
        throw new Error('callback failed');
      });
      await tx.append('a-1', [{ type: 'x.happened', data: 1 }]);
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['callback failed', 'listener failed']);
    expect((await store.streamInfo('a-1')).version).toBe(1n);
  });

  it('uses the injected id generator and clock', async () => {
    const clock = createFakeClock({ now: Date.UTC(2030, 0, 1) });
    let n = 0;
    const store = createInMemoryEventStore({
      clock,
      nextId: () => `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
    });
    await store.append('a-1', [{ type: 'x.happened', data: 1 }]);
    const [event] = await collect(store.readStream('a-1'));
    expect(event?.id).toBe('00000000-0000-7000-8000-000000000001');
    expect(event?.recordedAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('a plain append waits for a running transaction instead of interleaving with it', async () => {
    const store = createInMemoryEventStore();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = store.transaction(async (t) => {
      await t.append('a-1', [{ type: 'x.inside', data: 1 }]);
      await gate;
      await t.append('a-1', [{ type: 'x.inside', data: 2 }]);
      order.push('tx done');
    });
    const plain = store.append('a-1', [{ type: 'x.outside', data: 3 }]).then((r) => {
      order.push('plain done');
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    release();
    await Promise.all([tx, plain]);
    expect(order).toEqual(['tx done', 'plain done']);
    expect((await collect(store.readStream('a-1'))).map((e) => e.type)).toEqual(['x.inside', 'x.inside', 'x.outside']);
  });
});
