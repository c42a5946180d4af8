import { TidingsError } from '../errors.js';

/**
 * A stage of a pipeline failed (its function threw, its source failed, a buffer with overflow
 * `error` was full) and its error policy is `stop`: the pipeline stopped. Surfaces once, from the
 * iterator's `next()` or from `pipeTo()`; `cause` is the original error.
 *
 * @example
 * try { await pipeline.start().pipeTo(sink) } catch (e) { if (e instanceof StageError) console.log(e.stage, e.item) }
 */
export class StageError extends TidingsError {
  /** The stage's name, as in `stats().stages` (`source` when the source failed). */
  readonly stage: string;
  /** The item the stage was handling, when there was one. */
  readonly item: unknown;

  constructor(stage: string, cause: unknown, item: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'STAGE_FAILED',
      `Pipeline stage '${stage}' failed: ${why}. The pipeline stopped; fix the stage, or pass onError: 'skip' to count and report such items instead.`,
      { cause },
    );
    this.stage = stage;
    this.item = item;
  }
}
