import { describe, expect, it } from 'vitest';
import { createFakeClock } from 'tidings/testing';
import type { Discarded } from 'tidings/streams';
import { pipe, throttle } from 'tidings/streams';

describe('throttle', () => {
  it('passes the first item per period and per key, counts and reports the rest (fake clock)', async () => {
    const clock = createFakeClock();
    const arrivals: [number, string][] = [
      [0, 'a1'],
      [100, 'a2'],
      [200, 'b1'],
      [999, 'a3'],
      [1_000, 'a4'],
      [1_200, 'b2'],
    ];
    async function* feed(): AsyncGenerator<string> {
      let now = 0;
      for (const [at, v] of arrivals) {
        await clock.sleep(at - now);
        now = at;
        yield v;
      }
    }
    const discarded: Discarded[] = [];
    const out: string[] = [];
    const done = pipe(feed(), throttle({ every: '1s', by: (s: string) => s[0] }))
      .start({ clock, onDiscard: (d) => discarded.push(d) })
      .pipeTo((s) => void out.push(s));
    await clock.runAll();
    const stats = await done;
    expect(out).toEqual(['a1', 'b1', 'a4', 'b2']);
    expect(discarded.map((d) => [d.reason, d.item])).toEqual([
      ['throttled', 'a2'],
      ['throttled', 'a3'],
    ]);
    expect(stats).toMatchObject({ throttled: 2, in: 6, out: 4 });
  });
});
