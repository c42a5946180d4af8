import {
  createTimerPoller,
  fireDueTimers,
  TimerParkedError,
  timerId,
  ValidationError,
  type DataCodec,
  type EventStore,
  type ScheduleRequest,
} from 'tidings';
import { createFakeClock } from 'tidings/testing';
import { describe, expect } from 'vitest';
import { collect, eventually, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;
const MAX_EVENT_BYTES = 2_000;

/** A codec that, while `bloat.on`, turns `Bloated` data into more JSON than the store's limit allows. */
function bloatingCodec(): { codec: DataCodec; bloat: { on: boolean } } {
  const bloat = { on: true };
  return {
    bloat,
    codec: {
      encode: (data, event) => (bloat.on && event.type === 'Bloated' ? { pad: 'x'.repeat(3 * MAX_EVENT_BYTES) } : data),
      decode: (data) => data,
    },
  };
}

const at = (id: string, streamId: string, type: string, dueAt: number): ScheduleRequest => ({
  id,
  streamId,
  at: dueAt,
  message: { type, data: { streamId } },
});

const all = (store: EventStore) => collect(() => store.readAll());

/**
 * Durable timers whose message the store refuses when they fall due (decision 1160): parked, not
 * blocking their batch, surfaced, listable, retryable and skippable. Plus "a timer in the past
 * fires at once" while a poller sleeps.
 */
export function timerParkingCases({ open, test }: ContractContext): void {
  describe('timers: refused messages are parked', () => {
    test('a refused message parks its timer; the rest of the batch fires; retry and skip work', async () => {
      const clock = createFakeClock({ now: T0 });
      const { codec, bloat } = bloatingCodec();
      const store = await open({ clock, codec, maxEventBytes: MAX_EVENT_BYTES });
      await store.append('gone-1', [{ type: 'Opened', data: {} }]);
      await store.deleteStream('gone-1', { mode: 'hard' });
      const ids = await Promise.all(['a', 'bloated', 'b', 'gone', 'c'].map((n) => timerId('saga-p', n)));
      const [a, bloated, b, gone, c] = ids as [string, string, string, string, string];
      // Due in this order, so the refused ones sit in the middle of one batch.
      await store.timers.schedule(at(a, 'order-a', 'PaymentTimedOut', T0 - 5));
      await store.timers.schedule(at(bloated, 'order-bloated', 'Bloated', T0 - 4));
      await store.timers.schedule(at(b, 'order-b', 'PaymentTimedOut', T0 - 3));
      await store.timers.schedule(at(gone, 'gone-1', 'PaymentTimedOut', T0 - 2));
      await store.timers.schedule(at(c, 'order-c', 'PaymentTimedOut', T0 - 1));

      const parked: TimerParkedError[] = [];
      const fired = await fireDueTimers(store, { now: new Date(T0), limit: 10, onParked: (e) => parked.push(e) });
      expect(fired.map((t) => t.id)).toEqual([a, b, c]);
      expect((await all(store)).map((e) => e.id)).toEqual([a, b, c]);
      expect(parked.map((e) => [e.timerId, e.streamId, e.code, (e.cause as { code?: string }).code])).toEqual([
        [bloated, 'order-bloated', 'TIMER_PARKED', 'EVENT_TOO_LARGE'],
        [gone, 'gone-1', 'TIMER_PARKED', 'STREAM_DELETED'],
      ]);

      // Parked durably: listed with the error, not pending, their ids still taken.
      expect(await store.timers.count()).toBe(0);
      expect(await store.timers.nextDueAt()).toBeUndefined();
      const list = await store.timers.listParked();
      expect(
        list.map((t) => [t.id, t.streamId, t.dueAt.getTime(), t.parked?.at.getTime(), t.parked?.error.code]),
      ).toEqual(
        [
          [bloated, 'order-bloated', T0 - 4, T0, 'EVENT_TOO_LARGE'],
          [gone, 'gone-1', T0 - 2, T0, 'STREAM_DELETED'],
        ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
      );
      expect((await store.timers.get(bloated))?.parked?.error.name).toBe('ValidationError');
      expect(await store.timers.schedule(at(bloated, 'order-bloated', 'Bloated', T0))).toBe(false);
      expect(await store.timers.cancel(bloated)).toBe(false);
      expect(await fireDueTimers(store, { now: new Date(T0 + MIN), limit: 10 })).toEqual([]);

      // Retry once the cause is fixed: it fires, late from its original due time.
      bloat.on = false;
      expect(await store.timers.retryParked(bloated)).toBe(true);
      expect(await store.timers.retryParked(bloated)).toBe(false); // pending now, not parked
      expect(await store.timers.count()).toBe(1);
      expect((await fireDueTimers(store, { now: new Date(T0 + MIN), limit: 10 })).map((t) => t.id)).toEqual([bloated]);
      const last = (await all(store)).at(-1)!;
      expect([last.id, last.streamId, (last.metadata['timer'] as { lateMs: number }).lateMs]).toEqual([
        bloated,
        'order-bloated',
        MIN + 4,
      ]);

      // Skip drops a parked timer without firing it.
      expect(await store.timers.skipParked(gone)).toBe(true);
      expect(await store.timers.skipParked(gone)).toBe(false);
      expect(await store.timers.get(gone)).toBeUndefined();
      expect(await store.timers.listParked()).toEqual([]);
      expect((await all(store)).map((e) => e.id)).toEqual([a, b, c, bloated]);
    });

    test('a parked timer rolls back with its transaction', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const id = await timerId('saga-p2', 't');
      await store.timers.schedule(at(id, 'order-1', 'PaymentTimedOut', T0));
      await expect(
        store.transaction(async (tx) => {
          const [timer] = await tx.timers.claimDue(new Date(T0), 1);
          await tx.timers.park(timer!, { name: 'Error', message: 'refused' });
          expect((await tx.timers.listParked()).map((t) => t.id)).toEqual([id]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.timers.listParked()).toEqual([]);
      expect(await store.timers.count()).toBe(1);
    });

    test('the poller is not held up by a refused timer at the head of the queue and reports it to onError', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      await store.append('gone-2', [{ type: 'Opened', data: {} }]);
      await store.deleteStream('gone-2', { mode: 'hard' });
      const head = await timerId('saga-p3', 'head');
      await store.timers.schedule(at(head, 'gone-2', 'PaymentTimedOut', T0 - 10));
      const behind: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = await timerId('saga-p3', `t${i}`);
        behind.push(id);
        await store.timers.schedule(at(id, `order-${i}`, 'PaymentTimedOut', T0 - 5 + i));
      }
      const errors: unknown[] = [];
      // Batches of one: before parking, the refused head timer failed every batch, forever.
      const poller = createTimerPoller(store, {
        clock,
        batchSize: 1,
        pollIntervalMs: 60 * MIN,
        onError: (e) => errors.push(e),
      });
      poller.start();
      try {
        await eventually(() => poller.fired === 4, 'four timers fired behind the refused one');
      } finally {
        await poller.stop();
      }
      expect(poller.parked).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(TimerParkedError);
      expect((errors[0] as TimerParkedError).timerId).toBe(head);
      expect((await all(store)).map((e) => e.id)).toEqual(behind);
      expect((await store.timers.listParked()).map((t) => t.id)).toEqual([head]);
    });

    test('a timer scheduled in the past while the poller sleeps fires at once on wake(), without the clock moving', async () => {
      const clock = createFakeClock({ now: T0 });
      const store = await open({ clock });
      const poller = createTimerPoller(store, { clock, pollIntervalMs: 60 * MIN });
      poller.start();
      try {
        await eventually(() => poller.sleepingUntil !== undefined, 'the poller asleep');
        const id = await timerId('saga-p4', 'past');
        expect(await store.timers.schedule(at(id, 'order-9', 'PaymentTimedOut', T0 - 30 * MIN))).toBe(true);
        poller.wake();
        await eventually(() => poller.fired === 1, 'the past timer fired');
        const [event] = await all(store);
        expect(event?.id).toBe(id);
        expect(event?.metadata['timer']).toMatchObject({ lateMs: 30 * MIN, firedAt: new Date(T0).toISOString() });
        expect(clock.now()).toBe(T0);
      } finally {
        await poller.stop();
      }
    });

    test('bad parked-timer input is refused with the same error on every store', async () => {
      const store = await open();
      const any = (v: unknown) => v as never;
      const cases: [string, string, () => Promise<unknown>][] = [
        ['retry bad id', 'INVALID_TIMER_ID', () => store.timers.retryParked('x')],
        ['skip bad id', 'INVALID_TIMER_ID', () => store.timers.skipParked(any(3))],
        ['list limit 0', 'INVALID_OPTION', () => store.timers.listParked({ limit: 0 })],
        ['list unknown key', 'UNKNOWN_OPTION', () => store.timers.listParked(any({ max: 3 }))],
        [
          'park not a timer',
          'INVALID_TIMER',
          () => store.transaction((tx) => tx.timers.park(any(null), { name: 'E', message: 'm' })),
        ],
      ];
      const codes: [string, string][] = [];
      for (const [label, , call] of cases) {
        const error = await rejects(call, ValidationError);
        codes.push([label, (error as { code: string }).code]);
      }
      expect(codes).toEqual(cases.map(([label, code]) => [label, code]));
    });
  });
}
