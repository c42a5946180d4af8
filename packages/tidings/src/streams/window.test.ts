import { describe, expect, it } from 'vitest';
import { createFakeClock } from 'tidings/testing';
import type { Discarded, Window } from 'tidings/streams';
import { aggregate, map, pipe, window } from 'tidings/streams';

interface Reading {
  readonly sensor: string;
  readonly at: number;
  readonly value: number;
}

const r = (sensor: string, at: number, value = 0): Reading => ({ sensor, at, value });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A window reduced to what the assertions compare: key, span and the items' values. */
const brief = (w: Window<Reading, string | undefined>): string =>
  `${w.key ?? '*'} [${w.start},${w.end}) ${w.items.map((i) => i.value).join(',')}`;

describe('window, event time', () => {
  it('tumbling: an item at a window end belongs to the next window; windows close when the watermark passes', async () => {
    const input = [
      r('a', 0, 1),
      r('a', 9_999, 2),
      r('a', 10_000, 3),
      r('b', 10_500, 4),
      r('a', 19_999, 5),
      r('a', 20_000, 6),
    ];
    const out = await collect(
      pipe(input, window({ by: (x: Reading) => x.sensor, size: '10s', eventTime: (x) => x.at })),
    );
    expect(out.map(brief)).toEqual([
      'a [0,10000) 1,2',
      'a [10000,20000) 3,5',
      'b [10000,20000) 4',
      'a [20000,30000) 6',
    ]);
  });

  it('emits a window as soon as the watermark reaches its end, before the input ends', async () => {
    const emitted: string[] = [];
    async function* feed(): AsyncGenerator<Reading> {
      yield r('a', 1_000, 1);
      yield r('a', 9_000, 2);
      expect(emitted).toEqual([]);
      yield r('a', 10_000, 3); // watermark 10 000: [0, 10 000) closes
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(emitted).toEqual(['a [0,10000) 1,2']);
    }
    await pipe(feed(), window({ by: (x: Reading) => x.sensor, size: 10_000, eventTime: (x) => x.at }))
      .start()
      .pipeTo((w) => void emitted.push(brief(w)));
    expect(emitted).toEqual(['a [0,10000) 1,2', 'a [10000,20000) 3']);
  });

  it('accepts items out of order within the allowed lateness', async () => {
    const input = [r('a', 1_000, 1), r('a', 11_000, 2), r('a', 9_000, 3), r('a', 12_500, 4), r('a', 8_000, 5)];
    const discarded: Discarded[] = [];
    const running = pipe(
      input,
      window({ by: (x: Reading) => x.sensor, size: '10s', eventTime: (x) => x.at, lateness: '2s' }),
    ).start({ onDiscard: (d) => discarded.push(d) });
    const out = await collect(running);
    // 9 000 arrives with the watermark at 9 000 (11 000 − 2 000): still on time. 12 500 moves the
    // watermark to 10 500 and closes [0, 10 000); 8 000 is then late: counted, reported, not lost.
    expect(out.map(brief)).toEqual(['a [0,10000) 1,3', 'a [10000,20000) 2,4']);
    expect(running.stats()).toMatchObject({ late: 1 });
    expect(discarded).toEqual([
      { stage: 'window(10s, by key, event time)', reason: 'late', item: input[4], missedWindows: 1 },
    ]);
  });

  it('without lateness, an item behind the newest one is late once its window closed', async () => {
    const running = pipe(
      [r('a', 10_000, 1), r('a', 9_999, 2)],
      window({ size: '10s', eventTime: (x: Reading) => x.at }),
    ).start();
    const out = await collect(running);
    expect(out.map(brief)).toEqual(['* [10000,20000) 1']);
    expect(running.stats().late).toBe(1);
    // negative control: with 1 ms of lateness the same item is on time.
    const tolerant = pipe(
      [r('a', 10_000, 1), r('a', 9_999, 2)],
      window({ size: '10s', eventTime: (x: Reading) => x.at, lateness: 1 }),
    ).start();
    expect((await collect(tolerant)).map(brief)).toEqual(['* [0,10000) 2', '* [10000,20000) 1']);
    expect(tolerant.stats().late).toBe(0);
  });

  it('sliding: each item joins size/slide windows, aligned to multiples of slide', async () => {
    const input = [r('a', 0, 1), r('a', 5_000, 2), r('a', 12_000, 3)];
    const out = await collect(pipe(input, window({ size: '10s', slide: '5s', eventTime: (x: Reading) => x.at })));
    expect(out.map(brief)).toEqual(['* [-5000,5000) 1', '* [0,10000) 1,2', '* [5000,15000) 2,3', '* [10000,20000) 3']);
  });

  it('a sliding window item partly late joins the open windows and reports the ones it missed', async () => {
    const discarded: Discarded[] = [];
    const running = pipe(
      [r('a', 20_000, 1), r('a', 16_000, 2)],
      window({ size: '10s', slide: '5s', eventTime: (x: Reading) => x.at }),
    ).start({ onDiscard: (d) => discarded.push(d) });
    const out = await collect(running);
    // Watermark 20 000: [10 000, 20 000) and everything before have closed; 16 000 still joins [15 000, 25 000).
    expect(out.map(brief)).toEqual(['* [15000,25000) 1,2', '* [20000,30000) 1']);
    expect(discarded).toMatchObject([{ reason: 'late', missedWindows: 1 }]);
  });

  it('accepts a Date as event time', async () => {
    const out = await collect(
      pipe([{ at: new Date('2026-01-01T00:00:05Z') }], window({ size: '1m', eventTime: (x: { at: Date }) => x.at })),
    );
    expect(out[0]?.start).toBe(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('a key function that throws skips the item: counted and reported; the rest goes on', async () => {
    const discarded: Discarded[] = [];
    const boom = new Error('no sensor id');
    const by = (x: Reading): string => {
      if (x.sensor === '') throw boom;
      return x.sensor;
    };
    const running = pipe(
      [r('a', 1, 1), r('', 2, 2), r('a', 3, 3)],
      window({ by, size: '10s', eventTime: (x) => x.at }),
    ).start({
      onDiscard: (d) => discarded.push(d),
    });
    expect((await collect(running)).map(brief)).toEqual(['a [0,10000) 1,3']);
    expect(running.stats()).toMatchObject({ skipped: 1, state: 'ended' });
    expect(discarded).toEqual([
      { stage: 'window(10s, by key, event time)', reason: 'error', item: r('', 2, 2), error: boom },
    ]);
  });

  it("…or stops the pipeline with onError: 'stop'", async () => {
    const by = (x: Reading): string => {
      if (x.sensor === '') throw new Error('no sensor id');
      return x.sensor;
    };
    await expect(
      collect(pipe([r('a', 1), r('', 2)], window({ by, size: '10s', eventTime: (x) => x.at, onError: 'stop' }))),
    ).rejects.toMatchObject({ code: 'STAGE_FAILED', item: r('', 2) });
  });

  it('an event time that is not a time is a skip with a clear error', async () => {
    const discarded: Discarded[] = [];
    const running = pipe([{ at: Number.NaN }], window({ size: '1s', eventTime: (x: { at: number }) => x.at })).start({
      onDiscard: (d) => discarded.push(d),
    });
    await collect(running);
    expect(discarded[0]?.error).toMatchObject({ code: 'INVALID_EVENT_TIME' });
  });
});

describe('window, processing time (fake clock)', () => {
  it('assigns items by the clock at arrival and closes each window on a timer at its end', async () => {
    const clock = createFakeClock({ now: 0 });
    const emitted: string[] = [];
    const arrivals: [number, string][] = [
      [1_000, 'a'],
      [9_999, 'b'],
      [10_000, 'c'],
      [15_000, 'd'],
    ];
    async function* feed(): AsyncGenerator<string> {
      let now = 0;
      for (const [at, v] of arrivals) {
        await clock.sleep(at - now);
        now = at;
        yield v;
      }
      await clock.sleep(60_000); // stays open: windows must close by their timer, not by the end of input
    }
    const running = pipe(feed(), window<string>({ size: '10s' })).start({ clock });
    const done = running.pipeTo((w) => void emitted.push(`[${w.start},${w.end}) ${w.items.join('')}`));
    await clock.advance(9_999);
    expect(emitted).toEqual([]);
    expect(running.stats().buffered).toBe(2);
    await clock.advance(1); // t = 10 000: the first window's timer
    expect(emitted).toEqual(['[0,10000) ab']);
    await clock.advance(9_999);
    expect(emitted).toEqual(['[0,10000) ab']);
    await clock.advance(1);
    expect(emitted).toEqual(['[0,10000) ab', '[10000,20000) cd']);
    await running.stop();
    await done;
  });

  it('keys get their own windows, emitted in order of first arrival', async () => {
    const clock = createFakeClock();
    const input = [r('b', 0, 1), r('a', 0, 2), r('b', 0, 3)];
    const running = pipe(input, window({ by: (x: Reading) => x.sensor, size: '1s' })).start({ clock });
    expect((await collect(running)).map(brief)).toEqual(['b [0,1000) 1,3', 'a [0,1000) 2']);
  });

  it('aggregate folds each window', async () => {
    const input = [r('a', 0, 20), r('a', 500, 22), r('b', 700, 30), r('a', 1_000, 25)];
    const out = await collect(
      pipe(
        input,
        window({ by: (x: Reading) => x.sensor, size: '1s', eventTime: (x) => x.at }),
        aggregate({
          initial: () => ({ sum: 0, n: 0 }),
          add: (acc, x) => ({ sum: acc.sum + x.value, n: acc.n + 1 }),
          result: (acc) => acc.sum / acc.n,
        }),
        map((a) => `${a.key}@${a.start}: ${a.value} (${a.count})`),
      ),
    );
    expect(out).toEqual(['a@0: 21 (2)', 'b@0: 30 (1)', 'a@1000: 25 (1)']);
  });
});
