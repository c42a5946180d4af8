import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../messages/define.js';
import { createFakeClock } from '../time/fake-clock.js';
import { QueueFullError } from './bus-errors.js';
import { createEventBus } from './event-bus.js';
import type { HandlerFailure } from './event-bus-types.js';

/** A promise plus its resolver, to hold a handler until the test lets it go. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = (n: number) => ({ type: 'tick.happened', data: { n } });

describe('queued delivery', () => {
  it('runs handlers off the publisher: emit returns before the handler runs', async () => {
    const bus = createEventBus();
    const seen: number[] = [];
    const sub = bus.subscribe('tick.happened', (e) => void seen.push((e.data as { n: number }).n), { queue: true });
    bus.emit(tick(1));
    expect(seen).toEqual([]);
    await sub.idle();
    expect(seen).toEqual([1]);
  });

  it('with concurrency 1 keeps publish order even when handlers take different times', async () => {
    const bus = createEventBus();
    const seen: number[] = [];
    const sub = bus.subscribe(
      'tick.happened',
      async (e) => {
        const n = (e.data as { n: number }).n;
        for (let i = 0; i < n % 3; i++) await Promise.resolve();
        seen.push(n);
      },
      { queue: { capacity: 100 } },
    );
    for (let n = 0; n < 50; n++) bus.emit(tick(n));
    await sub.idle();
    expect(seen).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });

  it('with concurrency > 1 keeps order per key and runs keys in parallel', async () => {
    const bus = createEventBus();
    const perKey = new Map<string, number[]>();
    let running = 0;
    let maxRunning = 0;
    const sub = bus.subscribe(
      'tick.happened',
      async (e) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const n = (e.data as { n: number }).n;
        for (let i = 0; i < (n * 7) % 5; i++) await Promise.resolve();
        const list = perKey.get(e.streamId!) ?? [];
        list.push(n);
        perKey.set(e.streamId!, list);
        running--;
      },
      { queue: { capacity: 1000, concurrency: 4 } },
    );
    for (let n = 0; n < 300; n++) bus.emit(tick(n), { streamId: `s-${n % 5}` });
    await sub.idle();
    for (let k = 0; k < 5; k++) {
      const expected = Array.from({ length: 60 }, (_, i) => i * 5 + k);
      expect(perKey.get(`s-${k}`)).toEqual(expected);
    }
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(4);
    expect(sub.stats().queue).toMatchObject({ processed: 300, failed: 0, length: 0, inFlight: 0 });
  });

  it('drop-oldest and drop-newest count what they drop and never exceed capacity', async () => {
    const bus = createEventBus();
    const oldest: number[] = [];
    const newest: number[] = [];
    const g = gate();
    const a = bus.subscribe(
      'tick.happened',
      async (e) => {
        await g.promise;
        oldest.push((e.data as { n: number }).n);
      },
      { queue: { capacity: 3, overflow: 'drop-oldest' } },
    );
    const b = bus.subscribe(
      'tick.happened',
      async (e) => {
        await g.promise;
        newest.push((e.data as { n: number }).n);
      },
      { queue: { capacity: 3, overflow: 'drop-newest' } },
    );
    bus.emit(tick(0));
    await Promise.resolve(); // let both workers take message 0
    for (let n = 1; n <= 10; n++) bus.emit(tick(n));
    expect(a.stats().queue).toMatchObject({ length: 3, dropped: 7, highWaterMark: 3 });
    expect(b.stats().queue).toMatchObject({ length: 3, dropped: 7, highWaterMark: 3 });
    g.open();
    await Promise.all([a.idle(), b.idle()]);
    expect(oldest).toEqual([0, 8, 9, 10]);
    expect(newest).toEqual([0, 1, 2, 3]);
  });

  it('error policy rejects the publish and delivers to nobody', async () => {
    const bus = createEventBus();
    const g = gate();
    const inline: number[] = [];
    bus.subscribe('tick.happened', (e) => void inline.push((e.data as { n: number }).n));
    const sub = bus.subscribe('tick.happened', () => g.promise, { queue: { capacity: 1, overflow: 'error' } });
    bus.emit(tick(1));
    await Promise.resolve();
    bus.emit(tick(2)); // queued, fills capacity 1
    expect(() => bus.emit(tick(3))).toThrow(QueueFullError);
    await expect(bus.publish(tick(4))).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    expect(inline).toEqual([1, 2]);
    g.open();
    await sub.idle();
  });

  it('wait policy: awaited publish waits for room, emit refuses, the queue never exceeds capacity', async () => {
    const bus = createEventBus();
    const gates = Array.from({ length: 5 }, gate);
    const seen: number[] = [];
    const sub = bus.subscribe(
      'tick.happened',
      async (e) => {
        const n = (e.data as { n: number }).n;
        await gates[n]!.promise;
        seen.push(n);
      },
      { queue: { capacity: 2 } },
    );
    await bus.publish(tick(0));
    await Promise.resolve();
    await bus.publish(tick(1));
    await bus.publish(tick(2));
    let third = false;
    const pending = bus.publish(tick(3)).then(() => (third = true));
    expect(() => bus.emit(tick(4))).toThrow(expect.objectContaining({ code: 'QUEUE_FULL' }));
    await Promise.resolve();
    expect(third).toBe(false);
    expect(sub.stats().queue).toMatchObject({ length: 2, waitingPublishers: 1 });
    gates[0]!.open();
    await pending;
    expect(third).toBe(true);
    for (const g of gates) g.open();
    await sub.idle();
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(sub.stats().queue!.highWaterMark).toBe(2);
  });

  it('a handler publishing into its own full queue gets QUEUE_DEADLOCK instead of hanging', async () => {
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ onError: (f) => failures.push(f) });
    const g = gate();
    let first = true;
    const sub = bus.subscribe(
      'tick.happened',
      async (_e, ctx) => {
        if (!first) return;
        first = false;
        await g.promise;
        await ctx.publish(tick(99));
      },
      { queue: { capacity: 1 }, name: 'self-feeder' },
    );
    bus.emit(tick(1));
    await Promise.resolve();
    bus.emit(tick(2)); // fills the queue while the handler is held
    g.open();
    await sub.idle();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toBeInstanceOf(QueueFullError);
    expect((failures[0]!.error as QueueFullError).code).toBe('QUEUE_DEADLOCK');
    expect(failures[0]!.handler).toBe('self-feeder');
  });

  it('also when the publish into its own full queue goes through an inline handler it awaits', async () => {
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ onError: (f) => failures.push(f) });
    const g = gate();
    const sub = bus.subscribe(
      'job.*',
      async (e, ctx) => {
        if (e.type !== 'job.started') return;
        await g.promise;
        await ctx.publish({ type: 'note.made', data: {} }); // awaits the inline handler below
      },
      { queue: { capacity: 1 }, name: 'jobs' },
    );
    bus.subscribe('note.made', (_e, ctx) => ctx.publish({ type: 'job.continued', data: {} }), { name: 'noter' });
    bus.emit({ type: 'job.started', data: {} });
    await Promise.resolve();
    bus.emit({ type: 'job.queued', data: {} }); // fills the queue while the handler is held
    g.open();
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    expect(failures[0]!.handler).toBe('noter');
    expect((failures[0]!.error as QueueFullError).code).toBe('QUEUE_DEADLOCK');
    await sub.idle();
  });

  it('reports lag from the clock and isolates queued failures', async () => {
    const clock = createFakeClock({ now: 1_000 });
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ clock, onError: (f) => failures.push(f) });
    const g = gate();
    const sub = bus.subscribe(
      'tick.happened',
      async (e) => {
        await g.promise;
        if ((e.data as { n: number }).n === 2) throw new Error('two');
      },
      { queue: true, name: 'q' },
    );
    bus.emit(tick(1));
    await Promise.resolve();
    bus.emit(tick(2));
    await clock.advance(250);
    expect(sub.stats().queue!.lagMs).toBe(250);
    g.open();
    await sub.idle();
    expect(sub.stats().queue).toMatchObject({ processed: 1, failed: 1, lagMs: 0 });
    expect(failures.map((f) => f.handler)).toEqual(['q']);
  });

  it('rejects invalid queue options at subscribe', () => {
    const bus = createEventBus();
    expect(() => bus.subscribe('a.b', () => {}, { queue: { capacity: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => bus.subscribe('a.b', () => {}, { queue: { concurrency: 1.5 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => bus.subscribe('a.b', () => {}, { queue: { overflow: 'explode' as 'wait' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('close drains queued handlers, then refuses more', async () => {
    const bus = createEventBus();
    const seen: number[] = [];
    bus.subscribe(
      'tick.happened',
      async (e) => {
        await Promise.resolve();
        seen.push((e.data as { n: number }).n);
      },
      { queue: true },
    );
    for (let n = 0; n < 10; n++) bus.emit(tick(n));
    await bus.close();
    expect(seen).toHaveLength(10);
    expect(bus.closed).toBe(true);
  });
});

describe('close drains what was published before it', () => {
  it('a publish still validating with its schema reaches every subscriber, queued ones included', async () => {
    const Measured = defineEvent('x.measured', z.object({ n: z.number() }));
    const bus = createEventBus({ events: [Measured] });
    const seen: string[] = [];
    bus.subscribe('x.measured', () => void seen.push('queued'), { queue: true });
    bus.subscribe('x.measured', () => void seen.push('inline'));
    const published = bus.publish(Measured({ n: 1 })); // validation awaits: close() is called meanwhile
    await bus.close();
    await expect(published).resolves.toBeUndefined();
    expect(seen.sort()).toEqual(['inline', 'queued']);
  });

  it('a publish held in publish middleware is delivered before close() resolves', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({
      clock,
      middleware: {
        publish: [
          async (_ctx, next) => {
            await clock.sleep(10); // e.g. a rate limit in wait mode
            return next();
          },
        ],
      },
    });
    const seen: number[] = [];
    bus.subscribe('tick.happened', (e) => void seen.push((e.data as { n: number }).n), { queue: true });
    const published = bus.publish(tick(1));
    let closed = false;
    const closing = bus.close().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    await clock.advance(10);
    await closing;
    await expect(published).resolves.toBeUndefined();
    expect(seen).toEqual([1]);
  });

  it('a publish waiting for room in a wait queue is delivered, not refused, when close() drains the queue', async () => {
    const bus = createEventBus();
    const g = gate();
    const seen: number[] = [];
    bus.subscribe(
      'tick.happened',
      async (e) => {
        await g.promise;
        seen.push((e.data as { n: number }).n);
      },
      { queue: { capacity: 1 } },
    );
    bus.emit(tick(1));
    await Promise.resolve();
    bus.emit(tick(2)); // full
    const waiting = bus.publish(tick(3));
    const closing = bus.close();
    g.open();
    await closing;
    await expect(waiting).resolves.toBeUndefined();
    expect(seen).toEqual([1, 2, 3]);
    await expect(bus.publish(tick(4))).rejects.toMatchObject({ code: 'BUS_CLOSED' });
  });
});

describe('stream', () => {
  it('yields matching events in order and unsubscribes when the loop ends', async () => {
    const bus = createEventBus();
    const stream = bus.stream('tick.*');
    for (let n = 0; n < 5; n++) bus.emit(tick(n));
    const seen: number[] = [];
    for await (const e of stream) {
      seen.push((e.data as { n: number }).n);
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(bus.stats()).toHaveLength(0);
  });

  it('applies backpressure: an awaited publish waits for the consumer', async () => {
    const bus = createEventBus();
    const stream = bus.stream('tick.*', { capacity: 2 });
    await bus.publish(tick(0)); // handed to the worker, waiting for a consumer
    await Promise.resolve();
    await bus.publish(tick(1));
    await bus.publish(tick(2)); // queue now full (2)
    let published = false;
    const blocked = bus.publish(tick(3)).then(() => (published = true));
    await new Promise((r) => setImmediate(r));
    expect(published).toBe(false);
    expect(stream.stats().queue!.length).toBe(2);
    const first = await stream.next();
    expect(first.value!.data).toEqual({ n: 0 });
    await blocked;
    expect(published).toBe(true);
    const rest: number[] = [];
    for (let i = 0; i < 3; i++) rest.push(((await stream.next()).value!.data as { n: number }).n);
    expect(rest).toEqual([1, 2, 3]);
    stream[Symbol.dispose]();
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('answers next() calls made without awaiting the previous one, in order', async () => {
    const bus = createEventBus();
    const stream = bus.stream('tick.*');
    const got: number[] = [];
    const first = stream.next().then((r) => got.push((r.value!.data as { n: number }).n));
    const second = stream.next().then((r) => got.push((r.value!.data as { n: number }).n));
    const third = stream.next();
    bus.emit(tick(1));
    bus.emit(tick(2));
    await vi.waitFor(() => expect(got).toEqual([1, 2]));
    await Promise.all([first, second]);
    stream[Symbol.dispose]();
    await expect(third).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends when the bus closes', async () => {
    const bus = createEventBus();
    const stream = bus.stream('tick.*');
    const next = stream.next();
    await bus.close();
    await expect(next).resolves.toEqual({ value: undefined, done: true });
  });
});

describe('queued delivery when inline handlers publish', () => {
  it('a queued subscription sees an event before the events its inline handlers caused (publish order)', async () => {
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ onError: (f) => failures.push(f) });
    const seen: string[] = [];
    const q = bus.subscribe('**', (e) => void seen.push(e.type), { queue: true });
    bus.subscribe('a.happened', (_e, ctx) => ctx.emit({ type: 'b.happened', data: {} }));
    bus.emit({ type: 'a.happened', data: {} });
    await bus.publish({ type: 'a.happened', data: {} });
    await q.idle();
    expect(seen).toEqual(['a.happened', 'b.happened', 'a.happened', 'b.happened']);
    expect(failures).toEqual([]);
  });

  it('an inline handler filling a full-checked queue cannot make the outer publish fail after delivery', async () => {
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ onError: (f) => failures.push(f) });
    const g = gate();
    const seen: string[] = [];
    const q = bus.subscribe(
      '**',
      async (e) => {
        seen.push(e.type);
        await g.promise;
      },
      { queue: { capacity: 1 }, name: 'q' },
    );
    bus.emit({ type: 'x.y', data: 0 });
    await Promise.resolve(); // the worker holds x.y: the queue is empty, capacity 1
    bus.subscribe('a.happened', (_e, ctx) => ctx.emit({ type: 'b.happened', data: {} }));
    // Room is checked for a.happened, then its inline handler emits b.happened into the same queue.
    await expect(bus.publish({ type: 'a.happened', data: {} })).resolves.toBeUndefined();
    // a.happened took the room; the nested emit is the one refused (reported, never INTERNAL).
    expect(failures.map((f) => (f.error as QueueFullError).code)).toEqual(['QUEUE_FULL']);
    g.open();
    await q.idle();
    expect(seen).toEqual(['x.y', 'a.happened']);
  });
});

describe('wait overflow wake-ups', () => {
  it('a publisher woken by one queue but blocked by another passes the wake-up on', async () => {
    const bus = createEventBus();
    const gq = gate();
    const gr = gate();
    const q = bus.subscribe('**', () => gq.promise, { queue: { capacity: 1 }, name: 'Q' });
    const r = bus.subscribe('x.both', () => gr.promise, { queue: { capacity: 1 }, name: 'R' });
    bus.emit({ type: 'x.both', data: 0 });
    await Promise.resolve(); // both workers hold event 0
    bus.emit({ type: 'x.both', data: 1 }); // Q and R are full
    let both = false;
    let only = false;
    const first = bus.publish({ type: 'x.both', data: 2 }).then(() => (both = true)); // waits on Q, then R
    const second = bus.publish({ type: 'x.only', data: 3 }).then(() => (only = true)); // waits on Q only
    gq.open(); // Q drains; R stays full
    await q.idle();
    await vi.waitFor(() => expect(only).toBe(true));
    expect(both).toBe(false);
    expect(q.stats().queue!.waitingPublishers).toBe(0);
    gr.open();
    await Promise.all([first, second]);
    await Promise.all([q.idle(), r.idle()]);
    expect(q.stats().queue!.processed).toBe(4);
    expect(r.stats().queue!.processed).toBe(3);
  });
});
