import type { Clock } from '../time/clock.js';
import type { StageErrorPolicy } from './options.js';
import type { Discarded } from './stage.js';

/** Where a pipeline's items come from: any iterable or async iterable (a bus stream, an MQTT source, an array). */
export type Source<T> = AsyncIterable<T> | Iterable<T>;

/** Where a pipeline's results go: a function, or an object with `write` (and a name for stats and errors). */
export type Sink<T> = ((item: T) => unknown) | { readonly name?: string; write(item: T): unknown };

export interface PipelineOptions {
  /** All time of the pipeline (processing-time windows, batch and throttle timers, stats). Default: the system clock. */
  readonly clock?: Clock;
  /** Stops the pipeline when aborted (as `stop()`). */
  readonly signal?: AbortSignal;
  /**
   * Error policy of every stage that was not given its own `onError` (and of the sink). Without
   * either, window and throttle stages skip items their key or time function throws on, and the
   * other stages stop the pipeline.
   */
  readonly onError?: StageErrorPolicy;
  /**
   * Told about every item a stage does not pass on: late to its window, skipped after an error,
   * dropped by a buffer's overflow policy, throttled. Runs inside the stage; if it throws, the
   * pipeline stops with that error. Every such item is counted in `stats()` either way.
   */
  readonly onDiscard?: (discarded: Discarded) => void;
}

/** `ready` before anything was pulled; `ended` when the source ended and everything was flushed. */
export type PipelineState = 'ready' | 'running' | 'ended' | 'stopped' | 'failed';

export interface StageStats {
  readonly name: string;
  readonly kind: string;
  /** Items handed to the stage. */
  readonly in: number;
  /** Items it emitted. */
  readonly out: number;
  /** Items skipped because a function of the stage threw (policy `skip`). */
  readonly skipped: number;
  /** Items that arrived after (some of) their windows were emitted. */
  readonly late: number;
  /** Items a buffer dropped by its overflow policy. */
  readonly dropped: number;
  /** Items a throttle held back. */
  readonly throttled: number;
  /** Items the stage holds now (open windows, the current batch, a buffer's queue). */
  readonly held: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;
}

export interface PipelineStats {
  readonly state: PipelineState;
  /** Items taken from the source. */
  readonly in: number;
  /** Items that reached the end: taken by the iterator's consumer, or written by the sink. */
  readonly out: number;
  /** Milliseconds on the pipeline's clock since it started pulling (0 before). */
  readonly elapsedMs: number;
  /** `in` per second since the start. */
  readonly perSecond: number;
  /** `in` per second since the previous `stats()` call (since the start for the first). */
  readonly recentPerSecond: number;
  /** How long the oldest item waiting in a buffer stage has waited, in ms (0 when none waits). */
  readonly lagMs: number;
  /** Items held anywhere in the pipeline: open windows, current batches, buffers. */
  readonly buffered: number;
  readonly skipped: number;
  readonly late: number;
  readonly dropped: number;
  readonly throttled: number;
  /** Items held when the pipeline stopped or failed, dropped with it. */
  readonly discardedOnStop: number;
  /** Why the pipeline failed (a `StageError`). */
  readonly error: Error | undefined;
  /** The source's own `stats()`, when it has one (a bus stream's queue, an MQTT source's counters). */
  readonly source: unknown;
  readonly stages: readonly StageStats[];
}

/**
 * A started pipeline. Consume it once: iterate it (`for await`), or hand its results to a sink
 * with `pipeTo`. Breaking out of the loop, `stop()`, disposing it or aborting its signal stops it.
 */
export interface RunningPipeline<O> extends AsyncIterableIterator<O>, AsyncDisposable {
  /** Counters of the pipeline and of each stage, read now. */
  stats(): PipelineStats;
  /**
   * Writes every result to `sink` (awaited: a slow sink slows the pipeline). Resolves with the final
   * stats when the source ended and everything was flushed, or when the pipeline was stopped;
   * rejects with the `StageError` that stopped it.
   */
  pipeTo(sink: Sink<O>): Promise<PipelineStats>;
  /**
   * Stops now: nothing more is pulled, timers are cancelled, items held in windows, batches and
   * buffers are dropped (counted in `discardedOnStop`), the source iterator is returned. Idempotent.
   */
  stop(): Promise<PipelineStats>;
}

/** A pipeline definition: a source and stages whose types line up. Start it to run it. */
export interface Pipeline<O> extends AsyncIterable<O> {
  /** The stages' names, in order. */
  readonly stageNames: readonly string[];
  /** Opens the stages afresh and returns the running pipeline; nothing is pulled until it is consumed. */
  start(options?: PipelineOptions): RunningPipeline<O>;
}
