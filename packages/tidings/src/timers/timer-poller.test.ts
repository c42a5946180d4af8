import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../store/memory-store.js';
import { createFakeClock } from '../time/fake-clock.js';
import type { RecordedEvent } from '../store/types.js';
import { createTimerPoller } from './timer-poller.js';
import { timerId } from './timer-id.js';

const START = Date.parse('2026-01-01T12:00:00Z');

async function events(store: ReturnType<typeof createInMemoryEventStore>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll()) out.push(e);
  return out;
}

/** Polls `check` with a bound on real time (the fake clock does not move by itself). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}

describe('timer poller on the fake clock', () => {
  it('fires a 15-minute timer when the clock is advanced 15 minutes, not before', async () => {
    const clock = createFakeClock({ now: START });
    const store = createInMemoryEventStore({ clock });
    // #region timers
    const poller = createTimerPoller(store, { clock, pollIntervalMs: 60 * 60_000 });
    const id = await timerId('order-42', 'payment-timeout'); // the same id every time: no double schedule
    await store.timers.schedule({
      id,
      streamId: 'order-42',
      after: 15 * 60_000,
      message: { type: 'PaymentTimedOut', data: { order: 42 } },
    });
    poller.start();
    await until(async () => Promise.resolve(poller.sleepingUntil === START + 15 * 60_000));
    await clock.advance(14 * 60_000 + 59_000);
    expect(await events(store)).toHaveLength(0);
    await clock.advance(1_000); // 15 minutes: PaymentTimedOut is appended to order-42, id = timer id
    // #endregion timers
    await until(async () => (await events(store)).length === 1);
    const [fired] = await events(store);
    expect(fired!.id).toBe(id);
    expect(fired!.type).toBe('PaymentTimedOut');
    expect(fired!.metadata['timer']).toEqual({
      id,
      dueAt: new Date(START + 15 * 60_000).toISOString(),
      firedAt: new Date(START + 15 * 60_000).toISOString(),
      lateMs: 0,
    });
    expect(await store.timers.count()).toBe(0);
    await poller.stop();
    await store.close();
  });

  it('a timer scheduled in this process while the poller sleeps fires after wake()', async () => {
    const clock = createFakeClock({ now: START });
    const store = createInMemoryEventStore({ clock });
    const poller = createTimerPoller(store, { clock, pollIntervalMs: 60 * 60_000 });
    poller.start();
    await until(async () => Promise.resolve(poller.sleepingUntil !== undefined)); // asleep for the poll interval
    await store.timers.schedule({
      id: await timerId('a', 'b'),
      streamId: 's',
      at: START - 5_000,
      message: { type: 'Due', data: {} },
    });
    poller.wake();
    await until(async () => (await events(store)).length === 1);
    const [fired] = await events(store);
    expect((fired!.metadata['timer'] as { lateMs: number }).lateMs).toBe(5_000); // past timer: at once, 5 s late
    await poller.stop();
    await store.close();
  });

  it('refuses unknown options and a second start', async () => {
    const store = createInMemoryEventStore();
    expect(() => createTimerPoller(store, { batchSze: 3 } as never)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_OPTION' }),
    );
    expect(() => createTimerPoller(store, { batchSize: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    const clock = createFakeClock({ now: START });
    const poller = createTimerPoller(store, { clock });
    poller.start();
    expect(() => poller.start()).toThrow(expect.objectContaining({ code: 'TIMER_POLLER_RUNNING' }));
    await poller.stop();
    expect(poller.running).toBe(false);
    await store.close();
  });
});
