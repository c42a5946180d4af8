import { describe, expect, it } from 'vitest';
import { createEventBus, defineEvent, payload, QueueFullError } from 'tidings';
import type { FakeClock } from 'tidings/testing';
import { createFakeClock } from 'tidings/testing';
import type { Discarded, PipelineStats } from 'tidings/streams';
import { buffer, pipe, StageError } from 'tidings/streams';

// A producer ten times faster than its consumer: one item per millisecond in, ten milliseconds per
// item out, through a buffer of CAPACITY, on a fake clock. Memory is read from the buffer's own
// counters at every step; the producer's progress shows whether it was slowed.
const CAPACITY = 50;
const TOTAL = 1_000;

interface Burst {
  readonly clock: FakeClock;
  readonly produced: () => number;
  readonly consumed: number[];
  readonly discarded: Discarded[];
  readonly done: Promise<PipelineStats>;
  /** Largest `buffered` and buffer length seen while advancing. */
  readonly peaks: { buffered: number; length: number };
  stats(): PipelineStats;
  /** Advances the clock `ms` in 1 ms steps, sampling the counters at each. */
  advance(ms: number): Promise<void>;
}

function burst(overflow: 'wait' | 'drop-oldest' | 'drop-newest' | 'error'): Burst {
  const clock = createFakeClock();
  let produced = 0;
  async function* producer(): AsyncGenerator<number> {
    for (let i = 0; i < TOTAL; i++) {
      await clock.sleep(1);
      produced++;
      yield i;
    }
  }
  const consumed: number[] = [];
  const discarded: Discarded[] = [];
  const running = pipe(producer(), buffer<number>({ capacity: CAPACITY, overflow })).start({
    clock,
    onDiscard: (d) => discarded.push(d),
  });
  const done = running.pipeTo(async (n) => {
    await clock.sleep(10);
    consumed.push(n);
  });
  done.catch(() => undefined); // asserted by the tests that expect a failure
  const peaks = { buffered: 0, length: 0 };
  return {
    clock,
    produced: () => produced,
    consumed,
    discarded,
    done,
    peaks,
    stats: () => running.stats(),
    async advance(ms) {
      for (let t = 0; t < ms; t++) {
        await clock.advance(1);
        const stats = running.stats();
        const queue = stats.stages[0]?.details as { length: number } | undefined;
        peaks.buffered = Math.max(peaks.buffered, stats.buffered);
        peaks.length = Math.max(peaks.length, queue?.length ?? 0);
      }
    },
  };
}

const queueOf = (stats: PipelineStats): { highWaterMark: number; length: number; capacity: number } =>
  stats.stages[0]?.details as { highWaterMark: number; length: number; capacity: number };

