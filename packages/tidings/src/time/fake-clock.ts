import type { Clock, TimerHandle } from './clock.js';
import { sleepOn } from './clock.js';

/** A {@link Clock} that only moves when told to. Advancing it fires due timers in order. */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in due order, with
   * `now()` set to each timer's due time. Between timers it lets pending promise callbacks run,
   * so code that awaits a sleep and then schedules another one is followed through.
   */
  advance(ms: number): Promise<void>;
  /** Advances to the next due timer and fires it (and any due at the same instant). Returns false when none is pending. */
  next(): Promise<boolean>;
  /** Fires timers until none is pending or `limit` timers fired. Returns how many fired. */
  runAll(limit?: number): Promise<number>;
  /** How many timers are scheduled and not yet fired or cancelled. */
  pending(): number;
}

interface FakeTimer {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Lets queued microtasks and immediate callbacks run before the next timer fires. */
function settle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });
}

/**
 * Creates a deterministic clock for tests.
 *
 * @example
 * const clock = createFakeClock({ now: Date.parse('2026-01-01T00:00:00Z') });
 * const done = clock.sleep(15 * 60_000);
 * await clock.advance(15 * 60_000); // `done` resolves, no real waiting
 */
export function createFakeClock(options: { now?: number } = {}): FakeClock {
  let now = options.now ?? 0;
  let seq = 0;
  let timers: FakeTimer[] = [];

  const due = (until: number): FakeTimer | undefined => {
    let best: FakeTimer | undefined;
    for (const t of timers) {
      if (t.cancelled || t.due > until) continue;
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  };
  const fire = (timer: FakeTimer): void => {
    timers = timers.filter((t) => t !== timer);
    now = Math.max(now, timer.due);
    timer.callback();
  };

  const clock: FakeClock = {
    now: () => now,
    setTimeout(callback, ms) {
      const timer: FakeTimer = { due: now + Math.max(0, ms), seq: seq++, callback, cancelled: false };
      timers.push(timer);
      const cancel = (): void => {
        timer.cancelled = true;
        timers = timers.filter((t) => t !== timer);
      };
      const handle: TimerHandle = { cancel, [Symbol.dispose]: cancel };
      return handle;
    },
    sleep(ms, signal) {
      return sleepOn(clock, ms, signal);
    },
    async advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(ms) expects a non-negative number of milliseconds, got ${ms}`);
      const target = now + ms;
      await settle();
      for (let t = due(target); t !== undefined; t = due(target)) {
        fire(t);
        await settle();
      }
      now = target;
      await settle();
    },
    async next() {
      await settle(); // let pending callbacks schedule their timers first
      const t = due(Number.POSITIVE_INFINITY);
      if (t === undefined) return false;
      await clock.advance(t.due - now);
      return true;
    },
    async runAll(limit = 10_000) {
      let fired = 0;
      while (fired < limit && (await clock.next())) fired++;
      return fired;
    },
    pending: () => timers.length,
  };
  return clock;
}
