import { ValidationError } from '../errors.js';

// The one place where options are checked, for every public entry point of the core (bus, app,
// reliability). A bad setting is refused with a ValidationError before anything is created or
// changed: INVALID_OPTION names the component, the option, the value it got and the range it
// accepts; UNKNOWN_OPTION names a key that is not an option (a typo must never silently turn a
// check off) and lists the accepted ones; INVALID_OPTIONS says a non-object was passed where an
// options object goes.

function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  return value === undefined ? 'undefined' : typeof value;
}

/** Builds the INVALID_OPTION error for `component`'s `option`. */
export function invalidOption(component: string, option: string, value: unknown, allowed: string): ValidationError {
  return new ValidationError(
    `${component}: option '${option}' must be ${allowed}, got ${describeValue(value)}. Fix the value passed to ${component}().`,
    [{ path: [option], message: `must be ${allowed}` }],
    { code: 'INVALID_OPTION' },
  );
}

/**
 * The keys an options type accepts, written as `{ key: true, … } satisfies OptionKeys<T>` so the
 * compiler keeps the list complete and free of keys the type does not have.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Checks that `options` is an options object (or `undefined`, which gives `{}`) whose keys are
 * all in `accepted`. `what` names the argument in errors, e.g. `options`, `options.queue`.
 * Costs one `for…in` over the keys given; callers skip it when `options` is `undefined`.
 *
 * @example
 * const options = optionsObject('createBulkhead', raw, BULKHEAD_KEYS);
 */
export function optionsObject<T extends object>(
  component: string,
  options: T | undefined,
  accepted: OptionKeys<T>,
  what = 'options',
): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError(
      `${component}: ${what} must be an object { ${listKeys(accepted)} }, got ${describeArgument(options)}. Pass the settings by name, e.g. ${component}(…, { ${Object.keys(accepted)[0] ?? 'key'}: … }); nothing was done.`,
      [{ path: what === 'options' ? [] : what.split('.').slice(1), message: 'not an options object' }],
      { code: 'INVALID_OPTIONS' },
    );
  }
  for (const key in options) {
    if (!Object.hasOwn(accepted, key)) throw unknownOption(component, key, accepted, what);
  }
  return options;
}

/**
 * {@link optionsObject} for a list of keys: refuses anything but an object (or `undefined`) whose
 * keys are all in `allowed`, so a misspelt option (`expectedversion`) or a value where the options
 * object goes fails loudly instead of being ignored. Throws `ValidationError` coded
 * `INVALID_OPTIONS` / `UNKNOWN_OPTION`. (The store kit's name for the same check.)
 */
export function assertKnownKeys(component: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  optionsObject(component, options as object, Object.fromEntries(allowed.map((key) => [key, true] as const)));
}

/** What was passed where an options object goes: its kind, and its value when short. */
function describeArgument(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `a ${typeof value} (${String(value)})`;
    default:
      return `a ${typeof value}`;
  }
}

function listKeys(accepted: object): string {
  const keys = Object.keys(accepted);
  return keys.length === 0 ? '' : `${keys.join('?, ')}?`;
}

function unknownOption(component: string, key: string, accepted: object, what: string): ValidationError {
  const keys = Object.keys(accepted);
  const near = keys.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2);
  const path = what === 'options' ? [key] : [...what.split('.').slice(1), key];
  return new ValidationError(
    `${component}: unknown option '${key}' in ${what}${near === undefined ? '' : ` (did you mean '${near}'?)`}. Accepted: ${keys.length === 0 ? 'none' : keys.join(', ')}. An unknown key is refused rather than ignored, so a typo never silently drops a setting; nothing was done.`,
    [{ path, message: 'unknown option' }],
    { code: 'UNKNOWN_OPTION' },
  );
}

/** Levenshtein distance, for the "did you mean" hint (short keys only). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** An AbortSignal, when given. */
export function signalOption(component: string, option: string, value: unknown): void {
  // Duck-typed: a signal from another realm (a vm context, a polyfill) is still a signal.
  const ok =
    value === undefined ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as AbortSignal).aborted === 'boolean' &&
      typeof (value as AbortSignal).addEventListener === 'function');
  if (!ok) throw invalidOption(component, option, value, 'an AbortSignal');
}

/** One of `allowed`, when given. */
export function oneOfOption<T extends string>(
  component: string,
  option: string,
  value: T | undefined,
  allowed: readonly T[],
): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw invalidOption(component, option, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
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

/** A finite number `> 0` (Infinity allowed only when `allowInfinity`). */
export function positiveOption(component: string, option: string, value: number, allowInfinity = false): number {
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (Number.isFinite(value) || (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) throw invalidOption(component, option, value, `a finite number > 0${allowInfinity ? ' (or Infinity)' : ''}`);
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

/** A boolean, when given. */
export function booleanOption(component: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw invalidOption(component, option, value, 'a boolean');
}

/** A string of 1 to `maxLength` characters, when given. */
export function stringOption(component: string, option: string, value: unknown, maxLength = 200): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw invalidOption(component, option, value, `a non-empty string of at most ${maxLength} characters`);
  }
}

/** A {@link Clock} (an object with `now`, `setTimeout` and `sleep`), when given. */
export function clockOption(component: string, option: string, value: unknown): void {
  if (value === undefined) return;
  const clock = value as Record<string, unknown> | null;
  const ok =
    typeof clock === 'object' &&
    clock !== null &&
    typeof clock['now'] === 'function' &&
    typeof clock['setTimeout'] === 'function' &&
    typeof clock['sleep'] === 'function';
  if (!ok)
    throw invalidOption(
      component,
      option,
      value,
      'a Clock { now, setTimeout, sleep } (systemClock or createFakeClock())',
    );
}

/** An array whose items are all functions (a middleware list), when given. */
export function functionListOption(component: string, option: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'function')) {
    throw invalidOption(component, option, value, 'an array of functions');
  }
}

/** An object with the given methods (a store, a limiter, a breaker …), when given. */
export function objectWithOption(
  component: string,
  option: string,
  value: unknown,
  methods: readonly string[],
  what: string,
): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw invalidOption(component, option, value, what);
}
