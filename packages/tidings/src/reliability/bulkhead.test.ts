import { describe, expect, it } from 'vitest';
import { AbortedError } from '../errors.js';
import { compose } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { bulkheadMiddleware, createBulkhead, type Bulkhead } from './bulkhead.js';
import { BulkheadFullError } from './errors.js';
import { deferred, drain, expectInvalidOption, flush, settle, testContext } from './__fixtures__/helpers.js';

/**
 * Fires `calls` calls, `spacingMs` apart on a fake clock (0: all at once), each taking a
 * pseudo-random time, and watches concurrency from inside the calls, independently of the
 * bulkhead's own counters.
 */
async function burst(
  bulkhead: Pick<Bulkhead, 'execute'>,
  calls: number,
  spacingMs = 0,
): Promise<{ ran: number; refused: number; otherErrors: number; highestSeen: number }> {
  const clock = createFakeClock();
  let running = 0;
  let highestSeen = 0;
  let ran = 0;
  let seed = 7;
  const nextDuration = (): number => {
    seed = (seed * 48_271) % 2_147_483_647;
    return 1 + (seed % 50);
  };
  const outcomes: Array<ReturnType<typeof settle<void>>> = [];
  const fire = (): void => {
    const duration = nextDuration();
    outcomes.push(
      settle(
        bulkhead.execute(async () => {
          running += 1;
          ran += 1;
          highestSeen = Math.max(highestSeen, running);
          await clock.sleep(duration);
          running -= 1;
        }),
      ),
    );
  };
  for (let i = 0; i < calls; i++) {
    if (spacingMs === 0) fire();
    else clock.setTimeout(fire, i * spacingMs);
  }
  await drain(clock);
  expect(outcomes).toHaveLength(calls);
  const reasons = outcomes
    .filter((o) => o.result.status === 'rejected')
    .map((o) => (o.result as { reason: unknown }).reason);
  const refused = reasons.filter((r) => r instanceof BulkheadFullError).length;
  return { ran, refused, otherErrors: reasons.length - refused, highestSeen };
}

describe('createBulkhead', () => {
  it('never exceeds its limits under a burst of 1,000 calls (from its counters and from inside the calls)', async () => {
    const bulkhead = createBulkhead({ name: 'smtp', maxConcurrent: 8, maxQueued: 32 });
    const observed = await burst(bulkhead, 1_000);
    const stats = bulkhead.stats();
    expect(stats.highestActive).toBe(8);
    expect(stats.highestQueued).toBe(32);
    expect(observed.highestSeen).toBeLessThanOrEqual(8);
    expect(observed.ran).toBe(40);
    expect(observed.refused).toBe(960);
    expect(observed.otherErrors).toBe(0);
    expect(stats).toMatchObject({ active: 0, queued: 0, rejected: 960, completed: 40, cancelled: 0 });
  });

  it('never exceeds its limits when 1,000 calls arrive over time and the queue keeps draining', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 8, maxQueued: 32 });
    const observed = await burst(bulkhead, 1_000, 2);
    const stats = bulkhead.stats();
    expect(observed.highestSeen).toBeLessThanOrEqual(8);
    expect(stats.highestActive).toBeLessThanOrEqual(8);
    expect(stats.highestQueued).toBeLessThanOrEqual(32);
    expect(stats.highestQueued).toBeGreaterThan(0); // the load did press on the queue
    expect(observed.ran + observed.refused).toBe(1_000);
    expect(observed.otherErrors).toBe(0);
    expect(stats).toMatchObject({ active: 0, queued: 0, completed: observed.ran, rejected: observed.refused });
    expect(observed.ran).toBeGreaterThan(40); // slots were reused as calls finished
  });

  it('negative control: the same burst check catches an unbounded executor', async () => {
    const unbounded = { execute: <T>(fn: () => T | PromiseLike<T>): Promise<T> => Promise.resolve(fn()) };
    const observed = await burst(unbounded, 1_000);
    expect(observed.highestSeen).toBeGreaterThan(8);
  });

  it('runs queued calls in order as slots free up', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1, maxQueued: 3 });
    const gate = deferred();
    const order: string[] = [];
    const first = bulkhead.execute(async () => {
      order.push('first');
      await gate.promise;
    });
    const rest = ['a', 'b', 'c'].map((name) =>
      bulkhead.execute(() => {
        order.push(name);
        return name;
      }),
    );
    await expect(bulkhead.execute(() => 'overflow')).rejects.toBeInstanceOf(BulkheadFullError);
    expect(bulkhead.stats()).toMatchObject({ active: 1, queued: 3, rejected: 1 });
    gate.resolve();
    await first;
    await expect(Promise.all(rest)).resolves.toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['first', 'a', 'b', 'c']);
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0, completed: 4 });
  });

  it('frees the slot when a call throws synchronously or rejects', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1 });
    await expect(
      bulkhead.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(bulkhead.execute(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
    await expect(bulkhead.execute(() => 'fine')).resolves.toBe('fine');
    expect(bulkhead.stats().active).toBe(0);
  });

  it('withdraws a queued call when its signal aborts, and refuses an already-aborted one', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1, maxQueued: 2 });
    const gate = deferred();
    const running = bulkhead.execute(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const queued = settle(
      bulkhead.execute(
        () => {
          ran = true;
        },
        { signal: controller.signal },
      ),
    );
    expect(bulkhead.stats().queued).toBe(1);
    controller.abort();
    await flush();
    expect((queued.result as { reason: unknown }).reason).toBeInstanceOf(AbortedError);
    expect(bulkhead.stats()).toMatchObject({ queued: 0, cancelled: 1 });
    await expect(bulkhead.execute(() => 'x', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    gate.resolve();
    await running;
    expect(ran).toBe(false);
  });

  it('as middleware, bounds the rest of the chain', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1 });
    const gate = deferred();
    const run = compose([bulkheadMiddleware(bulkhead)], () => gate.promise);
    const first = Promise.resolve(run(testContext()));
    await expect(Promise.resolve(run(testContext()))).rejects.toBeInstanceOf(BulkheadFullError);
    gate.resolve();
    await first;
  });

  it('rejects zero, negative, NaN and fractional settings', () => {
    expectInvalidOption(() => createBulkhead({ maxConcurrent: 0 }), 'maxConcurrent', '0');
    expectInvalidOption(() => createBulkhead({ maxConcurrent: -1 }), 'maxConcurrent', '-1');
    expectInvalidOption(() => createBulkhead({ maxConcurrent: Number.NaN }), 'maxConcurrent', 'NaN');
    expectInvalidOption(() => createBulkhead({ maxConcurrent: 1.5 }), 'maxConcurrent', '1.5');
    expectInvalidOption(() => createBulkhead({ maxConcurrent: 1, maxQueued: -1 }), 'maxQueued', '-1');
    expectInvalidOption(() => createBulkhead({ maxConcurrent: 1, maxQueued: Number.NaN }), 'maxQueued', 'NaN');
  });
});
