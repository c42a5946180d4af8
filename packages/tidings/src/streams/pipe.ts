import { ValidationError } from '../errors.js';
import { assertOptions, enumOption, ERROR_POLICIES, functionOption } from './options.js';
import { PipelineRun } from './pipeline-run.js';
import type { Pipeline, PipelineOptions, RunningPipeline, Source } from './pipeline-types.js';
import type { CompositeStage, Stage } from './stage.js';

type AnyStage = Stage<unknown, unknown>;

const PIPELINE_OPTIONS = ['clock', 'signal', 'onError', 'onDiscard'];

function assertStage(value: unknown, position: number): asserts value is AnyStage {
  const stage = value as Partial<AnyStage> | null;
  if (
    stage === null ||
    typeof stage !== 'object' ||
    typeof stage.open !== 'function' ||
    typeof stage.name !== 'string'
  ) {
    throw new ValidationError(
      `pipe: argument ${position + 1} is not a stage (got ${value === null ? 'null' : typeof value}). Pass stages made by map(), filter(), window(), … after the source.`,
      [{ path: [position], message: 'not a stage' }],
      { code: 'INVALID_OPTION' },
    );
  }
}

function flatten(stages: readonly AnyStage[]): AnyStage[] {
  return stages.flatMap((s) => {
    const parts = (s as Partial<CompositeStage<unknown, unknown>>).parts;
    return parts === undefined ? [s] : flatten(parts);
  });
}

function assertPipelineOptions(options: PipelineOptions): void {
  assertOptions('pipeline.start', options, PIPELINE_OPTIONS);
  enumOption('pipeline.start', 'onError', options.onError, ERROR_POLICIES, 'stop');
  functionOption('pipeline.start', 'onDiscard', options.onDiscard, true);
  const clock = options.clock as Partial<PipelineOptions['clock']> | undefined;
  if (clock !== undefined && (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function')) {
    throw new ValidationError(
      "pipeline.start: option 'clock' must be a Clock (now, setTimeout, sleep), such as systemClock or createFakeClock().",
      [{ path: ['clock'], message: 'not a Clock' }],
      { code: 'INVALID_OPTION' },
    );
  }
}

class PipelineDefinition<O> implements Pipeline<O> {
  readonly #source: Source<unknown>;
  readonly #stages: readonly AnyStage[];

  constructor(source: Source<unknown>, stages: readonly AnyStage[]) {
    this.#source = source;
    this.#stages = stages;
  }

  get stageNames(): readonly string[] {
    return this.#stages.map((s) => s.name);
  }

  start(options: PipelineOptions = {}): RunningPipeline<O> {
    assertPipelineOptions(options);
    return new PipelineRun<O>(this.#source, this.#stages, options);
  }

  [Symbol.asyncIterator](): AsyncIterator<O> {
    return this.start();
  }
}

/**
 * Builds a pipeline from a source (any iterable or async iterable: `bus.stream(…)`, an MQTT
 * source, an array) and stages; each stage's input type is the previous one's output. Nothing runs
 * until the pipeline is started and consumed.
 *
 * @example
 * const averages = pipe(
 *   bus.stream('sensor.reading'),
 *   map((e) => e.data),
 *   window({ by: (r) => r.sensorId, size: '10s', eventTime: (r) => r.at }),
 *   aggregate({ initial: () => 0, add: (sum, r) => sum + r.temperature, result: (sum, w) => sum / w.items.length }),
 * );
 * for await (const avg of averages.start({ signal })) console.log(avg.key, avg.value);
 */
export function pipe<A>(source: Source<A>): Pipeline<A>;
export function pipe<A, B>(source: Source<A>, s1: Stage<A, B>): Pipeline<B>;
export function pipe<A, B, C>(source: Source<A>, s1: Stage<A, B>, s2: Stage<B, C>): Pipeline<C>;
export function pipe<A, B, C, D>(source: Source<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): Pipeline<D>;
export function pipe<A, B, C, D, E>(
  source: Source<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
): Pipeline<E>;
export function pipe<A, B, C, D, E, F>(
  source: Source<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
  s5: Stage<E, F>,
): Pipeline<F>;
export function pipe<A, B, C, D, E, F, G>(
  source: Source<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
  s5: Stage<E, F>,
  s6: Stage<F, G>,
): Pipeline<G>;
export function pipe<A, B, C, D, E, F, G, H>(
  source: Source<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
  s5: Stage<E, F>,
  s6: Stage<F, G>,
  s7: Stage<G, H>,
): Pipeline<H>;
export function pipe<A, B, C, D, E, F, G, H, I>(
  source: Source<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
  s5: Stage<E, F>,
  s6: Stage<F, G>,
  s7: Stage<G, H>,
  s8: Stage<H, I>,
): Pipeline<I>;
export function pipe<A, B, C, D, E, F, G, H, I, J>(
  source: Source<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
  s5: Stage<E, F>,
  s6: Stage<F, G>,
  s7: Stage<G, H>,
  s8: Stage<H, I>,
  s9: Stage<I, J>,
): Pipeline<J>;
export function pipe(source: Source<unknown>, ...stages: AnyStage[]): Pipeline<unknown> {
  const s = source as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null;
  if (
    s === null ||
    (typeof s !== 'object' && typeof s !== 'function') ||
    (typeof s[Symbol.asyncIterator] !== 'function' && typeof s[Symbol.iterator] !== 'function')
  ) {
    throw new ValidationError(
      `pipe: the source must be an iterable or async iterable (bus.stream(…), an MQTT source, an array), got ${s === null ? 'null' : typeof s}.`,
      [{ path: [0], message: 'not iterable' }],
      { code: 'INVALID_OPTION' },
    );
  }
  stages.forEach((stage, i) => assertStage(stage, i + 1));
  return new PipelineDefinition(source, flatten(stages));
}

/**
 * Joins stages into one, reusable in several pipelines; the types flow as in {@link pipe}.
 *
 * @example
 * const readings = compose(map((e: ReadingEvent) => e.data), filter((r) => r.temperature !== undefined));
 * pipe(bus.stream('sensor.reading'), readings, window({ size: '10s' }));
 */
export function compose<A, B>(s1: Stage<A, B>): Stage<A, B>;
export function compose<A, B, C>(s1: Stage<A, B>, s2: Stage<B, C>): Stage<A, C>;
export function compose<A, B, C, D>(s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): Stage<A, D>;
export function compose<A, B, C, D, E>(s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>): Stage<A, E>;
export function compose<A, B, C, D, E, F>(
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
  s5: Stage<E, F>,
): Stage<A, F>;
export function compose(...stages: AnyStage[]): AnyStage {
  if (stages.length === 0) {
    throw new ValidationError('compose: expected at least one stage, got none.', [], { code: 'INVALID_OPTION' });
  }
  stages.forEach((stage, i) => assertStage(stage, i));
  const parts = flatten(stages);
  const composite: CompositeStage<unknown, unknown> = {
    kind: 'compose',
    name: parts.map((p) => p.name).join(' → '),
    onError: undefined,
    defaultOnError: 'stop',
    parts,
    open() {
      throw new ValidationError('compose: a composed stage runs inside pipe(), not on its own.', [], {
        code: 'INVALID_OPTION',
      });
    },
  };
  return composite;
}
