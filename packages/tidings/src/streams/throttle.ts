import type { CommonStageOptions } from './define-stage.js';
import { commonOptions, defineStage } from './define-stage.js';
import type { Duration } from './options.js';
import { durationOption, formatDuration, functionOption } from './options.js';
import type { Stage } from './stage.js';

export interface ThrottleOptions<T> extends CommonStageOptions {
  /** At most one item per this long (per key), on the pipeline's clock. */
  readonly every: Duration;
  /** Throttle each key on its own (one alert per sensor per minute). Absent: one limit for all. */
  readonly by?: (item: T) => unknown;
}

/** Keys not seen for this many periods are forgotten once the map holds more than PRUNE_ABOVE keys. */
const PRUNE_ABOVE = 1024;

/**
 * Passes the first item of each period (`every`, per key when `by` is given) and holds back the
 * rest: they are counted as `throttled` and reported to `onDiscard`. A key function that throws
 * skips the item (counted, reported) unless `onError: 'stop'`.
 *
 * @example
 * pipe(alerts, throttle({ every: '1m', by: (a) => `${a.sensorId}/${a.type}` }));
 */
export function throttle<T>(options: ThrottleOptions<T>): Stage<T, T> {
  const { name, onError } = commonOptions('throttle', options, ['every', 'by']);
  const every = durationOption('throttle', 'every', options.every);
  functionOption('throttle', 'by', options.by, true);
  const by = options.by;
  const label = `throttle(${formatDuration(every)}${by === undefined ? '' : ', by key'})`;
  return defineStage<T, T>('throttle', name ?? label, onError, 'skip', (ctx) => {
    const last = new Map<unknown, number>();
    let prunedAt = Number.NEGATIVE_INFINITY;
    return {
      push(item) {
        const key = by === undefined ? undefined : by(item);
        const now = ctx.clock.now();
        const previous = last.get(key);
        if (previous !== undefined && now - previous < every) {
          ctx.discard(item, 'throttled');
          return;
        }
        last.set(key, now);
        if (last.size > PRUNE_ABOVE && now - prunedAt >= every) {
          prunedAt = now;
          for (const [k, at] of last) if (now - at >= every) last.delete(k);
        }
        ctx.emit(item);
      },
      details: () => ({ keys: last.size }),
    };
  });
}
