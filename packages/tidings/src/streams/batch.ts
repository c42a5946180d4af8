import { ValidationError } from '../errors.js';
import type { CommonStageOptions } from './define-stage.js';
import { commonOptions, defineStage } from './define-stage.js';
import type { Duration } from './options.js';
import { durationOption, formatDuration, integerOption } from './options.js';
import type { Stage } from './stage.js';

export interface BatchOptions extends Omit<CommonStageOptions, 'onError'> {
  /** Emit when this many items are collected. */
  readonly size?: number;
  /** Emit when this long has passed (on the pipeline's clock) since the batch's first item. */
  readonly within?: Duration;
}

/**
 * Collects items into arrays of `size`, or whatever arrived `within` a time since the batch's
 * first item — whichever comes first (at least one of the two). The last, partial batch is
 * emitted when the input ends. An empty batch is never emitted.
 *
 * @example
 * pipe(bus.stream('sensor.reading'), batch({ size: 1000, within: '5s' }), map((b) => b.length));
 */
export function batch<T>(options: BatchOptions): Stage<T, T[]> {
  const { name } = commonOptions('batch', options, ['size', 'within'], false);
  const size = options.size === undefined ? Number.POSITIVE_INFINITY : integerOption('batch', 'size', options.size, 1);
  const within = options.within === undefined ? undefined : durationOption('batch', 'within', options.within);
  if (options.size === undefined && within === undefined) {
    throw new ValidationError(
      "batch: expected 'size', 'within' or both, got neither. Pass e.g. { size: 1000, within: '5s' }.",
      [{ path: [], message: 'size or within required' }],
      { code: 'INVALID_OPTION' },
    );
  }
  const label = [
    Number.isFinite(size) ? String(size) : undefined,
    within === undefined ? undefined : formatDuration(within),
  ]
    .filter((p) => p !== undefined)
    .join(', ');
  return defineStage<T, T[]>('batch', name ?? `batch(${label})`, undefined, 'stop', (ctx) => {
    let current: T[] = [];
    let deadline = Number.POSITIVE_INFINITY;
    const flush = (): void => {
      const full = current;
      current = [];
      deadline = Number.POSITIVE_INFINITY;
      ctx.emit(full);
    };
    return {
      push(item) {
        if (current.length === 0 && within !== undefined) {
          deadline = ctx.clock.now() + within;
          ctx.wakeAt(deadline);
        }
        current.push(item);
        if (current.length >= size) flush();
      },
      onTimer(now) {
        if (current.length === 0) return;
        if (now >= deadline) flush();
        else ctx.wakeAt(deadline); // an earlier batch's wake-up: this batch's deadline is later
      },
      end() {
        if (current.length > 0) flush();
      },
      stop() {
        const held = current.length;
        current = [];
        return held;
      },
      held: () => current.length,
    };
  });
}
