import {
  createTimerPoller,
  fireDueTimers,
  timerId,
  ValidationError,
  type EventStore,
  type ScheduleRequest,
} from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { describe, expect } from 'vitest';
import { collect, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;

const request = (id: string, due: Partial<ScheduleRequest>, streamId = 'order-1'): ScheduleRequest => ({
  id,
  streamId,
  message: { type: 'PaymentTimedOut', data: { order: 1 }, metadata: { source: 'test' } },
  ...due,
});

/** Events of the store, all streams. */
const all = (store: EventStore) => collect(() => store.readAll());

/** Durable timers: schedule, idempotent re-schedule, cancel, firing exactly once, lateness, bad input. */
export function timerCases({ open, test }: ContractContext): void {
  describe('timers', () => {
    test('schedule stores the timer; scheduling the same id again changes nothing', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const id = await timerId('saga-1', 'payment-timeout');
      expect(await store.timers.schedule(request(id, { after: 15 * MIN }))).toBe(true);
      expect(await store.timers.schedule(request(id.toUpperCase(), { after: 30 * MIN }))).toBe(false);
      const timer = await store.timers.get(id);
      expect(timer).toEqual({
        id,
        streamId: 'order-1',
        dueAt: new Date(T0 + 15 * MIN),
        scheduledAt: new Date(T0),
        message: { type: 'PaymentTimedOut', data: { order: 1 }, metadata: { source: 'test' } },
      });
      expect(await store.timers.count()).toBe(1);
      expect(await store.timers.nextDueAt()).toEqual(new Date(T0 + 15 * MIN));
    });

    test('a timer scheduled in a rolled-back transaction does not exist', async () => {
      const store = await open();
      const id = await timerId('saga-2', 't');
      await expect(
        store.transaction(async (tx) => {
          await tx.timers.schedule(request(id, { after: 1000 }));
          expect(await tx.timers.get(id)).toBeDefined();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.timers.get(id)).toBeUndefined();
      expect(await store.timers.count()).toBe(0);
    });

    test('cancel removes a pending timer, and it never fires', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const id = await timerId('saga-3', 't');
      await store.timers.schedule(request(id, { after: MIN }));
      expect(await store.timers.cancel(id)).toBe(true);
      expect(await store.timers.cancel(id)).toBe(false);
      expect(await fireDueTimers(store, { now: new Date(T0 + 2 * MIN), limit: 10 })).toEqual([]);
      expect(await all(store)).toEqual([]);
    });

    test('a due timer fires once: its message is appended with event id = timer id, then it is gone', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const id = await timerId('saga-4', 't');
      await store.timers.schedule(request(id, { at: new Date(T0 + 15 * MIN) }));
      expect(await fireDueTimers(store, { now: new Date(T0 + 15 * MIN - 1), limit: 10 })).toEqual([]);
      const fired = await fireDueTimers(store, { now: new Date(T0 + 15 * MIN), limit: 10 });
      expect(fired.map((t) => t.id)).toEqual([id]);
      expect(await fireDueTimers(store, { now: new Date(T0 + 60 * MIN), limit: 10 })).toEqual([]);
      const events = await all(store);
      expect(events.map((e) => [e.id, e.streamId, e.type, e.data])).toEqual([
        [id, 'order-1', 'PaymentTimedOut', { order: 1 }],
      ]);
      expect(events[0]!.metadata).toMatchObject({ source: 'test', timer: { id, lateMs: 0 } });
      expect(await store.timers.count()).toBe(0);
    });

    test('after downtime a timer fires late, with its lateness in the metadata', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const id = await timerId('saga-5', 't');
      await store.timers.schedule(request(id, { after: 15 * MIN }));
      // Nobody polled for 2 hours (the process was down).
      await fireDueTimers(store, { now: new Date(T0 + 135 * MIN), limit: 10 });
      const [event] = await all(store);
      expect(event!.metadata['timer']).toEqual({
        id,
        dueAt: new Date(T0 + 15 * MIN).toISOString(),
        firedAt: new Date(T0 + 135 * MIN).toISOString(),
        lateMs: 120 * MIN,
      });
    });

    test('a timer in the past fires at once (at the first poll)', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const id = await timerId('saga-6', 't');
      await store.timers.schedule(request(id, { at: T0 - 5 * MIN }));
      const poller = createTimerPoller(store, { clock, pollIntervalMs: 60 * MIN });
      poller.start();
      try {
        for (let i = 0; i < 200 && (await all(store)).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      } finally {
        await poller.stop();
      }
      const [event] = await all(store);
      expect(event?.id).toBe(id);
      expect((event!.metadata['timer'] as { lateMs: number }).lateMs).toBe(5 * MIN);
    });

    test('the poller fires a 15-minute timer when the fake clock passes 15 minutes, in due order, in batches', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = await timerId('saga-7', `t${i}`);
        ids.push(id);
        await store.timers.schedule(request(id, { after: 15 * MIN + (5 - i) }, `order-${i}`));
      }
      const poller = createTimerPoller(store, { clock, batchSize: 2, pollIntervalMs: 60 * MIN });
      poller.start();
      const asleep = async (): Promise<void> => {
        for (let i = 0; i < 400 && poller.sleepingUntil === undefined; i++) await new Promise((r) => setTimeout(r, 5));
        expect(poller.sleepingUntil).toBeDefined();
      };
      try {
        await asleep();
        expect(poller.sleepingUntil).toBe(T0 + 15 * MIN + 1); // waits for the first due timer, not the poll interval
        await clock.advance(15 * MIN - 1);
        expect(await all(store)).toEqual([]);
        await asleep();
        await clock.advance(10);
        for (let i = 0; i < 400 && poller.fired < 5; i++) await new Promise((r) => setTimeout(r, 5));
      } finally {
        await poller.stop();
      }
      expect((await all(store)).map((e) => e.id)).toEqual([...ids].reverse());
      expect(await store.timers.count()).toBe(0);
    });

    test('scheduling again after the timer fired does not append its message twice', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const id = await timerId('saga-8', 't');
      await store.timers.schedule(request(id, { after: 0 }));
      await fireDueTimers(store, { now: new Date(T0), limit: 10 });
      await store.timers.schedule(request(id, { after: 0 }));
      await fireDueTimers(store, { now: new Date(T0 + 1), limit: 10 });
      expect((await all(store)).map((e) => e.id)).toEqual([id]);
      expect(await store.timers.count()).toBe(0);
    });

    test('bad timer input is refused with the same error on every store and writes nothing', async () => {
      const store = await open();
      const id = await timerId('saga-9', 't');
      const any = (v: unknown) => v as never;
      const cases: [string, string, () => Promise<unknown>][] = [
        ['not an object', 'INVALID_TIMER', () => store.timers.schedule(any(null))],
        ['unknown key', 'UNKNOWN_OPTION', () => store.timers.schedule(any({ ...request(id, { after: 1 }), delay: 5 }))],
        ['id not a UUID', 'INVALID_TIMER_ID', () => store.timers.schedule(request('saga-9:t', { after: 1 }))],
        ['neither at nor after', 'INVALID_TIMER_TIME', () => store.timers.schedule(request(id, {}))],
        ['both at and after', 'INVALID_TIMER_TIME', () => store.timers.schedule(request(id, { at: T0, after: 1 }))],
        ['negative after', 'INVALID_TIMER_TIME', () => store.timers.schedule(request(id, { after: -1 }))],
        ['fractional after', 'INVALID_TIMER_TIME', () => store.timers.schedule(request(id, { after: 1.5 }))],
        ['invalid Date', 'INVALID_TIMER_TIME', () => store.timers.schedule(request(id, { at: new Date(NaN) }))],
        ['bad stream id', 'INVALID_STREAM_ID', () => store.timers.schedule(request(id, { after: 1 }, ''))],
        ['no message', 'INVALID_TIMER', () => store.timers.schedule(any({ id, streamId: 's', after: 1 }))],
        [
          'unknown message key',
          'UNKNOWN_OPTION',
          () => store.timers.schedule(any({ id, streamId: 's', after: 1, message: { type: 'T', data: {}, extra: 1 } })),
        ],
        [
          'reserved metadata key',
          'INVALID_TIMER',
          () =>
            store.timers.schedule({
              id,
              streamId: 's',
              after: 1,
              message: { type: 'T', data: {}, metadata: { timer: 1 } },
            }),
        ],
        [
          'data not JSON',
          'NOT_SERIALIZABLE',
          () => store.timers.schedule({ id, streamId: 's', after: 1, message: { type: 'T', data: { n: 1n } } }),
        ],
        ['cancel bad id', 'INVALID_TIMER_ID', () => store.timers.cancel('x')],
        ['get bad id', 'INVALID_TIMER_ID', () => store.timers.get(any(7))],
        ['claim bad limit', 'INVALID_OPTION', () => store.transaction((tx) => tx.timers.claimDue(new Date(), 0))],
        ['claim bad now', 'INVALID_TIMER_TIME', () => store.transaction((tx) => tx.timers.claimDue(any(5), 1))],
      ];
      const codes: [string, string][] = [];
      for (const [label, , call] of cases) {
        const error = await rejects(call, ValidationError);
        codes.push([label, (error as { code: string }).code]);
      }
      expect(codes).toEqual(cases.map(([label, code]) => [label, code]));
      expect(await store.timers.count()).toBe(0);
      expect(await all(store)).toEqual([]);
    });
  });
}
