import type { StageErrorPolicy } from './options.js';
import { assertOptions, enumOption, ERROR_POLICIES, nameOption } from './options.js';
import type { Stage, StageContext, StageLogic } from './stage.js';

/** Options every operator takes. */
export interface CommonStageOptions {
  /** Shown in stats, errors and discard reports. Default: derived from the operator and its options. */
  readonly name?: string;
  /** What happens when a function of this stage throws: `stop` the pipeline, or `skip` the item (counted, reported). */
  readonly onError?: StageErrorPolicy;
}

export const COMMON_KEYS = ['name', 'onError'] as const;

/**
 * Validates an operator's options (unknown keys refused) and returns its name and error policy.
 * Operators without functions of their own (`batch`, `buffer`) take no `onError`.
 */
export function commonOptions(
  operator: string,
  options: unknown,
  known: readonly string[],
  withErrorPolicy = true,
): { name: string | undefined; onError: StageErrorPolicy | undefined } {
  if (options === undefined && known.length === 0) return { name: undefined, onError: undefined };
  assertOptions(operator, options, [...known, ...(withErrorPolicy ? COMMON_KEYS : ['name'])]);
  const o = options as CommonStageOptions;
  return {
    name: nameOption(operator, o.name),
    onError: o.onError === undefined ? undefined : enumOption(operator, 'onError', o.onError, ERROR_POLICIES, 'stop'),
  };
}

/** A stage definition. */
export function defineStage<I, O>(
  kind: string,
  name: string,
  onError: StageErrorPolicy | undefined,
  defaultOnError: StageErrorPolicy,
  open: (context: StageContext<O>) => StageLogic<I>,
): Stage<I, O> {
  return { kind, name, onError, defaultOnError, open };
}
