import { assertKnownKeys, invalidOption } from 'tidings/store-kit';

// Option checks of the MQTT source and sink: unknown keys and bad values are refused before any
// connection is opened, with what was expected and what was found.

// The messages and codes are the core's (one wording for every package).
export const invalid = invalidOption;
export const assertKnown = (component: string, options: object, known: readonly string[]): void =>
  assertKnownKeys(component, options, known);

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
