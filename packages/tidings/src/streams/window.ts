import { ValidationError } from '../errors.js';
import type { CommonStageOptions } from './define-stage.js';
import { commonOptions, defineStage } from './define-stage.js';
import type { Duration } from './options.js';
import { durationOption, formatDuration, functionOption, invalidOption } from './options.js';
import type { Stage } from './stage.js';

/** The items of one key that fell in `[start, end)` (clock or event time, epoch milliseconds). */
export interface Window<T, K = undefined> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly items: T[];
}

export interface WindowOptions<T, K> extends CommonStageOptions {
  /** The key: one window per key and time span. Absent: one window per time span for all items. */
  readonly by?: (item: T) => K;
  /** Length of a window. */
  readonly size: Duration;
  /** Distance between window starts: sliding windows when below `size` (each item joins `size / slide` windows). Default `size` (tumbling). */
  readonly slide?: Duration;
  /**
   * The item's own time (event time). Without it, windows use the time the item reached the stage
   * on the pipeline's clock (processing time) and close on a timer.
   */
  readonly eventTime?: (item: T) => number | Date;
  /**
   * Event time only: how far behind the latest event time an item may be and still join its
   * window. A window is emitted once the watermark (latest event time minus `lateness`) reaches
   * its end; an item whose window was already emitted is late: counted and reported. Default 0.
   */
  readonly lateness?: Duration;
}

const KEYS = ['by', 'size', 'slide', 'eventTime', 'lateness'];

/**
 * Groups items into time windows per key: tumbling (`size`) or sliding (`size` and `slide`), in
 * event time (`eventTime`, with a bounded `lateness`) or processing time. Windows start on
 * multiples of `slide` since the epoch. Each window is emitted once, when it closes — by the
 * watermark (event time), by a timer at its end (processing time), or when the input ends —
 * in order of start, keys in order of first arrival. A key or time function that throws skips the
 * item (counted and reported) unless `onError: 'stop'`.
 *
 * @example
 * window({ by: (r: Reading) => r.sensorId, size: '10s', eventTime: (r) => r.at, lateness: '2s' });
 */
export function window<T, K = undefined>(options: WindowOptions<T, K>): Stage<T, Window<T, K>> {
  const { name, onError } = commonOptions('window', options, KEYS);
  functionOption('window', 'by', options.by, true);
  functionOption('window', 'eventTime', options.eventTime, true);
  const size = durationOption('window', 'size', options.size);
  const slide = options.slide === undefined ? size : durationOption('window', 'slide', options.slide);
  if (slide > size) {
    throw invalidOption(
      'window',
      'slide',
      options.slide,
      `a duration <= size (${formatDuration(size)}); a larger slide would leave gaps`,
    );
  }
  const eventTime = options.eventTime;
  if (eventTime === undefined && options.lateness !== undefined) {
    throw new ValidationError(
      "window: option 'lateness' applies to event-time windows only: pass 'eventTime' too, or remove 'lateness' (processing-time items are never late).",
      [{ path: ['lateness'], message: 'needs eventTime' }],
      { code: 'INVALID_OPTION' },
    );
  }
  const lateness = options.lateness === undefined ? 0 : durationOption('window', 'lateness', options.lateness, true);
  const by = options.by;
  const label = `window(${formatDuration(size)}${slide === size ? '' : ` every ${formatDuration(slide)}`}${by === undefined ? '' : ', by key'}, ${eventTime === undefined ? 'processing time' : 'event time'})`;

  return defineStage<T, Window<T, K>>('window', name ?? label, onError, 'skip', (ctx) => {
    /** Open window starts, ascending; each with its windows per key. */
    const starts: number[] = [];
    const open = new Map<number, Map<K, T[]>>();
    let held = 0;
    let maxEventTime = Number.NEGATIVE_INFINITY;
    let watermark = Number.NEGATIVE_INFINITY;

    const add = (start: number, key: K, item: T): void => {
      let keys = open.get(start);
      if (keys === undefined) {
        keys = new Map();
        open.set(start, keys);
        let i = starts.length;
        while (i > 0 && (starts[i - 1] as number) > start) i--;
        starts.splice(i, 0, start);
      }
      const items = keys.get(key);
      if (items === undefined) keys.set(key, [item]);
      else items.push(item);
      held++;
    };

    const emitStart = (start: number): void => {
      const keys = open.get(start);
      open.delete(start);
      if (keys === undefined) return;
      for (const [key, items] of keys) {
        held -= items.length;
        ctx.emit({ key, start, end: start + size, items });
      }
    };

    /** Emits every window that ends at or before `time`. */
    const closeUpTo = (time: number): void => {
      while (starts.length > 0 && (starts[0] as number) + size <= time) emitStart(starts.shift() as number);
    };

    const timeOf = (item: T): number => {
      if (eventTime === undefined) return ctx.clock.now();
      const raw = eventTime(item);
      const t = raw instanceof Date ? raw.getTime() : raw;
      if (typeof t !== 'number' || !Number.isFinite(t)) {
        throw new ValidationError(
          `window: eventTime returned ${String(raw)}; expected a finite number of epoch milliseconds or a valid Date.`,
          [{ path: ['eventTime'], message: 'not a time' }],
          { code: 'INVALID_EVENT_TIME' },
        );
      }
      return t;
    };

    return {
      push(item) {
        // Key and time first: if either throws, nothing has changed.
        const key = by === undefined ? (undefined as K) : by(item);
        const t = timeOf(item);
        if (eventTime === undefined) closeUpTo(t); // a timer that has not run yet must not let the window grow
        let missed = 0;
        for (let start = Math.floor(t / slide) * slide; start > t - size; start -= slide) {
          if (start + size <= watermark) missed++;
          else add(start, key, item);
        }
        if (missed > 0) ctx.discard(item, 'late', { missedWindows: missed });
        if (eventTime !== undefined) {
          if (t > maxEventTime) {
            maxEventTime = t;
            watermark = t - lateness;
            closeUpTo(watermark);
          }
        } else if (starts.length > 0) {
          ctx.wakeAt((starts[0] as number) + size);
        }
      },
      onTimer(now) {
        closeUpTo(now);
        if (starts.length > 0) ctx.wakeAt((starts[0] as number) + size);
      },
      end() {
        while (starts.length > 0) emitStart(starts.shift() as number);
      },
      stop() {
        const dropped = held;
        starts.length = 0;
        open.clear();
        held = 0;
        return dropped;
      },
      held: () => held,
      details: () => ({
        openWindows: [...open.values()].reduce((n, keys) => n + keys.size, 0),
        ...(eventTime === undefined ? {} : { watermark }),
      }),
    };
  });
}
