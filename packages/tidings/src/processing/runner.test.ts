import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../errors.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import { runToHead } from '../testing/run-to-head.js';
import { appendAll, gate, interleaved, numberOf, waitUntil } from './__fixtures__/harness.js';
import { defineProcessor } from './define-processor.js';
import type { EffectMode } from './processor-types.js';
import { createProcessorRunner } from './runner.js';

/** Groups handled events by stream: each list must be ascending. */
function byStream(events: readonly RecordedEvent[]): Map<string, bigint[]> {
  const map = new Map<string, bigint[]>();
  for (const e of events) map.set(e.streamId, [...(map.get(e.streamId) ?? []), e.version]);
  return map;
}

function expectOrderedPerStream(events: readonly RecordedEvent[]): void {
  for (const [stream, versions] of byStream(events)) {
    expect(versions, stream).toEqual([...versions].sort((a, b) => (a < b ? -1 : 1)));
  }
}

describe('processor runner', () => {
  for (const effects of ['transactional', 'inbox', 'external'] as const satisfies readonly EffectMode[]) {
    it(`${effects}: handles every event once, in order per stream, and checkpoints the head`, async () => {
      const store = createInMemoryEventStore();
      await appendAll(store, interleaved('item', 7, 30));
      const handled: RecordedEvent[] = [];
      const p = defineProcessor({
        name: 'p',
        effects,
        concurrency: 4,
        batch: { maxEvents: 16 },
        handle: async (event) => {
          await Promise.resolve();
          handled.push(event);
        },
      });
      const runner = createProcessorRunner(store, { processors: [p] });
      await runner.start();
      await runner.catchUp();
      await appendAll(store, interleaved('item', 7, 3));
      await runner.catchUp();
      await runner.stop();
      expect(handled.map(numberOf).sort((a, b) => a - b)).toEqual(
        [...Array.from({ length: 210 }, (_, i) => i), ...Array.from({ length: 21 }, (_, i) => i)].sort((a, b) => a - b),
      );
      expect(handled).toHaveLength(231);
      expectOrderedPerStream(handled);
      expect((await store.processing.getCheckpoint('p'))?.position).toBe(231n);
      expect(runner.status('p')).toMatchObject({ state: 'stopped', handled: 231, checkpoint: 231n, parked: 0 });
    });
  }

  it('runs different streams concurrently, never more than the limit, one at a time per stream', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, interleaved('s', 6, 4));
    let active = 0;
    let peak = 0;
    const activeStreams = new Set<string>();
    let overlapInStream = false;
    const handled: RecordedEvent[] = [];
    const p = defineProcessor({
      name: 'p',
      concurrency: 3,
      batch: { maxEvents: 1 },
      handle: async (event) => {
        if (activeStreams.has(event.streamId)) overlapInStream = true;
        activeStreams.add(event.streamId);
        active++;
        peak = Math.max(peak, active);
        // Hold until two handlers run at once (or give up after a bound: then peak stays 1 and the test fails).
        const until = Date.now() + 100;
        while (active < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
        await new Promise((r) => setImmediate(r));
        active--;
        activeStreams.delete(event.streamId);
        handled.push(event);
      },
    });
    expect((await runToHead(store, p))[0]).toMatchObject({ handled: 24 });
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(3);
    expect(overlapInStream).toBe(false);
    expectOrderedPerStream(handled);
  });

  it('checkpoints the watermark: a slow early event holds the checkpoint below it while later ones complete', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [
      ['slow-1', 1],
      ['fast-1', 2],
      ['fast-2', 3],
      ['fast-3', 4],
    ]);
    const slow = gate();
    const p = defineProcessor({
      name: 'p',
      concurrency: 4,
      batch: { maxEvents: 1 },
      handle: async (event) => {
        if (event.streamId === 'slow-1') await slow.wait();
      },
    });
    const runner = createProcessorRunner(store, { processors: [p] });
    await runner.start();
    await waitUntil(() => runner.status('p').handled === 3, 'the three fast events');
    // Let the checkpoint writer run: it must not pass the slow event.
    await waitUntil(() => runner.status('p').pending === 1, 'one event open');
    expect(runner.status('p').watermark).toBe(0n);
    expect((await store.processing.getCheckpoint('p'))?.position ?? 0n).toBe(0n);
    slow.open();
    await runner.catchUp();
    expect((await store.processing.getCheckpoint('p'))?.position).toBe(4n);
    await runner.stop();
  });

  it('batches a catch-up into few transactions (N events per unit), each with its checkpoint', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, interleaved('s', 5, 100));
    let transactions = 0;
    const counting: EventStore = Object.create(store, {
      transaction: {
        value: <R>(work: Parameters<EventStore['transaction']>[0]) => {
          transactions++;
          return store.transaction(work) as Promise<R>;
        },
      },
    }) as EventStore;
    const sizes: number[] = [];
    const p = defineProcessor({
      name: 'p',
      effects: 'transactional',
      batch: { maxEvents: 100 },
      handleBatch: (events) => {
        sizes.push(events.length);
      },
    });
    await runToHead(counting, p);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(500);
    expect(Math.max(...sizes)).toBe(100);
    // One event per transaction would be 500; a few short units at the start are fine.
    expect(transactions).toBeLessThan(20);
    expect((await store.processing.getCheckpoint('p'))?.position).toBe(500n);
  });

  it('a transactional handler that fails rolls back its writes; the retry writes them once', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [['order-1', 1]], 'order.placed');
    let attempts = 0;
    const p = defineProcessor({
      name: 'p',
      events: ['order.placed'],
      effects: 'transactional',
      retry: { baseDelayMs: 1 },
      handle: async (event, { tx }) => {
        attempts++;
        await tx.append('effect-1', [{ type: 'effect.written', data: { of: event.id } }]);
        if (attempts === 1) throw new Error('first attempt fails after writing');
      },
    });
    await runToHead(store, p);
    expect(attempts).toBe(2);
    const effects = [];
    for await (const e of store.readStream('effect-1')) effects.push(e);
    expect(effects).toHaveLength(1);
  });

  it('stop() under load loses nothing: in-flight handlers finish, the checkpoint is written, start() continues', async () => {
    const store = createInMemoryEventStore();
    const effects = new Map<number, number>();
    let active = 0;
    const p = defineProcessor({
      name: 'p',
      filter: { categories: ['load'] },
      effects: 'transactional',
      concurrency: 4,
      batch: { maxEvents: 8 },
      handle: async (event, { tx }) => {
        active++;
        await new Promise((r) => setImmediate(r));
        // The effect commits with the checkpoint: a redelivery of a committed event would count 2.
        await tx.append('fx-1', [{ type: 'fx', data: { n: numberOf(event) } }]);
        active--;
      },
    });
    const first = createProcessorRunner(store, { processors: [p] });
    await first.start();
    let appending = true;
    const writer = (async () => {
      for (let i = 0; i < 400 && appending; i++) await store.append(`load-${i % 9}`, [{ type: 'x', data: { n: i } }]);
    })();
    await waitUntil(() => first.status('p').handled >= 50, 'some events handled');
    await first.stop();
    expect(active).toBe(0);
    const checkpoint = (await store.processing.getCheckpoint('p'))?.position ?? 0n;
    expect(checkpoint).toBe(first.status('p').watermark);
    expect(checkpoint).toBeGreaterThan(0n);
    await writer;
    appending = false;
    const second = createProcessorRunner(store, { processors: [p] });
    await second.start();
    await second.catchUp();
    await second.stop();
    for await (const e of store.readStream('fx-1')) {
      const n = numberOf(e);
      effects.set(n, (effects.get(n) ?? 0) + 1);
    }
    const appended = Number(await store.headPosition()) - effects.size; // head counts fx events too
    expect(appended).toBeGreaterThan(0);
    expect([...effects.values()].every((c) => c === 1)).toBe(true);
    let loadEvents = 0;
    for await (const _ of store.readAll({ filter: { categories: ['load'] } })) loadEvents++;
    expect(effects.size).toBe(loadEvents);
    expect(first.status('p').handled + second.status('p').handled).toBe(loadEvents);
  });

  it("startFrom 'end' skips what was stored before the first start, also after a restart before any event", async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [['a-1', 1]]);
    const seen: number[] = [];
    const p = defineProcessor({ name: 'p', startFrom: 'end', handle: (e) => void seen.push(numberOf(e)) });
    await runToHead(store, p);
    await appendAll(store, [['a-1', 2]]);
    await runToHead(store, p);
    expect(seen).toEqual([2]);
  });

  it('handleBatch receives units in position order; live events within maxWaitMs share one unit', async () => {
    const store = createInMemoryEventStore();
    const units: number[][] = [];
    const p = defineProcessor({
      name: 'p',
      effects: 'inbox',
      batch: { maxEvents: 50, maxWaitMs: 50 },
      handleBatch: (events) => void units.push(events.map(numberOf)),
    });
    const runner = createProcessorRunner(store, { processors: [p] });
    await runner.start();
    await appendAll(
      store,
      [1, 2, 3, 4, 5].map((n) => [`s-${n}`, n] as const),
    );
    await runner.catchUp();
    await runner.stop();
    expect(units.flat()).toEqual([1, 2, 3, 4, 5]);
    // The five appends took far less than 50 ms: a batch waits for them (not one unit per event).
    expect(units.length).toBeLessThan(5);
  });

  it('catchUp and stop are bounded: TimeoutError naming the setting, and stop still stops', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [['a-1', 1]]);
    const never = gate();
    const p = defineProcessor({ name: 'stuck', handle: () => never.wait() });
    const runner = createProcessorRunner(store, { processors: [p] });
    await runner.start();
    await expect(runner.catchUp({ timeoutMs: 30 })).rejects.toThrow(TimeoutError);
    await expect(runner.catchUp({ timeoutMs: 30 })).rejects.toThrow(/'stuck' running at watermark 0n/);
    const stopping = runner.stop({ timeoutMs: 30 });
    await expect(stopping).rejects.toThrow(/stopTimeoutMs/);
    await waitUntil(() => runner.status('stuck').state === 'stopped', 'the processor to stop after the timeout');
    expect(await store.processing.getLease('stuck')).toBeUndefined();
    never.open();
  });

  it('runToHead runs processors to the head and stops them', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, interleaved('x', 3, 3));
    const seen: number[] = [];
    const p = defineProcessor({ name: 'p', handle: (e) => void seen.push(numberOf(e)) });
    const [status] = await runToHead(store, [p]);
    expect(status).toMatchObject({ processor: 'p', state: 'stopped', handled: 9, checkpoint: 9n });
    expect(seen).toHaveLength(9);
  });
});
