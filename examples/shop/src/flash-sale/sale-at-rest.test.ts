import { describe, expect, it } from 'vitest';
import { lookAtRest, type RestLook, type RestProbe } from './sale-at-rest.js';
import type { SaleProgress } from './simulation.js';

/**
 * One unpaid order whose payment timeout is pending. `fire()` is the poller firing it: the timer
 * is gone, the fired event and the saga's transition are stored, the cancel is in flight until
 * the next catch-up delivers it (order cancelled, stock released).
 */
function saleWithOneTimer() {
  const w = { timers: 1, events: 10, unlocked: 0, cancelInFlight: false };
  const progress = (): SaleProgress => ({
    placed: 1,
    paid: 0,
    timedOut: w.unlocked,
    cancelled: w.unlocked,
    waitListed: 0,
    servedFromWaitList: 0,
    locks: 1,
    unlocked: w.unlocked,
    events: w.events,
    latePaymentsRefused: 0,
  });
  return {
    w,
    fire(): void {
      if (w.timers === 0) return;
      w.timers = 0;
      w.events += 2;
      w.cancelInFlight = true;
    },
    probe: {
      pendingTimers: () => Promise.resolve(w.timers),
      settle: () => {
        if (w.cancelInFlight) {
          w.events += 2;
          w.unlocked = 1;
          w.cancelInFlight = false;
        }
        return Promise.resolve();
      },
      refresh: () => Promise.resolve(progress()),
    } satisfies RestProbe,
    progress,
  };
}

type Look = (probe: RestProbe, before: SaleProgress) => Promise<RestLook>;

/** The probe with the timer firing right after its `k`-th call (0: before the look). */
function firingAfter(k: number, sale: ReturnType<typeof saleWithOneTimer>): RestProbe {
  let calls = 0;
  const after = async <T>(value: Promise<T>): Promise<T> => {
    const v = await value;
    if (++calls === k) sale.fire();
    return v;
  };
  if (k === 0) sale.fire();
  return {
    pendingTimers: () => after(sale.probe.pendingTimers()),
    settle: () => after(sale.probe.settle()),
    refresh: () => after(sale.probe.refresh()),
  };
}

/** Every interleaving of the firing with the look's three calls: the looks that called the sale stuck while its cancel was in flight. */
async function wrongVerdicts(look: Look): Promise<number[]> {
  const wrong: number[] = [];
  for (let k = 0; k <= 3; k++) {
    const sale = saleWithOneTimer();
    const before = sale.progress();
    const result = await look(firingAfter(k, sale), before);
    if (result.quiet && (sale.w.cancelInFlight || sale.w.timers > 0)) wrong.push(k);
  }
  return wrong;
}

/** The look as it was before decision 1143's fix: the timers counted after the events. */
const timersCountedLast: Look = async (probe, before) => {
  await probe.settle();
  const progress = await probe.refresh();
  const timers = await probe.pendingTimers();
  return {
    progress,
    finished: progress.locks === progress.unlocked,
    quiet: timers === 0 && progress.events === before.events,
  };
};

describe('lookAtRest: when the simulation may stop', () => {
  it('never calls a sale stuck while a timer fires during the look, wherever the firing falls', async () => {
    expect(await wrongVerdicts(lookAtRest)).toEqual([]);
  });

  it('negative control: counting the timers after the events calls it stuck when the timer fires in between', async () => {
    expect(await wrongVerdicts(timersCountedLast)).toEqual([2]);
  });

  it('sees a sale that is stuck for good (no timer, nothing recorded) and one that finished', async () => {
    const stuck = saleWithOneTimer();
    stuck.w.timers = 0; // the timer is gone and nothing moves: the broken flow the report must show
    const look = await lookAtRest(stuck.probe, stuck.progress());
    expect(look).toMatchObject({ quiet: true, finished: false });

    const done = saleWithOneTimer();
    done.fire();
    await done.probe.settle();
    const settled = await lookAtRest(done.probe, done.progress());
    expect(settled).toMatchObject({ quiet: true, finished: true });
  });
});
