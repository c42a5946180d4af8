import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../store/errors.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { EventStore } from '../store/types.js';
import { createFakeClock } from '../time/fake-clock.js';
import { unfenced, withTxProcessing } from './__fixtures__/broken-stores.js';
import { appendAll, gate, numberOf, waitUntil } from './__fixtures__/harness.js';
import { defineProcessor } from './define-processor.js';
import type { ProcessorErrorInfo } from './processor-types.js';
import { createProcessorRunner } from './runner.js';

describe('leases', () => {
  it('one process runs a processor: the other waits in standby and takes over when the holder stops', async () => {
    const clock = createFakeClock({ now: Date.parse('2026-01-01T00:00:00Z') });
    const store = createInMemoryEventStore({ clock });
    const seen = { a: [] as number[], b: [] as number[] };
    const make = (who: 'a' | 'b') =>
      createProcessorRunner(store, {
        owner: who,
        clock,
        leaseTtlMs: 1_000,
        processors: [defineProcessor({ name: 'p', handle: (e) => void seen[who].push(numberOf(e)) })],
      });
    const a = make('a');
    const b = make('b');
    await a.start();
    await b.start();
    expect(a.status('p')).toMatchObject({ state: 'running', epoch: 1n });
    expect(b.status('p').state).toBe('standby');
    await appendAll(store, [
      ['x-1', 1],
      ['x-1', 2],
    ]);
    await a.catchUp();
    await a.stop();
    // B tries again every acquireIntervalMs (ttl / 3) on its clock.
    await clock.advance(400);
    await waitUntil(() => b.status('p').state === 'running', 'b to take over');
    expect(b.status('p').epoch).toBe(2n);
    await appendAll(store, [['x-1', 3]]);
    await b.catchUp();
    await b.stop();
    expect(seen).toEqual({ a: [1, 2], b: [3] });
  });

  it('renewals keep the lease: no takeover while the holder is alive', async () => {
    const clock = createFakeClock();
    const store = createInMemoryEventStore({ clock });
    const p = defineProcessor({ name: 'p', handle: () => undefined });
    const a = createProcessorRunner(store, { owner: 'a', clock, leaseTtlMs: 1_000, processors: [p] });
    const b = createProcessorRunner(store, { owner: 'b', clock, leaseTtlMs: 1_000, processors: [p] });
    await a.start();
    await b.start();
    for (let i = 0; i < 20; i++) await clock.advance(250);
    expect(a.status('p')).toMatchObject({ state: 'running', epoch: 1n });
    expect(b.status('p').state).toBe('standby');
    expect((await store.processing.getLease('p'))?.owner).toBe('a');
    await a.stop();
    await b.stop();
  });

  /**
   * A holder paused past its lease (its clock stands still: no renewal) is taken over; when it
   * resumes, its checkpoint write carries the old epoch and is refused. Returns the checkpoint
   * after the zombie's late write (the heir's, `{ position: 3n, epoch: 2n }`, when fenced), and
   * what the zombie was told.
   */
  async function zombieScenario(wrap: (store: EventStore) => EventStore) {
    const storeClock = createFakeClock({ now: 1_000_000 });
    const pausedClock = createFakeClock({ now: 1_000_000 });
    const store = createInMemoryEventStore({ clock: storeClock });
    await appendAll(store, [
      ['x-1', 1],
      ['x-1', 2],
      ['x-1', 3],
    ]);
    const paused = gate();
    const zombieErrors: { error: Error; info: ProcessorErrorInfo }[] = [];
    const zombie = createProcessorRunner(wrap(store), {
      owner: 'zombie',
      clock: pausedClock,
      leaseTtlMs: 1_000,
      processors: [
        defineProcessor({
          name: 'p',
          batch: { maxEvents: 1 },
          handle: async (e) => {
            if (numberOf(e) === 1) await paused.wait();
          },
        }),
      ],
      onError: (error, info) => zombieErrors.push({ error, info }),
    });
    await zombie.start();
    await waitUntil(() => zombie.status('p').pending > 0, 'the zombie to hold event 1');
    const heir = createProcessorRunner(store, {
      owner: 'heir',
      clock: storeClock,
      leaseTtlMs: 1_000,
      processors: [defineProcessor({ name: 'p', handle: () => undefined })],
    });
    await heir.start();
    expect(heir.status('p').state).toBe('standby');
    await storeClock.advance(1_400);
    await waitUntil(() => heir.status('p').state === 'running', 'the heir to take over after the TTL');
    await heir.catchUp();
    expect(await store.processing.getCheckpoint('p')).toMatchObject({ position: 3n, epoch: 2n });
    // The zombie wakes up and finishes event 1: its checkpoint write comes late.
    paused.open();
    await waitUntil(
      async () => zombie.status('p').state !== 'running' || (await store.processing.getCheckpoint('p'))?.epoch !== 2n,
      'the zombie to write or be refused',
    );
    const after = await store.processing.getCheckpoint('p');
    await heir.stop();
    await zombie.stop();
    return { after, zombieErrors, zombieState: zombie.status('p').state };
  }

  it('a paused holder is taken over after its TTL; its late checkpoint write is fenced off by the epoch', async () => {
    const { after, zombieErrors } = await zombieScenario((s) => s);
    expect(after).toMatchObject({ position: 3n, epoch: 2n });
    const lost = zombieErrors.find((e) => e.info.kind === 'lease');
    expect(lost?.error).toBeInstanceOf(LeaseLostError);
    expect(lost?.error.message).toContain('lease epoch 1 is no longer current (now 2)');
  });

  it("negative control: without the epoch on its writes, the same zombie overwrites the new holder's checkpoint", async () => {
    const { after } = await zombieScenario(unfenced);
    expect(after).not.toMatchObject({ position: 3n, epoch: 2n });
  });
});

