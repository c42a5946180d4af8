import type { CommonStageOptions } from './define-stage.js';
import { commonOptions, defineStage } from './define-stage.js';
import { functionOption } from './options.js';
import type { Stage } from './stage.js';
import type { Window } from './window.js';

/** A window folded into one value. */
export interface Aggregated<R, K = undefined> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  /** How many items the window held. */
  readonly count: number;
  readonly value: R;
}

export interface AggregateOptions<T, K, A, R> extends CommonStageOptions {
  /** A fresh accumulator for each window. */
  readonly initial: () => A;
  /** Folds one item in. */
  readonly add: (accumulator: A, item: T) => A;
  /** The window's value from the final accumulator. Default: the accumulator itself. */
  readonly result?: (accumulator: A, window: Window<T, K>) => R;
}

/**
 * Folds each window into one value: an average, a count by field, a min and max.
 *
 * @example
 * aggregate({
 *   initial: () => ({ sum: 0, n: 0 }),
 *   add: (acc, r: Reading) => ({ sum: acc.sum + r.temperature, n: acc.n + 1 }),
 *   result: (acc) => acc.sum / acc.n,
 * });
 */
export function aggregate<T, K, A, R = A>(
  options: AggregateOptions<T, K, A, R>,
): Stage<Window<T, K>, Aggregated<R, K>> {
  const { name, onError } = commonOptions('aggregate', options, ['initial', 'add', 'result']);
  functionOption('aggregate', 'initial', options.initial);
  functionOption('aggregate', 'add', options.add);
  functionOption('aggregate', 'result', options.result, true);
  const { initial, add, result } = options;
  return defineStage<Window<T, K>, Aggregated<R, K>>('aggregate', name ?? 'aggregate', onError, 'stop', (ctx) => ({
    push(w) {
      let acc = initial();
      for (const item of w.items) acc = add(acc, item);
      const value = result === undefined ? (acc as unknown as R) : result(acc, w);
      ctx.emit({ key: w.key, start: w.start, end: w.end, count: w.items.length, value });
    },
  }));
}
