import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { ParkedEvent } from '../store/processing-types.js';
import type { RecordedEvent } from '../store/types.js';
import { appendAll, gate, numberOf, waitUntil } from './__fixtures__/harness.js';
import { defineProcessor } from './define-processor.js';
import type { EffectMode, FailurePolicy, ProcessorErrorInfo } from './processor-types.js';
import { createProcessorRunner } from './runner.js';

/** A processor whose handler fails for the events listed in `poison` (a live set: remove to "fix" it). */
function poisoned(
  effects: EffectMode,
  onFailure: FailurePolicy,
  poison: Set<number>,
  handled: RecordedEvent[],
  attempts: Map<number, number>,
) {
  return defineProcessor({
    name: 'p',
    effects,
    onFailure,
    concurrency: 3,
    batch: { maxEvents: 4 },
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    handle: (event, context) => {
      const n = numberOf(event);
      attempts.set(n, (attempts.get(n) ?? 0) + 1);
      if (poison.has(n)) throw new Error(`poison ${n}`);
      // In the transactional modes a rolled-back unit must not count: record on commit.
      const tx = 'tx' in context ? context.tx : undefined;
      if (tx === undefined) handled.push(event);
      else tx.afterCommit(() => handled.push(event));
    },
  });
}

const order = (events: readonly RecordedEvent[], streamId: string): number[] =>
  events.filter((e) => e.streamId === streamId).map(numberOf);

