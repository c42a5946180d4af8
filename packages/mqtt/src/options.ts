import { ValidationError } from 'tidings';

// Option checks of the MQTT source and sink: unknown keys and bad values are refused before any
// connection is opened, with what was expected and what was found.

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  return value === null ? 'null' : typeof value;
}

export function invalid(component: string, option: string, value: unknown, allowed: string): ValidationError {
  return new ValidationError(
    `${component}: option '${option}' must be ${allowed}, got ${describe(value)}. Fix the value passed to ${component}().`,
    [{ path: [option], message: `must be ${allowed}` }],
    { code: 'INVALID_OPTION' },
  );
}

export function assertKnown(component: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ValidationError(
        `${component}: unknown option '${key}'. Accepted options: ${known.map((k) => `'${k}'`).join(', ')}. Remove it or fix its spelling.`,
        [{ path: [key], message: 'unknown option' }],
        { code: 'UNKNOWN_OPTION' },
      );
    }
  }
}

export function intOption(component: string, option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !(Number.isSafeInteger(value) || value === Number.POSITIVE_INFINITY) ||
    value < min
  ) {
    throw invalid(component, option, value, `an integer >= ${min}`);
  }
  return value;
}

export function qosOption(component: string, value: unknown): 0 | 1 {
  if (value === undefined) return 1;
  if (value !== 0 && value !== 1) throw invalid(component, 'qos', value, '0 or 1 (QoS 2 is not supported)');
  return value;
}

export function fnOption(component: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw invalid(component, option, value, 'a function');
}

export function stringOption(component: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw invalid(component, option, value, 'a non-empty string');
  return value;
}
