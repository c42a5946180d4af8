import {
  TidingsError,
  ValidationError,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
  type StoreCheckpoint,
  type StoreSubscriptionOptions,
} from 'tidings';
import { describe, expect } from 'vitest';
import { collect, ev, eventually, evs, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';
import { subscriptionHandOver } from '../subscription-checks.js';

/** A subscription poll that never fires within a test: a delivery within the bound came from a wake-up. */
const NO_POLL = 600_000;

/** Waits a few real event-loop turns: long enough for a wrong delivery to show up. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** A checkpoint as `store.processing` would return it, built by hand so these cases need no checkpoint table. */
async function checkpointOf(store: EventStore, position: bigint): Promise<StoreCheckpoint> {
  const { storeId } = await store.info();
  return { source: 'store', storeId, processor: 'p', partition: 0, position, epoch: 0n, updatedAt: new Date() };
}

/** Collects a handler subscription's events; `until(n)` waits (bounded) for n of them. */
function collector(): {
  readonly events: RecordedEvent[];
  readonly handler: (e: RecordedEvent) => void;
  until(n: number, what?: string): Promise<void>;
} {
  const events: RecordedEvent[] = [];
  return {
    events,
    handler: (e) => {
      events.push(e);
    },
    until: (n, what = `${n} events`) => eventually(() => events.length >= n, what, 10_000),
  };
}

const positions = (events: readonly RecordedEvent[]): bigint[] => events.map((e) => e.position);

/** Resolves when `promise` settles, or fails the test after a generous bound. */
async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}.`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const typed = (type: string, n: number): EventToAppend => ev(type, { n });

export function subscriptionCases({ open, openPeer, test, testWith }: ContractContext): void {
  describe('subscriptions: catch-up then live', () => {
    test('catch-up in pages then live, with no gap and no duplicate while appends race the hand-over', async () => {
      const store = await open();
      expect(await subscriptionHandOver(store)).toEqual([]);
    }, 60_000);

    test('a local append wakes a live subscriber without waiting for its poll', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      const c = collector();
      await using _sub = store.subscribe({ pollIntervalMs: NO_POLL }, c.handler);
      await c.until(2, 'the catch-up');
      const r = await store.append('s-1', evs(1));
      await c.until(3, 'the live event');
      const t = await store.transaction((tx) => tx.append('s-2', evs(2)));
      await c.until(5, 'the events of a transaction');
      expect(positions(c.events).slice(2)).toEqual([r.position, t.position - 1n, t.position]);
    });

    testWith(
      'openPeer',
      'a second instance’s appends wake a live subscriber',
      async () => {
        const store = await open();
        const peer = await openPeer(store);
        const c = collector();
        const p = collector();
        await using _sub = store.subscribe({ from: 'end', pollIntervalMs: NO_POLL }, c.handler);
        await using _peerSub = peer.subscribe({ from: 'end', pollIntervalMs: NO_POLL }, p.handler);
        const r1 = await peer.append('s-1', evs(2));
        await c.until(2, 'the peer’s events to wake the subscriber');
        const r2 = await store.append('s-2', evs(1));
        await p.until(3, 'this store’s events to wake the peer’s subscriber');
        await c.until(3);
        expect(positions(c.events)).toEqual([r1.position - 1n, r1.position, r2.position]);
        expect(positions(p.events)).toEqual([r1.position - 1n, r1.position, r2.position]);
        // Both instances are the same store: a checkpoint taken through one positions the other.
        expect((await peer.info()).storeId).toBe((await store.info()).storeId);
        const fromPeer = collector();
        await using _again = store.subscribe({ from: await checkpointOf(peer, r1.position) }, fromPeer.handler);
        await fromPeer.until(1);
        expect(positions(fromPeer.events)).toEqual([r2.position]);
      },
      30_000,
    );
  });

  describe('subscriptions: filters', () => {
    const fill = async (store: EventStore): Promise<void> => {
      await store.append('order-1', [typed('order.placed', 1), typed('order.paid', 2)]);
      await store.append('user-1', [typed('user.created', 3)]);
      await store.append('order-2', [typed('order.placed', 4)]);
      await store.append('nocategory', [typed('order.placed', 5)]);
    };
    const ns = (events: readonly RecordedEvent[]): number[] => events.map((e) => (e.data as { n: number }).n);

    test('filters by types, by categories and by both, in catch-up and live', async () => {
      const store = await open();
      await fill(store);
      const byType = collector();
      const byCategory = collector();
      const byBoth = collector();
      const everything = collector();
      await using _a = store.subscribe({ filter: { types: ['order.placed'] }, pageSize: 1 }, byType.handler);
      await using _b = store.subscribe(
        { filter: { categories: ['order', 'nocategory'] }, pageSize: 2 },
        byCategory.handler,
      );
      await using _c = store.subscribe(
        { filter: { types: ['order.placed', 'user.created'], categories: ['order', 'user'] }, pageSize: 1 },
        byBoth.handler,
      );
      await using _d = store.subscribe({ filter: {} }, everything.handler);
      await byType.until(3);
      await byCategory.until(4);
      await byBoth.until(3);
      await everything.until(5);
      await fill(store); // the same again, live: n 1..5
      await byType.until(6);
      await byCategory.until(8);
      await byBoth.until(6);
      await everything.until(10);
      await quiet();
      expect(ns(byType.events)).toEqual([1, 4, 5, 1, 4, 5]);
      expect(ns(byCategory.events)).toEqual([1, 2, 4, 5, 1, 2, 4, 5]);
      expect(ns(byBoth.events)).toEqual([1, 3, 4, 1, 3, 4]);
      expect(ns(everything.events)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
      // The same events readAll returns with the same filter.
      const read = await collect(store.readAll({ filter: { types: ['order.placed'] } }));
      expect(positions(byType.events)).toEqual(positions(read));
    });

    test('an empty types or categories list matches nothing, in catch-up and live', async () => {
      const store = await open();
      await fill(store);
      const noTypes = collector();
      const noCategories = collector();
      const everything = collector();
      await using _a = store.subscribe({ filter: { types: [] } }, noTypes.handler);
      await using _b = store.subscribe({ filter: { categories: [], types: ['order.placed'] } }, noCategories.handler);
      await using _c = store.subscribe({}, everything.handler);
      await fill(store);
      await everything.until(10);
      await quiet();
      expect(noTypes.events).toEqual([]);
      expect(noCategories.events).toEqual([]);
    });
  });

  describe('subscriptions: where they start', () => {
    test("'start' and 0n deliver everything; a position delivers from it (inclusive); head + 1 only new events", async () => {
      const store = await open();
      const r = await store.append('s-1', evs(5));
      const all = positions(await collect(store.readAll()));
      const fromStart = collector();
      const fromZero = collector();
      const fromThird = collector();
      const fromNext = collector();
      await using _a = store.subscribe({ from: 'start' }, fromStart.handler);
      await using _b = store.subscribe({ from: 0n }, fromZero.handler);
      await using _c = store.subscribe({ from: all[2]! }, fromThird.handler);
      await using _d = store.subscribe({ from: r.position + 1n }, fromNext.handler);
      await fromStart.until(5);
      await fromZero.until(5);
      await fromThird.until(3);
      const later = await store.append('s-2', evs(1));
      await fromNext.until(1);
      await fromStart.until(6);
      expect(positions(fromStart.events)).toEqual([...all, later.position]);
      expect(positions(fromZero.events).slice(0, 5)).toEqual(all);
      expect(positions(fromThird.events).slice(0, 3)).toEqual(all.slice(2));
      expect(positions(fromNext.events)).toEqual([later.position]);
    });

    test("'end' never delivers what was committed before subscribe(), and has no gap after its start", async () => {
      const store = await open();
      const before = await store.append('s-1', evs(3));
      const c = collector();
      await using _sub = store.subscribe({ from: 'end', pollIntervalMs: NO_POLL }, c.handler);
      // Appends racing the subscription's start may or may not be delivered; once one is, none after it is missed.
      const appended: bigint[] = [];
      const deadline = Date.now() + 10_000;
      while (c.events.length === 0) {
        if (Date.now() > deadline) throw new Error("Timed out waiting for the 'end' subscription's first event.");
        appended.push((await store.append('s-2', evs(1))).position);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const last = await store.append('s-3', evs(1));
      appended.push(last.position);
      await eventually(() => c.events.at(-1)?.position === last.position, 'the last event');
      const got = positions(c.events);
      expect(got.every((p) => p > before.position)).toBe(true);
      expect(got).toEqual(appended.slice(appended.indexOf(got[0]!)));
    });

    test('a checkpoint of this store resumes after its position; one at the head waits for new events', async () => {
      const store = await open();
      const r = await store.append('s-1', evs(4));
      const afterSecond = collector();
      const atHead = collector();
      await using _a = store.subscribe({ from: await checkpointOf(store, r.position - 2n) }, afterSecond.handler);
      await using _b = store.subscribe({ from: await checkpointOf(store, r.position) }, atHead.handler);
      await afterSecond.until(2);
      const later = await store.append('s-1', evs(1));
      await atHead.until(1);
      await afterSecond.until(3);
      expect(positions(afterSecond.events)).toEqual([r.position - 1n, r.position, later.position]);
      expect(positions(atHead.events)).toEqual([later.position]);
    });

    test('a start that does not fit the store fails the first next() and done, delivering nothing', async () => {
      const store = await open();
      const other = await open();
      const r = await store.append('s-1', evs(2));
      await other.append('s-1', evs(5));
      const foreignSource = { ...(await checkpointOf(store, 1n)), source: 'broker' } as unknown as StoreCheckpoint;
      const cases: [StoreSubscriptionOptions, string][] = [
        [{ from: await checkpointOf(other, 1n) }, 'CHECKPOINT_FOREIGN_STORE'],
        [{ from: await checkpointOf(store, r.position + 1n) }, 'CHECKPOINT_AHEAD_OF_STORE'],
        [{ from: r.position + 2n }, 'FROM_BEYOND_HEAD'],
        [{ from: foreignSource }, 'CHECKPOINT_FOREIGN_SOURCE'],
      ];
      for (const [options, code] of cases) {
        const iterated = store.subscribe(options);
        await rejects(() => iterated[Symbol.asyncIterator]().next(), TidingsError, code);
        await rejects(() => iterated.done, TidingsError, code);
        const delivered: RecordedEvent[] = [];
        const handled = store.subscribe(options, (e) => {
          delivered.push(e);
        });
        await rejects(() => handled.done, TidingsError, code);
        expect(delivered).toEqual([]);
      }
      // head + 1 is allowed: it waits for the next event.
      const next = collector();
      await using _sub = store.subscribe({ from: r.position + 1n }, next.handler);
      const later = await store.append('s-1', evs(1));
      await next.until(1);
      expect(positions(next.events)).toEqual([later.position]);
    });
  });

  describe('subscriptions: ending', () => {
    test('close() and an abort end iteration; a pending next() resolves done', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      const sub = store.subscribe({ pollIntervalMs: NO_POLL });
      const it = sub[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      expect((await it.next()).done).toBe(false);
      const pending = it.next(); // nothing more: waits live
      await sub.close();
      expect((await within(pending, 'the pending next() after close')).done).toBe(true);
      expect((await it.next()).done).toBe(true);
      await within(sub.done, 'done after close');

      const controller = new AbortController();
      const aborted = store.subscribe({ signal: controller.signal, pollIntervalMs: NO_POLL });
      const seen: RecordedEvent[] = [];
      const loop = (async () => {
        for await (const e of aborted) seen.push(e);
      })();
      await eventually(() => seen.length === 2, 'the catch-up before the abort');
      controller.abort();
      await within(loop, 'iteration to end after the abort');
      await within(aborted.done, 'done after the abort');

      const early = new AbortController();
      early.abort();
      expect(await collect(store.subscribe({ signal: early.signal }))).toEqual([]);

      // break out of for-await closes the subscription
      const broken = store.subscribe({ pollIntervalMs: NO_POLL });
      for await (const _e of broken) break;
      await within(broken.done, 'done after break');
      expect(() => broken[Symbol.asyncIterator]()).toThrow(TidingsError);
    });

    test('handler form: close() waits for the running handler, and no event follows it', async () => {
      const store = await open();
      await store.append('s-1', evs(3));
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const handled: bigint[] = [];
      const sub = store.subscribe({ pollIntervalMs: NO_POLL }, async (e) => {
        handled.push(e.position);
        if (handled.length === 1) await blocked;
      });
      await eventually(() => handled.length === 1, 'the first event in the handler');
      let closed = false;
      const closing = sub.close().then(() => (closed = true));
      await quiet();
      expect(closed).toBe(false);
      release();
      await within(closing, 'close() after the handler finished');
      await within(sub.done, 'done');
      await store.append('s-1', evs(1));
      await quiet();
      expect(handled).toEqual([handled[0]]);
      expect(sub.position).toBe(handled[0]);

      const controller = new AbortController();
      const c = collector();
      const aborted = store.subscribe({ signal: controller.signal, pollIntervalMs: NO_POLL }, c.handler);
      await c.until(4);
      controller.abort();
      await within(aborted.done, 'done after the abort');
    });

    test('a handler error rejects done at the failing event; nothing after it is delivered', async () => {
      const store = await open();
      const r = await store.append('s-1', evs(5));
      const failAt = r.position - 2n;
      const failure = new Error('handler failed');
      const handled: bigint[] = [];
      const sub = store.subscribe({}, (e) => {
        handled.push(e.position);
        if (e.position === failAt) throw failure;
      });
      await expect(within(sub.done, 'done to reject')).rejects.toBe(failure);
      expect(handled.at(-1)).toBe(failAt);
      expect(sub.position).toBe(failAt - 1n);
      await store.append('s-1', evs(1));
      await quiet();
      expect(handled.at(-1)).toBe(failAt);

      // A thrown non-Error is passed through as it was thrown.
      const odd = store.subscribe({}, () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test
        throw 'not an error';
      });
      await expect(within(odd.done, 'done to reject')).rejects.toBe('not an error');
    });
  });

  describe('subscriptions: bad options', () => {
    test('unknown option keys and invalid values are refused at subscribe(), with the same errors everywhere', async () => {
      const store = await open();
      const refuse = (options: unknown, code: string, handler?: unknown): void => {
        let error: unknown;
        try {
          store.subscribe(options as never, handler as never);
        } catch (e) {
          error = e;
        }
        expect(
          error,
          `subscribe(${String(JSON.stringify(options, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))})`,
        ).toBeInstanceOf(TidingsError);
        expect((error as TidingsError).code).toBe(code);
      };
      refuse({ form: 1n }, 'UNKNOWN_OPTION');
      refuse({ filter: { type: ['a.b'] } }, 'UNKNOWN_OPTION');
      refuse('start', 'INVALID_OPTIONS');
      refuse({ filter: 'order' }, 'INVALID_OPTIONS');
      refuse({ filter: { types: 'a.b' } }, 'INVALID_READ_OPTIONS');
      refuse({ from: -1n }, 'VALIDATION_FAILED');
      refuse({ from: 5 }, 'VALIDATION_FAILED');
      refuse({ from: 'later' }, 'VALIDATION_FAILED');
      refuse({ pageSize: 0 }, 'INVALID_OPTION');
      refuse({ pageSize: 10_001 }, 'INVALID_OPTION');
      refuse({ pageSize: 1.5 }, 'INVALID_OPTION');
      refuse({ pollIntervalMs: 5 }, 'INVALID_OPTION');
      refuse({ signal: {} }, 'VALIDATION_FAILED');
      refuse({}, 'VALIDATION_FAILED', 'not a function');
      expect(() => store.subscribe({ from: -1n })).toThrow(ValidationError);
      // Nothing was started: the store is untouched and closes cleanly.
      expect(await store.headPosition()).toBe(0n);
    });
  });
}
