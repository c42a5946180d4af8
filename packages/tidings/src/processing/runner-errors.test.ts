import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { EventStore, RecordedEvent, StoreInfo } from '../store/types.js';
import { appendAll } from './__fixtures__/harness.js';
import { defineProcessor } from './define-processor.js';
import { ProcessorNotRunningError, UnknownParkedEventError, UnknownProcessorError } from './errors.js';
import type { Processor } from './processor-types.js';
import { createProcessorRunner } from './runner.js';

const p = (name: string): Processor => defineProcessor({ name, handle: () => undefined });

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return 'no error';
}

describe('processor runner: bad input', () => {
  it('refuses two processors with one name, foreign objects, unknown and bad options, writing nothing', async () => {
    const store = createInMemoryEventStore();
    expect(() => createProcessorRunner(store, { processors: [p('a'), p('b'), p('a')] })).toThrow(
      /two processors are named 'a' \(the second at processors\[2\]\)/,
    );
    expect(codeOf(() => createProcessorRunner(store, { processors: [p('a'), p('a')] }))).toBe('DUPLICATE_PROCESSOR');
    expect(codeOf(() => createProcessorRunner(store, { processors: [{ name: 'x' } as Processor] }))).toBe(
      'INVALID_PROCESSOR',
    );
    expect(codeOf(() => createProcessorRunner(store, { processors: [], leaseTTL: 5 } as never))).toBe('UNKNOWN_OPTION');
    expect(codeOf(() => createProcessorRunner(store, { processors: [], leaseTtlMs: 50 }))).toBe('INVALID_OPTION');
    expect(
      codeOf(() => createProcessorRunner(store, { processors: [], leaseTtlMs: 1000, renewIntervalMs: 1000 })),
    ).toBe('INVALID_OPTION');
    expect(codeOf(() => createProcessorRunner(store, { processors: [], owner: '' }))).toBe('INVALID_OPTION');
    expect(codeOf(() => createProcessorRunner({} as EventStore, { processors: [] }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => createProcessorRunner(store, { processors: 'a' } as never))).toBe('VALIDATION_FAILED');
    expect(await store.processing.listCheckpoints()).toEqual([]);
  });

  it('refuses unknown processors and parked ids, and work for a processor that is not running here', async () => {
    const store = createInMemoryEventStore();
    const runner = createProcessorRunner(store, { processors: [p('a')] });
    expect(() => runner.status('nope')).toThrow(UnknownProcessorError);
    expect(() => runner.status('nope')).toThrow(/No processor named 'nope' runs in this runner. Expected one of: 'a'/);
    await expect(runner.catchUp({ processors: ['nope'] })).rejects.toThrow(UnknownProcessorError);
    await expect(runner.parked.list({ processor: 'nope' })).rejects.toThrow(UnknownProcessorError);
    await expect(runner.parked.get('0190a0a0-0000-7000-8000-000000000000')).rejects.toThrow(UnknownParkedEventError);
    await expect(runner.parked.retry('missing')).rejects.toMatchObject({ code: 'UNKNOWN_PARKED_EVENT' });
    await expect(runner.parked.skip('missing')).rejects.toMatchObject({ code: 'UNKNOWN_PARKED_EVENT' });
    await expect(runner.parked.list({ processor: 'a', limit: 0 })).rejects.toMatchObject({
      code: 'INVALID_PARKED_FILTER',
    });
    await expect(runner.parked.retryAll({ processor: 'a', limit: 3 } as never)).rejects.toMatchObject({
      code: 'UNKNOWN_OPTION',
    });
    await expect(runner.start({ timeout: 5 } as never)).rejects.toMatchObject({ code: 'UNKNOWN_OPTION' });
    await expect(runner.catchUp({ position: -1n })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

    // An entry of this runner's processor, but the runner is not started: it holds no lease here.
    await appendAll(store, [['x-1', 1]]);
    let event: RecordedEvent | undefined;
    for await (const e of store.readAll()) event = e;
    const parked = await store.transaction((tx) =>
      tx.processing.park({
        processor: 'a',
        event: event!,
        error: { name: 'Error', message: 'x' },
        attempts: 1,
        blocking: false,
      }),
    );
    await expect(runner.parked.retry(parked.id)).rejects.toThrow(ProcessorNotRunningError);
    await expect(runner.parked.skip(parked.id)).rejects.toThrow(/is stopped in this runner, not running/);
    expect(await store.processing.getParked(parked.id)).toEqual(parked);
    // Another runner's processor: not this runner's entry.
    const other = createProcessorRunner(store, { processors: [p('b')] });
    await expect(other.parked.get(parked.id)).rejects.toThrow(UnknownParkedEventError);
  });

  it('refuses a checkpoint from another store at start, changing nothing', async () => {
    const store = createInMemoryEventStore();
    await appendAll(store, [['x-1', 1]]);
    const written = await store.transaction(async (tx) => {
      await tx.processing.saveCheckpoint({ processor: 'a', position: 1n });
      return tx.processing.getCheckpoint('a');
    });
    // The same data under another identity: what a restored or copied database looks like.
    const copy: EventStore = Object.create(store, {
      info: { value: async (): Promise<StoreInfo> => ({ ...(await store.info()), storeId: 'another-store' }) },
    }) as EventStore;
    const runner = createProcessorRunner(copy, { processors: [p('a')], owner: 'copy' });
    await expect(runner.start()).rejects.toMatchObject({ code: 'CHECKPOINT_FOREIGN_STORE' });
    expect(runner.status('a').state).toBe('stopped');
    expect(await store.processing.getCheckpoint('a')).toEqual(written);
  });

  it('refuses a checkpoint ahead of the store (positions would be reused)', async () => {
    const store = createInMemoryEventStore();
    await store.transaction((tx) => tx.processing.saveCheckpoint({ processor: 'a', position: 5n }));
    const runner = createProcessorRunner(store, { processors: [p('a')] });
    await expect(runner.start()).rejects.toMatchObject({ code: 'CHECKPOINT_AHEAD_OF_STORE' });
  });
});
