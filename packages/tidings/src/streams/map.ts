import type { CommonStageOptions } from './define-stage.js';
import { commonOptions, defineStage } from './define-stage.js';
import { functionOption } from './options.js';
import type { Stage } from './stage.js';
import { isThenable } from './stage.js';

/**
 * Transforms each item. `fn` may be asynchronous: the next item waits for it, so order is kept.
 *
 * @example
 * pipe(bus.stream('sensor.reading'), map((e) => e.data));
 */
export function map<I, O>(fn: (item: I) => O, options?: CommonStageOptions): Stage<I, Awaited<O>> {
  functionOption('map', 'fn', fn);
  const { name, onError } = commonOptions('map', options, []);
  return defineStage<I, Awaited<O>>('map', name ?? 'map', onError, 'stop', (ctx) => ({
    push(item) {
      const out = fn(item);
      if (isThenable(out)) return Promise.resolve(out).then((value) => ctx.emit(value));
      ctx.emit(out as Awaited<O>);
      return undefined;
    },
  }));
}

/**
 * Keeps the items `predicate` accepts. A type guard narrows the type downstream.
 *
 * @example
 * pipe(readings, filter((r): r is Complete => r.humidity !== undefined));
 */
export function filter<I, O extends I>(predicate: (item: I) => item is O, options?: CommonStageOptions): Stage<I, O>;
export function filter<I>(
  predicate: (item: I) => boolean | PromiseLike<boolean>,
  options?: CommonStageOptions,
): Stage<I, I>;
export function filter<I>(predicate: (item: I) => unknown, options?: CommonStageOptions): Stage<I, I> {
  functionOption('filter', 'predicate', predicate);
  const { name, onError } = commonOptions('filter', options, []);
  return defineStage<I, I>('filter', name ?? 'filter', onError, 'stop', (ctx) => ({
    push(item) {
      const keep = predicate(item);
      if (isThenable(keep)) {
        return Promise.resolve(keep).then((k) => {
          if (k) ctx.emit(item);
        });
      }
      if (keep) ctx.emit(item);
      return undefined;
    },
  }));
}

/**
 * Turns each item into zero or more items (`fn` returns an iterable, or a promise of one).
 *
 * @example
 * pipe(readings, flatMap((r) => alertsFor(r))); // a reading raises 0..3 alerts
 */
export function flatMap<I, O>(
  fn: (item: I) => Iterable<O> | PromiseLike<Iterable<O>>,
  options?: CommonStageOptions,
): Stage<I, O> {
  functionOption('flatMap', 'fn', fn);
  const { name, onError } = commonOptions('flatMap', options, []);
  return defineStage<I, O>('flatMap', name ?? 'flatMap', onError, 'stop', (ctx) => {
    const emitAll = (items: Iterable<O>): void => {
      for (const item of items) ctx.emit(item);
    };
    return {
      push(item) {
        const out = fn(item);
        if (isThenable(out)) return Promise.resolve(out).then(emitAll);
        emitAll(out);
        return undefined;
      },
    };
  });
}
