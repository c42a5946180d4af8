import { ValidationError } from '../errors.js';
import { assertKnownKeys } from '../reliability/options.js';

// Definition-time checks shared by every stage. A bad option is refused with a ValidationError
// coded INVALID_OPTION naming the operator, the option, what it got and what it accepts, before
// any stage exists (the same wording as the reliability toolkit, decision 0406).

/** A length of time: milliseconds, or a string such as `'500ms'`, `'10s'`, `'5m'`, `'1h'`. */
export type Duration = number | `${number}ms` | `${number}s` | `${number}m` | `${number}h`;

/** What a stage does when one of its functions throws: stop the pipeline, or skip the item (counted and reported). */
export type StageErrorPolicy = 'stop' | 'skip';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  return value === undefined ? 'undefined' : typeof value;
}

/** The INVALID_OPTION error for `operator`'s `option`. */
export function invalidOption(operator: string, option: string, value: unknown, allowed: string): ValidationError {
  return new ValidationError(
    `${operator}: option '${option}' must be ${allowed}, got ${describe(value)}. Fix the value passed to ${operator}().`,
    [{ path: [option], message: `must be ${allowed}` }],
    { code: 'INVALID_OPTION' },
  );
}

/**
 * Refuses anything but a plain object whose keys are all in `known`: a misspelt option is an error
 * (`UNKNOWN_OPTION`, the store's and reliability's shared check), never ignored.
 */
export function assertOptions(operator: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) {
    throw new ValidationError(
      `${operator}: expected an options object, got undefined. Pass { ${known.join(', ')} }.`,
      [{ path: [], message: 'options required' }],
      { code: 'INVALID_OPTIONS' },
    );
  }
  assertKnownKeys(operator, options, known);
}

/** A whole number >= `min`. */
export function integerOption(operator: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalidOption(operator, option, value, `an integer >= ${min}`);
  }
  return value;
}

/** Milliseconds of a {@link Duration}; `min` 0 allows zero, otherwise it must be above zero. */
export function durationOption(operator: string, option: string, value: unknown, allowZero = false): number {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match !== null) ms = Number(match[1]) * (UNITS[match[2] ?? ''] ?? Number.NaN);
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || (!allowZero && ms === 0)) {
    throw invalidOption(
      operator,
      option,
      value,
      `a duration ${allowZero ? '>= 0' : '> 0'} (milliseconds, or a string such as '500ms', '10s', '5m', '1h')`,
    );
  }
  return ms;
}

/** One of `allowed`, or `fallback` when absent. */
export function enumOption<T extends string>(
  operator: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidOption(operator, option, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

/** A function (required unless `optional`). */
export function functionOption(operator: string, option: string, value: unknown, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'function') throw invalidOption(operator, option, value, 'a function');
}

/** A non-empty string, when given. */
export function nameOption(operator: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw invalidOption(operator, 'name', value, 'a non-empty string');
  return value;
}

export const ERROR_POLICIES: readonly StageErrorPolicy[] = ['stop', 'skip'];

/** Formats milliseconds back as the shortest exact duration string, for stage names. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
