import { ConcurrencyError, isUuid } from 'tidings';
import { describe, expect } from 'vitest';
import { positionViolations } from '../checks.js';
import { collect, contents, ev, evs, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function appendCases({ open, test }: ContractContext): void {
  describe('append', () => {
    test('appends events with versions from 1 and strictly increasing positions', async () => {
      const store = await open();
      expect(await store.headPosition()).toBe(0n);
      const r1 = await store.append('order-1', [ev('order.placed', { n: 1 }), ev('order.paid', { n: 2 })], {
        expectedVersion: 'no-stream',
      });
      const r2 = await store.append('order-2', [ev('order.placed', { n: 3 })]);
      const r3 = await store.append('order-1', [ev('order.shipped', { n: 4 })], { expectedVersion: 2n });
      expect([r1.nextVersion, r2.nextVersion, r3.nextVersion]).toEqual([2n, 1n, 3n]);
      const all = await collect(store.readAll());
      expect(all.map((e) => [e.streamId, e.version, e.type, e.data])).toEqual([
        ['order-1', 1n, 'order.placed', { n: 1 }],
        ['order-1', 2n, 'order.paid', { n: 2 }],
        ['order-2', 1n, 'order.placed', { n: 3 }],
        ['order-1', 3n, 'order.shipped', { n: 4 }],
      ]);
      expect(all[0]!.position).toBeGreaterThan(0n);
      expect(positionViolations(all)).toEqual([]);
      // The result names the position of the append's last event.
      expect([r1.position, r2.position, r3.position]).toEqual([all[1]!.position, all[2]!.position, all[3]!.position]);
      expect(await store.headPosition()).toBe(r3.position);
      expect((await store.streamInfo('order-1')).version).toBe(3n);
    });

    test('stores id, type, data and metadata as given and sets recordedAt and occurredAt', async () => {
      const store = await open();
      const before = Date.now();
      const metadata = {
        correlationId: 'corr-1',
        causationId: 'cause-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        source: 'contract-test',
        schemaVersion: 2,
        tenant: { id: 't-1', tags: ['a', 'b'] },
      };
      const sent = ev(
        'order.placed',
        { total: 30.5, items: [{ sku: 'A', qty: 2 }], note: null, paid: false },
        { metadata },
      );
      await store.append('order-7', [sent]);
      const [read] = await collect(store.readStream('order-7'));
      expect(read).toBeDefined();
      expect(read!.id).toBe(sent.id);
      expect(read!.streamId).toBe('order-7');
      expect(read!.type).toBe('order.placed');
      expect(read!.data).toEqual(sent.data);
      expect(read!.metadata).toEqual(metadata);
      expect(read!.recordedAt).toBeInstanceOf(Date);
      // Generous bounds: the store's default clock is the system clock of this machine.
      expect(read!.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
      expect(read!.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      expect(read!.occurredAt.getTime()).toBe(read!.recordedAt.getTime());
    });

    test('generates a UUID for an event appended without an id', async () => {
      const store = await open();
      await store.append('order-1', [
        { type: 'order.placed', data: {} },
        { type: 'order.paid', data: {} },
      ]);
      const read = await collect(store.readStream('order-1'));
      expect(read.every((e) => isUuid(e.id))).toBe(true);
      expect(read[0]!.id).not.toBe(read[1]!.id);
    });

    test('appends all events of one call with consecutive versions, none interleaved', async () => {
      const store = await open();
      await Promise.all([
        store.append('a-1', evs(20, 'a.happened')),
        store.append('b-1', evs(20, 'b.happened')),
        store.append('a-1', evs(20, 'a.happened', 100)),
      ]);
      const a = await collect(store.readStream('a-1'));
      expect(a.map((e) => e.version)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
      const runs = [a.slice(0, 20), a.slice(20)].map((run) => run.map((e) => (e.data as { n: number }).n));
      // Each append's events stay together and in order, whichever append went first.
      expect(runs.map((r) => r[0]).sort()).toEqual([0, 100]);
      for (const run of runs) expect(run).toEqual(Array.from({ length: 20 }, (_, i) => run[0]! + i));
    });

    test('an empty append checks the expected version, writes nothing and returns the current version', async () => {
      const store = await open();
      expect(await store.append('order-1', [], { expectedVersion: 'no-stream' })).toEqual({
        nextVersion: 0n,
        position: 0n,
      });
      expect(await store.append('order-1', [], { expectedVersion: 0n })).toEqual({ nextVersion: 0n, position: 0n });
      await rejects(() => store.append('order-1', [], { expectedVersion: 'exists' }), ConcurrencyError);
      expect(await store.headPosition()).toBe(0n);
      const r = await store.append('order-1', evs(2));
      await store.append('order-2', evs(1));
      const before = await contents(store, ['order-1']);
      expect(await store.append('order-1', [])).toEqual({ nextVersion: 2n, position: r.position });
      expect(await store.append('order-1', [], { expectedVersion: 2n })).toEqual({
        nextVersion: 2n,
        position: r.position,
      });
      const conflict = await rejects(() => store.append('order-1', [], { expectedVersion: 5n }), ConcurrencyError);
      expect([conflict.expected, conflict.actual]).toEqual([5n, 2n]);
      await rejects(() => store.append('order-1', [], { expectedVersion: 'no-stream' }), ConcurrencyError);
      expect(await contents(store, ['order-1'])).toEqual(before);
    });
  });

  describe('expected version', () => {
    test("'no-stream' appends only to a stream without events", async () => {
      const store = await open();
      await store.append('s-1', evs(1), { expectedVersion: 'no-stream' });
      const e = await rejects(
        () => store.append('s-1', evs(1), { expectedVersion: 'no-stream' }),
        ConcurrencyError,
        'CONCURRENCY_CONFLICT',
      );
      expect([e.streamId, e.expected, e.actual]).toEqual(['s-1', 'no-stream', 1n]);
      expect((await store.streamInfo('s-1')).version).toBe(1n);
    });

    test("'exists' appends only to a stream with events", async () => {
      const store = await open();
      const e = await rejects(() => store.append('s-1', evs(1), { expectedVersion: 'exists' }), ConcurrencyError);
      expect([e.expected, e.actual]).toEqual(['exists', 0n]);
      expect(await store.headPosition()).toBe(0n);
      await store.append('s-1', evs(1));
      expect((await store.append('s-1', evs(1), { expectedVersion: 'exists' })).nextVersion).toBe(2n);
    });

    test('a bigint expected version must equal the current version; a conflict carries both and changes nothing', async () => {
      const store = await open();
      expect((await store.append('s-1', evs(2), { expectedVersion: 0n })).nextVersion).toBe(2n);
      const before = await contents(store, ['s-1']);
      for (const wrong of [0n, 1n, 3n]) {
        const e = await rejects(() => store.append('s-1', evs(1), { expectedVersion: wrong }), ConcurrencyError);
        expect([e.streamId, e.expected, e.actual]).toEqual(['s-1', wrong, 2n]);
        expect(e.message).toContain('s-1');
      }
      expect(await contents(store, ['s-1'])).toEqual(before);
      expect((await store.append('s-1', evs(1), { expectedVersion: 2n })).nextVersion).toBe(3n);
    });

    test("'any' and no expected version append whatever the version", async () => {
      const store = await open();
      await store.append('s-1', evs(1), { expectedVersion: 'any' });
      await store.append('s-1', evs(1));
      expect((await store.append('s-1', evs(1), { expectedVersion: 'any' })).nextVersion).toBe(3n);
    });
  });
}
