import { describe, expect, it } from 'vitest';
import { defineEvent, payload } from '../messages/define.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import { createProcessorRunner } from '../processing/runner.js';
import { runToHead } from '../testing/run-to-head.js';
import { defineProjection } from './define-projection.js';
import { memoryCollection } from './memory-collection.js';
import { ProjectionBusyError, rebuildProjection, type RebuildProgress } from './rebuild-projection.js';

const OrderPaid = defineEvent('order.paid', payload<{ orderId: string; amount: number }>());
const OrderNoted = defineEvent('order.noted', payload<{ orderId: string }>());

function totalsProjection() {
  const totals = memoryCollection<{ orderId: string; total: number; count: number }>('order-totals');
  const projection = defineProjection({
    name: 'order-totals',
    events: [OrderPaid],
    readModel: totals,
    handle: (events, { target }) => {
      for (const e of events) {
        const row = target.get(e.data.orderId) ?? { orderId: e.data.orderId, total: 0, count: 0 };
        target.set(e.data.orderId, { ...row, total: row.total + e.data.amount, count: row.count + 1 });
      }
    },
  });
  return { totals, projection };
}

describe('defineProjection', () => {
  it('projects asynchronously, exactly once, through its processor', async () => {
    const store = createInMemoryEventStore();
    const { totals, projection } = totalsProjection();
    await store.append('order-1', [OrderPaid({ orderId: '1', amount: 10 }), OrderNoted({ orderId: '1' })]);
    await store.append('order-2', [OrderPaid({ orderId: '2', amount: 5 })]);
    await runToHead(store, projection.processor);
    await store.append('order-1', [OrderPaid({ orderId: '1', amount: 1 })]);
    await runToHead(store, projection.processor);
    expect(totals.values()).toEqual([
      { orderId: '1', total: 11, count: 2 },
      { orderId: '2', total: 5, count: 1 },
    ]);
    expect((await store.processing.getCheckpoint('order-totals'))?.position).toBe(4n);
  });

  it('rolls back staged collection writes with their transaction', async () => {
    const store = createInMemoryEventStore();
    const { totals, projection } = totalsProjection();
    const [event] = await (async () => {
      await store.append('order-1', [OrderPaid({ orderId: '1', amount: 10 })]);
      const all = [];
      for await (const e of store.readAll()) all.push(e);
      return all;
    })();
    await expect(
      store.transaction(async (tx) => {
        await projection.apply([event!], tx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(totals.size).toBe(0);
  });

  it('refuses a spec without a read model, and unknown keys', () => {
    expect(() =>
      defineProjection({ name: 'x', events: ['a.b'], readModel: {} as never, handle: () => undefined }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_PROJECTION' }));
    expect(() =>
      defineProjection({
        name: 'x',
        events: ['a.b'],
        readModel: memoryCollection('x'),
        handle: () => undefined,
        extra: 1,
      } as never),
    ).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPTION' }));
  });
});

describe('rebuildProjection', () => {
  it('rebuilds into a shadow, swaps it in at once, reports progress, and the runner continues after it', async () => {
    const store = createInMemoryEventStore();
    const { totals, projection } = totalsProjection();
    for (let i = 0; i < 25; i++)
      await store.append(`order-${i % 3}`, [OrderPaid({ orderId: String(i % 3), amount: 1 })]);
    await runToHead(store, projection.processor);
    const before = totals.values();
    // Corrupt the live model the way a bug would; the rebuild must not show until the swap.
    await store.transaction(async (tx) => {
      (await projection.readModel.target(tx)).set('0', { orderId: '0', total: -1, count: -1 });
    });
    const seen: RebuildProgress[] = [];
    const result = await rebuildProjection(store, projection, {
      batchSize: 10,
      onProgress: (p) => {
        seen.push(p);
        if (p.phase === 'copying') expect(totals.get('0')?.total).toBe(-1);
      },
    });
    expect(result).toMatchObject({ projection: 'order-totals', events: 25, position: 25n });
    expect(totals.values()).toEqual(before);
    expect(seen.map((p) => [p.phase, p.done, p.total])).toEqual([
      ['copying', 10n, 25n],
      ['copying', 20n, 25n],
      ['swapped', 25n, 25n],
    ]);
    expect(seen[0]!.etaMs).toBeGreaterThanOrEqual(0);
    await store.append('order-9', [OrderPaid({ orderId: '9', amount: 3 })]);
    const [status] = await runToHead(store, projection.processor);
    expect(status!.handled).toBe(1); // continued from the swapped checkpoint, not from 0
    expect(totals.get('9')).toEqual({ orderId: '9', total: 3, count: 1 });
  });

  it('refuses while a runner projects live, and changes nothing', async () => {
    const store = createInMemoryEventStore();
    const { totals, projection } = totalsProjection();
    await store.append('order-1', [OrderPaid({ orderId: '1', amount: 2 })]);
    const runner = createProcessorRunner(store, { processors: [projection.processor] });
    await runner.start();
    try {
      await runner.catchUp();
      await expect(rebuildProjection(store, projection)).rejects.toBeInstanceOf(ProjectionBusyError);
      expect(totals.values()).toEqual([{ orderId: '1', total: 2, count: 1 }]);
    } finally {
      await runner.stop();
    }
  });

  it('leaves the live model as it was when the handler fails mid-rebuild (negative control of the swap)', async () => {
    const store = createInMemoryEventStore();
    const { totals, projection } = totalsProjection();
    await store.append('order-1', [OrderPaid({ orderId: '1', amount: 2 })]);
    await store.append('order-2', [OrderPaid({ orderId: '2', amount: 2 })]);
    await runToHead(store, projection.processor);
    let calls = 0;
    const failing = defineProjection({
      name: 'order-totals',
      events: [OrderPaid],
      readModel: totals,
      handle: (events, { target }) => {
        if (++calls === 2) throw new Error('bad event');
        for (const e of events) target.set(e.data.orderId, { orderId: e.data.orderId, total: 0, count: 0 });
      },
    });
    await expect(rebuildProjection(store, failing, { batchSize: 1 })).rejects.toThrow('bad event');
    expect(totals.values()).toEqual([
      { orderId: '1', total: 2, count: 1 },
      { orderId: '2', total: 2, count: 1 },
    ]);
  });
});
