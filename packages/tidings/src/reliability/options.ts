import { TidingsError, ValidationError } from '../errors.js';

// Construction-time checks shared by every reliability piece. A bad setting is refused with a
// TidingsError coded INVALID_OPTION that names the component, the option, the value it got and
// the range it accepts, before anything is created.

function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  return value === undefined ? 'undefined' : typeof value;
}

/** Builds the INVALID_OPTION error for `component`'s `option`. */
export function invalidOption(component: string, option: string, value: unknown, allowed: string): TidingsError {
  return new TidingsError(
    'INVALID_OPTION',
    `${component}: option '${option}' must be ${allowed}, got ${describeValue(value)}. Fix the value passed to ${component}().`,
  );
}

/** A whole number `>= min` (Infinity allowed only when `allowInfinity`). */
export function integerOption(
  component: string,
  option: string,
  value: number,
  min: number,
  allowInfinity = false,
): number {
  const ok =
    typeof value === 'number' &&
    value >= min &&
    (Number.isSafeInteger(value) || (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) {
    throw invalidOption(component, option, value, `an integer >= ${min}${allowInfinity ? ' (or Infinity)' : ''}`);
  }
  return value;
}

/** A finite number `> 0`. */
export function positiveOption(component: string, option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidOption(component, option, value, 'a finite number > 0');
  }
  return value;
}

/** A finite number in `(0, 1]`. */
export function ratioOption(component: string, option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw invalidOption(component, option, value, 'a number in (0, 1]');
  }
  return value;
}

/** A function, when given. */
export function functionOption(component: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw invalidOption(component, option, value, 'a function');
}

/**
 * Refuses anything but a plain object (or `undefined`) with only `allowed` keys, so a misspelt
 * option (`expectedversion`) or a value where the options object goes fails loudly instead of
 * being ignored. Throws `ValidationError` coded `INVALID_OPTIONS` / `UNKNOWN_OPTION`.
 */
export function assertKnownKeys(component: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError(
      `${component}: options must be an object with keys ${allowed.map((k) => `'${k}'`).join(', ')}, got ${describeValue(options)}.`,
      [{ path: [], message: 'not an options object' }],
      { code: 'INVALID_OPTIONS' },
    );
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(
        `${component}: unknown option '${key}'. Accepted options: ${allowed.map((k) => `'${k}'`).join(', ')}.`,
        [{ path: [key], message: 'unknown option' }],
        { code: 'UNKNOWN_OPTION' },
      );
    }
  }
}