describe('failures', () => {
  for (const effects of ['transactional', 'inbox', 'external'] as const) {
    it(`${effects}, park-and-continue: retried, parked durably with error and attempts, the stream goes on`, async () => {
      const store = createInMemoryEventStore();
      await appendAll(store, [
        ['a-1', 1],
        ['a-1', 2],
        ['b-1', 3],
        ['a-1', 4],
      ]);
      const handled: RecordedEvent[] = [];
      const attempts = new Map<number, number>();
      const poison = new Set([2]);
      const parkedHook: ParkedEvent[] = [];
      const errors: ProcessorErrorInfo[] = [];
      const runner = createProcessorRunner(store, {
        processors: [poisoned(effects, 'park-and-continue', poison, handled, attempts)],
        onParked: (entry) => parkedHook.push(entry),
        onError: (_error, info) => errors.push(info),
      });
      await runner.start();
      await runner.catchUp();
      expect(order(handled, 'a-1')).toEqual([1, 4]);
      // A failed unit is retried event by event with the full policy; in the transactional modes the
      // unit's own attempt (rolled back) comes first, and is not counted as the event's attempt.
      expect(attempts.get(2)).toBe(effects === 'external' ? 3 : 4);
      const [entry] = await runner.parked.list();
      expect(entry).toMatchObject({
        processor: 'p',
        streamId: 'a-1',
        version: 2n,
        position: 2n,
        attempts: 3,
        blocking: false,
        error: { name: 'Error', message: 'poison 2' },
      });
      expect(entry?.firstFailedAt).toBeInstanceOf(Date);
      expect(entry?.lastFailedAt.getTime()).toBeGreaterThanOrEqual(entry?.firstFailedAt.getTime() ?? 0);
      expect(parkedHook.map((p) => p.id)).toEqual([entry?.id]);
      expect(errors.filter((e) => e.kind === 'handler' && e.event?.position === 2n)).toHaveLength(3);
      expect(runner.status('p')).toMatchObject({ parked: 1, handled: 3, blockedStreams: 0 });
      expect((await store.processing.getCheckpoint('p'))?.position).toBe(4n);

      // Still failing: the entry stays, its attempts add up.
      const again = await runner.parked.retry(entry?.id ?? '');
      expect(again).toMatchObject({ outcome: 'failed', error: { message: 'poison 2' }, replayed: 0 });
      expect((await runner.parked.get(entry?.id ?? '')).attempts).toBe(4);

      poison.clear();
      expect(await runner.parked.retry(entry?.id ?? '')).toMatchObject({ outcome: 'handled', eventId: entry?.eventId });
      expect(order(handled, 'a-1')).toEqual([1, 4, 2]);
      expect(await runner.parked.list()).toEqual([]);
      await runner.stop();
    });
  }

  it('a handler throwing a non-Error is parked with a readable error', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [['a-1', 1]]);
    const p = defineProcessor({
      name: 'p',
      retry: { maxAttempts: 1 },
      handle: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- exactly what is tested
        throw { reason: 'out of stock', sku: 42 };
      },
    });
    const runner = createProcessorRunner(store, { processors: [p] });
    await runner.start();
    await runner.catchUp();
    const [entry] = await runner.parked.list();
    expect(entry?.error).toMatchObject({
      name: 'TidingsError',
      code: 'NON_ERROR_THROWN',
      message: 'A non-Error value was thrown: {"reason":"out of stock","sku":42}',
    });
    await runner.stop();
  });

  for (const effects of ['transactional', 'inbox', 'external'] as const) {
    it(`${effects}, block-stream: the stream waits behind the parked event, others flow; a retry replays it in order`, async () => {
      const store = createInMemoryEventStore();
      await appendAll(store, [
        ['a-1', 1],
        ['b-1', 2],
        ['a-1', 3],
        ['b-1', 4],
        ['a-1', 5],
      ]);
      const handled: RecordedEvent[] = [];
      const attempts = new Map<number, number>();
      const poison = new Set([1]);
      const runner = createProcessorRunner(store, {
        processors: [poisoned(effects, 'block-stream', poison, handled, attempts)],
      });
      await runner.start();
      await runner.catchUp();
      expect(order(handled, 'b-1')).toEqual([2, 4]);
      expect(order(handled, 'a-1')).toEqual([]);
      expect(attempts.get(3)).toBeUndefined();
      const [entry] = await runner.parked.list({ processor: 'p' });
      expect(entry).toMatchObject({ streamId: 'a-1', version: 1n, blocking: true, attempts: 3 });
      expect(runner.status('p').blockedStreams).toBe(1);

      // Live events: the blocked stream keeps waiting, the other flows.
      await appendAll(store, [
        ['a-1', 6],
        ['b-1', 7],
      ]);
      await runner.catchUp();
      expect(order(handled, 'b-1')).toEqual([2, 4, 7]);
      expect(order(handled, 'a-1')).toEqual([]);
      // The held events count as done: the checkpoint passes them (the parked entry holds the stream).
      expect((await store.processing.getCheckpoint('p'))?.position).toBe(7n);

      poison.clear();
      expect(await runner.parked.retry(entry?.id ?? '')).toMatchObject({ outcome: 'handled', replayed: 3 });
      expect(order(handled, 'a-1')).toEqual([1, 3, 5, 6]);
      expect(await runner.parked.list()).toEqual([]);
      expect(runner.status('p').blockedStreams).toBe(0);
      await appendAll(store, [['a-1', 8]]);
      await runner.catchUp();
      expect(order(handled, 'a-1')).toEqual([1, 3, 5, 6, 8]);
      expect(handled.filter((e) => numberOf(e) === 5)).toHaveLength(1);
      await runner.stop();
    });
  }

  it('block-stream survives a restart: blocked after it, replayed in order after a retry in the next process', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [
      ['a-1', 1],
      ['a-1', 2],
      ['b-1', 3],
    ]);
    const handled: RecordedEvent[] = [];
    const attempts = new Map<number, number>();
    const poison = new Set([1]);
    const make = () =>
      createProcessorRunner(store, { processors: [poisoned('inbox', 'block-stream', poison, handled, attempts)] });
    const first = make();
    await first.start();
    await first.catchUp();
    await first.stop();
    await appendAll(store, [
      ['a-1', 4],
      ['b-1', 5],
    ]);

    const second = make();
    await second.start();
    await second.catchUp();
    expect(order(handled, 'a-1')).toEqual([]);
    expect(order(handled, 'b-1')).toEqual([3, 5]);
    expect(second.status('p').blockedStreams).toBe(1);
    poison.clear();
    const [entry] = await second.parked.list();
    expect(await second.parked.retry(entry?.id ?? '')).toMatchObject({ outcome: 'handled', replayed: 2 });
    expect(order(handled, 'a-1')).toEqual([1, 2, 4]);
    await second.stop();
  });

  it('a replay interrupted by a stop resumes by itself at the next start, in order, from its durable marker', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [
      ['a-1', 1],
      ['a-1', 2],
      ['a-1', 3],
      ['a-1', 4],
    ]);
    const handled: number[] = [];
    const poison = new Set([1]);
    const stuck = gate();
    let holdAt3 = true;
    const p = defineProcessor({
      name: 'p',
      onFailure: 'block-stream',
      retry: { maxAttempts: 1 },
      handle: async (event) => {
        const n = numberOf(event);
        if (poison.has(n)) throw new Error('poison');
        if (n === 3 && holdAt3) await stuck.wait();
        handled.push(n);
      },
    });
    const first = createProcessorRunner(store, { processors: [p] });
    await first.start();
    await first.catchUp();
    poison.clear();
    const [entry] = await first.parked.list();
    const retrying = first.parked.retry(entry?.id ?? '');
    await waitUntil(async () => (await store.processing.listParked()).some((x) => x.version === 3n), 'the marker at 3');
    // Event 3 hangs: the stop times out and abandons it; the marker keeps the replay's place.
    await expect(first.stop({ timeoutMs: 20 })).rejects.toThrow(/stopTimeoutMs/);
    await waitUntil(() => first.status('p').state === 'stopped', 'the first runner to stop');
    await retrying.catch(() => undefined);
    expect(handled).toEqual([1, 2]);
    const [marker] = await store.processing.listParked();
    expect(marker).toMatchObject({ version: 3n, blocking: true, error: { code: 'PROCESSOR_HELD_EVENT' } });

    holdAt3 = false;
    await appendAll(store, [['a-1', 5]]);
    const second = createProcessorRunner(store, { processors: [p] });
    await second.start();
    await second.catchUp();
    await second.stop();
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    expect(await store.processing.listParked()).toEqual([]);
    stuck.open();
  });

  it('skip removes the entry without handling it; the blocked stream replays its held events', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [
      ['a-1', 1],
      ['a-1', 2],
    ]);
    const handled: RecordedEvent[] = [];
    const attempts = new Map<number, number>();
    const runner = createProcessorRunner(store, {
      processors: [poisoned('transactional', 'block-stream', new Set([1]), handled, attempts)],
    });
    await runner.start();
    await runner.catchUp();
    const [entry] = await runner.parked.list();
    expect(await runner.parked.skip(entry?.id ?? '')).toMatchObject({ outcome: 'skipped', replayed: 1 });
    expect(order(handled, 'a-1')).toEqual([2]);
    await runner.stop();
  });

  it('a held event that fails during the replay blocks the stream again at its own version', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [
      ['a-1', 1],
      ['a-1', 2],
      ['a-1', 3],
    ]);
    const handled: RecordedEvent[] = [];
    const attempts = new Map<number, number>();
    const poison = new Set([1, 2]);
    const runner = createProcessorRunner(store, {
      processors: [poisoned('external', 'block-stream', poison, handled, attempts)],
    });
    await runner.start();
    await runner.catchUp();
    poison.delete(1);
    const [first] = await runner.parked.list();
    const result = await runner.parked.retry(first?.id ?? '');
    expect(result).toMatchObject({ outcome: 'handled', replayed: 0, blockedAt: { version: 2n, attempts: 3 } });
    expect((await runner.parked.list()).map((e) => [e.version, e.error.message])).toEqual([[2n, 'poison 2']]);
    poison.clear();
    const all = await runner.parked.retryAll({ processor: 'p' });
    expect(all).toMatchObject([{ outcome: 'handled', replayed: 1 }]);
    expect(order(handled, 'a-1')).toEqual([1, 2, 3]);
    await runner.stop();
  });
});
