import { describe, expect, it } from 'vitest';
import { createFakeClock } from 'tidings/testing';
import { batch, pipe } from 'tidings/streams';

/** Yields `items` at the given clock times (ms), then stays open for `tail` ms. */
function timed<T>(clock: ReturnType<typeof createFakeClock>, items: [number, T][], tail = 60_000): AsyncIterable<T> {
  return (async function* () {
    let now = clock.now();
    for (const [at, item] of items) {
      await clock.sleep(at - now);
      now = at;
      yield item;
    }
    await clock.sleep(tail);
  })();
}

describe('batch', () => {
  it('emits full batches by size and the partial one when the input ends', async () => {
    const out: number[][] = [];
    await pipe([1, 2, 3, 4, 5, 6, 7], batch<number>({ size: 3 }))
      .start()
      .pipeTo((b) => void out.push(b));
    expect(out).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('emits by time, counted from the first item of the batch (fake clock)', async () => {
    const clock = createFakeClock();
    const out: [number, string[]][] = [];
    const source = timed(clock, [
      [100, 'a'],
      [4_000, 'b'],
      [5_200, 'c'],
    ]);
    const running = pipe(source, batch<string>({ size: 1000, within: '5s' })).start({ clock });
    const done = running.pipeTo((b) => void out.push([clock.now(), b]));
    await clock.advance(5_099);
    expect(out).toEqual([]);
    await clock.advance(1); // 100 + 5 000
    expect(out).toEqual([[5_100, ['a', 'b']]]);
    await clock.advance(5_099);
    expect(out).toHaveLength(1);
    await clock.advance(1); // 5 200 + 5 000
    expect(out).toEqual([
      [5_100, ['a', 'b']],
      [10_200, ['c']],
    ]);
    await clock.advance(30_000);
    expect(out).toHaveLength(2); // never an empty batch
    await running.stop();
    await done;
  });

  it('whichever comes first: size before time, then time before size', async () => {
    const clock = createFakeClock();
    const out: [number, number[]][] = [];
    const source = timed(clock, [
      [0, 1],
      [10, 2],
      [20, 3], // size 3 reached at 20
      [30, 4], // new batch, deadline 1 030
      [1_500, 5],
    ]);
    const running = pipe(source, batch<number>({ size: 3, within: '1s' })).start({ clock });
    const done = running.pipeTo((b) => void out.push([clock.now(), b]));
    await clock.advance(3_000);
    expect(out).toEqual([
      [20, [1, 2, 3]],
      [1_030, [4]], // the first batch's timer (at 1 000) did not cut the second batch short
      [2_500, [5]],
    ]);
    await running.stop();
    await done;
  });

  it('counts the open batch as buffered and drops it on stop', async () => {
    const clock = createFakeClock();
    const running = pipe(
      timed(clock, [
        [0, 1],
        [1, 2],
      ]),
      batch<number>({ size: 10 }),
    ).start({ clock });
    const done = running.pipeTo(() => undefined);
    await clock.advance(5);
    expect(running.stats()).toMatchObject({ buffered: 2 });
    expect((await running.stop()).discardedOnStop).toBe(2);
    await done;
  });
});
