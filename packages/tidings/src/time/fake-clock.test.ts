import { describe, expect, it } from 'vitest';
import { createFakeClock } from './fake-clock.js';

describe('fake clock', () => {
  it('fires timers in due order with now() at each due time, following chained sleeps', async () => {
    const clock = createFakeClock({ now: 1000 });
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    const chain = (async () => {
      await clock.sleep(50);
      fired.push(['s1', clock.now()]);
      await clock.sleep(100);
      fired.push(['s2', clock.now()]);
    })();
    await clock.advance(300);
    await chain;
    expect(fired).toEqual([
      ['s1', 1050],
      ['a', 1100],
      ['s2', 1150],
      ['b', 1200],
    ]);
    expect(clock.now()).toBe(1300);
  });

  it('does not fire cancelled timers and reports pending ones', async () => {
    const clock = createFakeClock();
    let fired = false;
    const t = clock.setTimeout(() => (fired = true), 10);
    expect(clock.pending()).toBe(1);
    t.cancel();
    await clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('rejects a sleep when its signal aborts, and an already-aborted one at once', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(clock.sleep(1, AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
    expect(clock.pending()).toBe(0);
  });

  it('runAll fires everything scheduled, a 15-minute timeout in no real time', async () => {
    const clock = createFakeClock();
    let timedOut = false;
    clock.setTimeout(() => (timedOut = true), 15 * 60_000);
    expect(await clock.runAll()).toBe(1);
    expect(timedOut).toBe(true);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });
});