describe('burst: a producer 10x faster than the consumer', () => {
  it('wait: the producer is slowed to the consumer’s pace; nothing is lost; memory stays at capacity', async () => {
    const b = burst('wait');
    await b.advance(1_000);
    // Unimpeded, the producer would be at 1 000. It is held to what was consumed plus the buffer
    // (plus the item at the sink and the one waiting for room).
    expect(b.consumed.length).toBeGreaterThanOrEqual(90);
    expect(b.produced()).toBeLessThanOrEqual(b.consumed.length + CAPACITY + 2);
    expect(queueOf(b.stats()).highWaterMark).toBe(CAPACITY);
    expect(b.peaks.length).toBeLessThanOrEqual(CAPACITY);
    await b.advance(10_000 - 1_000 + 20);
    const stats = await b.done;
    expect(b.consumed).toEqual(Array.from({ length: TOTAL }, (_, i) => i)); // all, in order
    expect(stats).toMatchObject({ state: 'ended', dropped: 0, in: TOTAL, out: TOTAL });
    expect(b.discarded).toEqual([]);
  });

  it('drop-newest: the producer is not slowed; what does not fit is dropped and counted; the oldest are kept', async () => {
    const b = burst('drop-newest');
    await b.advance(1_000);
    expect(b.produced()).toBe(TOTAL); // not slowed
    const stats = b.stats();
    expect(queueOf(stats).highWaterMark).toBe(CAPACITY);
    expect(b.peaks.length).toBeLessThanOrEqual(CAPACITY);
    expect(b.peaks.buffered).toBeLessThanOrEqual(CAPACITY);
    // Every item is accounted for: consumed, at the sink, waiting in the buffer, or dropped.
    expect(stats.dropped).toBeGreaterThan(TOTAL - 100 - CAPACITY - 5);
    expect(b.discarded).toHaveLength(stats.dropped);
    await b.advance(2_000);
    const final = await b.done;
    expect(b.consumed.length + final.dropped).toBe(TOTAL);
    expect(b.consumed.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.discarded.every((d) => d.reason === 'overflow')).toBe(true);
    expect(new Set([...b.consumed, ...b.discarded.map((d) => d.item as number)]).size).toBe(TOTAL);
  });

  it('drop-oldest: the producer is not slowed; the oldest waiting items make room; the newest are kept', async () => {
    const b = burst('drop-oldest');
    await b.advance(1_000);
    expect(b.produced()).toBe(TOTAL);
    expect(queueOf(b.stats()).highWaterMark).toBe(CAPACITY);
    expect(b.peaks.length).toBeLessThanOrEqual(CAPACITY);
    await b.advance(2_000);
    const final = await b.done;
    expect(b.consumed.length + final.dropped).toBe(TOTAL);
    expect(b.consumed.slice(-CAPACITY)).toEqual(Array.from({ length: CAPACITY }, (_, i) => TOTAL - CAPACITY + i));
    expect(new Set([...b.consumed, ...b.discarded.map((d) => d.item as number)]).size).toBe(TOTAL);
  });

  it('error: the pipeline stops with QueueFullError once the buffer is full', async () => {
    const b = burst('error');
    await b.advance(200);
    const error = await b.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StageError);
    expect((error as StageError).cause).toBeInstanceOf(QueueFullError);
    expect(b.produced()).toBeLessThanOrEqual(CAPACITY + 10);
    expect(b.stats()).toMatchObject({ state: 'failed' });
    expect(b.peaks.length).toBeLessThanOrEqual(CAPACITY);
  });

  it('negative control: without a bounded buffer the same burst is not held back (the checks above can fail)', async () => {
    // The same producer into a sink that does not wait: it runs at full speed, so a "slowed" check
    // against it fails — proof that the wait test measures the buffer, not the fake clock.
    const clock = createFakeClock();
    let produced = 0;
    async function* producer(): AsyncGenerator<number> {
      for (let i = 0; i < TOTAL; i++) {
        await clock.sleep(1);
        produced++;
        yield i;
      }
    }
    const pending: Promise<void>[] = [];
    const done = pipe(producer())
      .start({ clock })
      .pipeTo((n) => {
        pending.push(clock.sleep(10).then(() => undefined)); // fire and forget: no backpressure
        return n;
      });
    await clock.advance(1_000);
    expect(produced).toBeGreaterThan(100 + CAPACITY + 2);
    await clock.runAll();
    await done;
    await Promise.all(pending);
  });
});

describe('burst from the bus: backpressure reaches the publisher', () => {
  const Tick = defineEvent('bench.tick', payload<{ n: number }>());

  it('a bus publisher awaiting publish() is held back by a full wait buffer downstream', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ events: [Tick], clock });
    const STREAM_CAPACITY = 8;
    const source = bus.stream('bench.tick', { capacity: STREAM_CAPACITY });
    const consumed: number[] = [];
    const running = pipe(
      source,
      buffer<typeof source extends AsyncIterable<infer E> ? E : never>({ capacity: 16 }),
    ).start({
      clock,
    });
    const done = running.pipeTo(async (e) => {
      await clock.sleep(10);
      consumed.push(e.data.n);
    });
    let published = 0;
    const publisher = (async () => {
      for (let n = 0; n < 300; n++) {
        await clock.sleep(1);
        await bus.publish(Tick({ n }));
        published++;
      }
    })();
    for (let t = 0; t < 1_000; t++) await clock.advance(1);
    // Bounded by what was consumed + the stream's queue + the buffer + the items in hand.
    expect(consumed.length).toBeGreaterThanOrEqual(90);
    expect(published).toBeLessThanOrEqual(consumed.length + STREAM_CAPACITY + 16 + 4);
    expect(source.stats().queue?.highWaterMark).toBeLessThanOrEqual(STREAM_CAPACITY);
    for (let steps = 0; consumed.length < 300 && steps < 1_000; steps++) await clock.advance(10);
    await publisher;
    // close() ends the stream (the bus drops what is still queued in it, so this waits for the
    // consumer first): the pipeline sees its source end and finishes.
    const closed = bus.close();
    await clock.runAll();
    await closed;
    const stats = await done;
    expect(stats.state).toBe('ended');
    expect(consumed).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});
