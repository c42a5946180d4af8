import type { Clock } from '../time/clock.js';
import type { StageErrorPolicy } from './options.js';

/** Why an item left a pipeline without reaching its end. Each reason has its own counter. */
export type DiscardReason = 'late' | 'error' | 'overflow' | 'throttled';

/** An item a stage did not pass on, handed to the pipeline's `onDiscard` (and always counted). */
export interface Discarded {
  /** The stage's name, as in `stats().stages`. */
  readonly stage: string;
  readonly reason: DiscardReason;
  readonly item: unknown;
  /** For `error`: what the stage's function threw. */
  readonly error?: unknown;
  /** For `late`: how many of the item's windows had already been emitted (it joined the others). */
  readonly missedWindows?: number;
}

/**
 * What a stage gets from the running pipeline. Time comes from `clock` (the pipeline's), so a fake
 * clock drives every timer of the pipeline.
 */
export interface StageContext<O> {
  readonly clock: Clock;
  /** The stage's name, as in `stats().stages`. */
  readonly name: string;
  /** Hands an item to the next stage. Items keep their order, also across asynchronous stages. */
  emit(item: O): void;
  /**
   * Asks for `onTimer` to run at or after `at` (a clock time in ms). One wake-up per stage: the
   * earliest asked for wins; ask again from `onTimer` for the next one.
   */
  wakeAt(at: number): void;
  /** Counts an item the stage drops, under `reason`, and reports it to the pipeline's `onDiscard`. */
  discard(
    item: unknown,
    reason: DiscardReason,
    detail?: { readonly error?: unknown; readonly missedWindows?: number },
  ): void;
}

/**
 * One stage while a pipeline runs. Calls are serialized: the pipeline never calls `push`, `onTimer`
 * or `end` while a promise returned by an earlier call is pending, and it pulls nothing new from
 * its source meanwhile — returning a promise is how a stage applies backpressure.
 */
export interface StageLogic<I> {
  push(item: I): void | Promise<void>;
  onTimer?(now: number): void | Promise<void>;
  /** The input ended: emit what is held (open windows, the current batch). */
  end?(): void | Promise<void>;
  /** The pipeline stopped (aborted or failed): drop what is held and return how many items that was. */
  stop?(): number;
  /** Items held now (in open windows, the current batch, a buffer). */
  held?(): number;
  /** Stage-specific figures shown in `stats().stages[i].details`. */
  details?(): Readonly<Record<string, unknown>>;
}

/**
 * A step of a pipeline from items of type `I` to items of type `O`: a definition, validated when
 * created, opened afresh each time a pipeline starts. Build them with the operators (`map`,
 * `window`, …); write your own by implementing `open`.
 */
export interface Stage<I, O> {
  /** The operator: `map`, `window`, `buffer`, … */
  readonly kind: string;
  /** Shown in stats and errors: the `name` option, or one derived from the options. */
  readonly name: string;
  /** The error policy given to the operator, if any; otherwise the pipeline's, then `defaultOnError`. */
  readonly onError: StageErrorPolicy | undefined;
  /** `skip` for stages whose functions classify items (window keys and times, throttle keys); `stop` for the rest. */
  readonly defaultOnError: StageErrorPolicy;
  open(context: StageContext<O>): StageLogic<I>;
}

/** Internal: a stage that runs the stages after it from its own queue (`buffer`). */
export interface DecouplingStage<I, O> extends Stage<I, O> {
  readonly decouples: true;
}

/** Internal: stages written as one (`compose`), flattened into the pipeline. */
export interface CompositeStage<I, O> extends Stage<I, O> {
  readonly parts: readonly Stage<unknown, unknown>[];
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Internal: `emit` across a buffer returns a promise while the stages after it are busy; only a
 * decoupling stage waits on it (within a segment, order is kept by the pipeline's own queue).
 */
export function emitAndWait<O>(context: StageContext<O>, item: O): void | Promise<void> {
  return context.emit(item);
}