describe('redelivery after a failed checkpoint write', () => {
  /** The first checkpoint write fails (the effects already committed): the session restarts from the old checkpoint. */
  async function run(mode: 'inbox' | 'external-direct') {
    const store = createInMemoryEventStore();
    await appendAll(store, [
      ['a-1', 1],
      ['b-1', 2],
      ['a-1', 3],
    ]);
    let failNext = true;
    const flaky = withTxProcessing(store, (p) => ({
      saveCheckpoint: async (write) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk I/O error');
        }
        await p.saveCheckpoint(write);
      },
    }));
    const effect = { type: 'effect.done', data: {} };
    const p =
      mode === 'inbox'
        ? defineProcessor({
            name: 'p',
            filter: { categories: ['a', 'b'] },
            effects: 'inbox',
            concurrency: 2,
            handle: async (e, { tx }) => void (await tx.append('fx-1', [{ ...effect, data: { n: numberOf(e) } }])),
          })
        : defineProcessor({
            // The deliberately broken variant: the same effect in its own transaction, no inbox.
            name: 'p',
            filter: { categories: ['a', 'b'] },
            concurrency: 2,
            handle: async (e) => void (await store.append('fx-1', [{ ...effect, data: { n: numberOf(e) } }])),
          });
    const kinds: string[] = [];
    const runner = createProcessorRunner(flaky, { processors: [p], onError: (_e, info) => kinds.push(info.kind) });
    await runner.start();
    await runner.catchUp({ timeoutMs: 10_000 });
    await runner.stop();
    const counts = new Map<number, number>();
    for await (const e of store.readStream('fx-1')) counts.set(numberOf(e), (counts.get(numberOf(e)) ?? 0) + 1);
    return { counts, kinds };
  }

  it('inbox: the redelivered events are skipped, every effect happened once', async () => {
    const { counts, kinds } = await run('inbox');
    expect(kinds).toContain('store');
    expect([...counts.entries()].sort()).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('negative control: without the inbox the same failure doubles the effects', async () => {
    const { counts } = await run('external-direct');
    expect([...counts.values()].some((c) => c > 1)).toBe(true);
  });
});
