import { TidingsError } from '../errors.js';
import type { Message } from '../messages/message.js';
import { jsonEqual, lineDiff, normalize } from './json-diff.js';

/**
 * A given/when/then spec did not hold. The message carries a readable line diff; `expected` and
 * `actual` are set too, so test runners that render diffs (vitest, jest, mocha) show their own.
 */
export class SpecFailedError extends TidingsError {
  readonly expected: unknown;
  readonly actual: unknown;
  /** Read by test runners: render a diff of `expected` and `actual`. */
  readonly showDiff: boolean;
  constructor(message: string, details: { expected?: unknown; actual?: unknown; cause?: unknown } = {}) {
    super('SPEC_FAILED', message, details.cause === undefined ? undefined : { cause: details.cause });
    this.expected = details.expected;
    this.actual = details.actual;
    this.showDiff = 'expected' in details && 'actual' in details;
  }
}

/** What a thrown error is checked against: an Error class, or a predicate on the error. */
export type ErrorExpectation = (abstract new (...args: never[]) => Error) | ((error: unknown) => boolean);

/**
 * The comparable shape of events: type and data, plus — only where the expected event states
 * metadata — the same metadata keys of the actual one. Both sides go through JSON.
 */
export function comparableEvents(
  expected: readonly Message[],
  actual: readonly Message[],
): { expected: unknown; actual: unknown } {
  const exp = expected.map((e) =>
    e.metadata === undefined ? { type: e.type, data: e.data } : { type: e.type, data: e.data, metadata: e.metadata },
  );
  const act = actual.map((e, i) => {
    const wanted = expected[i]?.metadata;
    if (wanted === undefined) return { type: e.type, data: e.data };
    const keys = Object.keys(wanted);
    const meta = (e.metadata ?? {}) as Record<string, unknown>;
    return {
      type: e.type,
      data: e.data,
      metadata: Object.fromEntries(keys.filter((k) => k in meta).map((k) => [k, meta[k]])),
    };
  });
  return { expected: normalize(exp), actual: normalize(act) };
}

/** Throws {@link SpecFailedError} with a diff unless the events match. */
export function assertEventsMatch(expected: readonly Message[], actual: readonly Message[], context: string): void {
  const cmp = comparableEvents(expected, actual);
  if (jsonEqual(cmp.expected, cmp.actual)) return;
  throw new SpecFailedError(
    `${context}: expected ${expected.length} event(s), got ${actual.length}${actual.length === expected.length ? ' that differ' : ''}.\n${lineDiff(cmp.expected, cmp.actual)}`,
    { expected: cmp.expected, actual: cmp.actual },
  );
}

/** Throws {@link SpecFailedError} with a diff unless the states match (as JSON). */
export function assertStateMatches(expected: unknown, actual: unknown, context: string): void {
  const exp = normalize(expected);
  const act = normalize(actual);
  if (jsonEqual(exp, act)) return;
  throw new SpecFailedError(`${context}: the state differs.\n${lineDiff(exp, act)}`, { expected: exp, actual: act });
}

/** Throws {@link SpecFailedError} unless `error` meets the expectation; returns the error. */
export function assertThrownMatches(
  error: unknown,
  expectation: ErrorExpectation | undefined,
  context: string,
): unknown {
  if (expectation === undefined) return error;
  if (isErrorClass(expectation)) {
    if (error instanceof expectation) return error;
    throw new SpecFailedError(`${context}: expected ${expectation.name}, got ${describeError(error)}.`, {
      cause: error,
    });
  }
  if (expectation(error)) return error;
  throw new SpecFailedError(`${context}: the thrown error did not satisfy the predicate: ${describeError(error)}.`, {
    cause: error,
  });
}

function isErrorClass(value: ErrorExpectation): value is abstract new (...args: never[]) => Error {
  const proto = (value as { prototype?: unknown }).prototype;
  return value === Error || (typeof proto === 'object' && proto !== null && proto instanceof Error);
}

/** A one-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `a non-Error value ${JSON.stringify(error) ?? String(error)}`;
}

/** Awaiting a spec step by mistake calls its `then` with functions: explain instead of misreading them as events. */
export function refuseThenable(value: unknown): void {
  if (typeof value === 'function') {
    throw new TypeError(
      'A spec step is not a promise: call .then([...expected events]) or .thenThrows(...) on it instead of awaiting it.',
    );
  }
}
