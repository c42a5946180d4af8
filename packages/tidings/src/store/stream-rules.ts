import { ValidationError } from '../errors.js';
import { assertKnownKeys } from '../reliability/options.js';
import { assertSerializable } from '../messages/serializable.js';
import { describeValue } from '../describe-value.js';
import { MAX_STORE_INTEGER, MAX_STREAM_MAX_AGE_MS, MIN_READ_TIME_MS } from './limits.js';
import { assertStorableJson } from './storable-text.js';
import type {
  DeleteMode,
  ExpectedVersion,
  ReadAllFilter,
  ReadAllOptions,
  ReadByTimeOptions,
  ReadStreamOptions,
  StreamMetadata,
} from './types.js';
import { assertExpectedVersion, assertLimit } from './validation.js';

function invalid(code: string, message: string, path: string): never {
  throw new ValidationError(message, [{ path: [path], message: 'invalid' }], { code });
}

const show = describeValue;

const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/**
 * Validates stream metadata and returns its JSON text, as every store keeps it. `maxAge`
 * (milliseconds, at most {@link MAX_STREAM_MAX_AGE_MS}) and `maxCount` must be positive integers
 * when present; the rest must be JSON.
 */
export function encodeStreamMetadata(streamId: string, metadata: unknown): string {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    invalid(
      'INVALID_STREAM_METADATA',
      `setStreamMetadata('${streamId}', metadata) expects a plain object, got ${show(metadata)}.`,
      'metadata',
    );
  }
  const { maxAge, maxCount } = metadata as StreamMetadata;
  if (maxAge !== undefined && (!isPositiveInteger(maxAge) || maxAge > MAX_STREAM_MAX_AGE_MS)) {
    invalid(
      'INVALID_STREAM_METADATA',
      `Stream metadata maxAge ${show(maxAge)} for '${streamId}': expected a positive integer number of milliseconds up to ${MAX_STREAM_MAX_AGE_MS} (1,000 years), or nothing to keep events forever.`,
      'maxAge',
    );
  }
  if (maxCount !== undefined && !isPositiveInteger(maxCount)) {
    invalid(
      'INVALID_STREAM_METADATA',
      `Stream metadata maxCount ${show(maxCount)} for '${streamId}': expected a positive integer, or nothing.`,
      'maxCount',
    );
  }
  assertSerializable(metadata, `stream metadata of '${streamId}'`, 'metadata');
  const text = JSON.stringify(metadata);
  assertStorableJson(text, metadata, `stream metadata of '${streamId}'`, 'metadata');
  return text;
}

/** Validates `truncateBefore`'s version: a non-negative bigint. */
export function assertTruncateVersion(streamId: string, before: unknown): asserts before is bigint {
  if (typeof before !== 'bigint' || before < 0n || before > MAX_STORE_INTEGER) {
    invalid(
      'INVALID_VERSION',
      `truncateBefore('${streamId}', before) expects a bigint version from 0n to 2^63 - 1 such as 10n, got ${show(before)}.`,
      'before',
    );
  }
}

/** Validates `deleteStream`'s options and applies the defaults (`mode: 'soft'`, `expectedVersion: 'any'`). */
export function resolveDeleteOptions(
  streamId: string,
  options: unknown,
): { mode: DeleteMode; expectedVersion: ExpectedVersion } {
  assertKnownKeys(`deleteStream('${streamId}', options)`, options, ['mode', 'expectedVersion']);
  const o = (options ?? {}) as { mode?: unknown; expectedVersion?: unknown };
  const mode = o.mode === undefined ? 'soft' : o.mode;
  if (mode !== 'soft' && mode !== 'hard') {
    invalid(
      'INVALID_DELETE_MODE',
      `deleteStream('${streamId}') mode ${show(mode)}: expected 'soft' (hidden, can be written again) or 'hard' (tombstoned forever).`,
      'mode',
    );
  }
  const expectedVersion = o.expectedVersion === undefined ? 'any' : o.expectedVersion;
  assertExpectedVersion(expectedVersion);
  return { mode, expectedVersion };
}

function readError(message: string, path: string): ValidationError {
  return new ValidationError(message, [{ path: [path], message: 'invalid' }], { code: 'INVALID_READ_OPTIONS' });
}

function assertDirection(direction: unknown): asserts direction is 'forward' | 'backward' | undefined {
  if (direction !== undefined && direction !== 'forward' && direction !== 'backward') {
    throw readError(`Invalid read direction ${show(direction)}: expected 'forward' or 'backward'.`, 'direction');
  }
}

function assertFrom(from: unknown, what: string): asserts from is bigint | undefined {
  if (from !== undefined && (typeof from !== 'bigint' || from < 0n || from > MAX_STORE_INTEGER)) {
    throw readError(
      `Invalid read option from=${show(from)}: expected a bigint ${what} from 0n to 2^63 - 1 such as 1n, or nothing.`,
      'from',
    );
  }
}

/** A read's options: nothing or an object with only `known` keys (ValidationError INVALID_OPTIONS / UNKNOWN_OPTION). */
function readOptions(options: unknown, where: string, known: readonly string[]): Record<string, unknown> {
  assertKnownKeys(where, options, known);
  return (options ?? {}) as Record<string, unknown>;
}

/** Validates readStream options (ValidationError codes `INVALID_READ_OPTIONS` / `INVALID_LIMIT` / `UNKNOWN_OPTION`). */
export function assertReadStreamOptions(options: ReadStreamOptions | undefined): void {
  const o = readOptions(options, 'readStream(streamId, options)', ['from', 'direction', 'limit']);
  assertFrom(o['from'], 'version');
  assertDirection(o['direction']);
  assertLimit(o['limit']);
}

/** Validates a readAll filter. An empty list matches nothing (decision 0103). */
export function assertReadAllFilter(filter: ReadAllFilter | undefined): void {
  if (filter === undefined) return;
  // A misspelt key (`type`) would otherwise widen the filter to everything.
  assertKnownKeys('filter', filter, FILTER_KEYS);
  for (const key of ['types', 'categories'] as const) {
    assertNames(filter[key], `filter ${key}`);
  }
}

function assertNames(list: unknown, what: string): void {
  if (list !== undefined && (!Array.isArray(list) || !list.every((v) => typeof v === 'string'))) {
    throw readError(`Invalid ${what}: expected an array of strings, got ${show(list)}.`, what);
  }
}

const FILTER_KEYS = ['types', 'categories'] as const;

/** Validates readAll options. */
export function assertReadAllOptions(options: ReadAllOptions | undefined): void {
  const o = readOptions(options, 'readAll(options)', ['from', 'direction', 'limit', 'filter']);
  assertFrom(o['from'], 'position');
  assertDirection(o['direction']);
  assertLimit(o['limit']);
  assertReadAllFilter(o['filter'] as ReadAllFilter | undefined);
}

/** Validates readByType's arguments: an array of type names, and readAll's options without `filter`. */
export function assertReadByTypeArguments(types: unknown, options: unknown): void {
  assertNames(types, 'readByType types');
  const o = readOptions(options, 'readByType(types, options)', ['from', 'direction', 'limit']);
  assertFrom(o['from'], 'position');
  assertDirection(o['direction']);
  assertLimit(o['limit']);
}

/**
 * Validates readByTime options: two valid Dates from {@link MIN_READ_TIME_MS} (4713 BC, the
 * earliest every store can compare against) on, an optional limit and filter.
 */
export function assertReadByTimeOptions(options: ReadByTimeOptions | undefined): void {
  const where = 'readByTime(options)';
  if (options === undefined) {
    throw readError(`${where} expects { from, to }: two Dates, from inclusive, to exclusive.`, 'options');
  }
  const o = readOptions(options, where, ['from', 'to', 'limit', 'filter']);
  for (const key of ['from', 'to'] as const) {
    const d = o[key];
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
      throw readError(`${where}: ${key} must be a valid Date (from inclusive, to exclusive), got ${show(d)}.`, key);
    }
    if (d.getTime() < MIN_READ_TIME_MS) {
      throw readError(
        `${where}: ${key} is ${d.toISOString()}, before 4713 BC, the earliest time every store can compare against. Use new Date(0) or any later Date for "from the beginning": no event is recorded before the store existed.`,
        key,
      );
    }
  }
  assertLimit(o['limit']);
  assertReadAllFilter(o['filter'] as ReadAllFilter | undefined);
}

/** The retention state of one stream, as reads apply it. */
export interface RetentionState {
  /** The stream's current version. */
  readonly version: bigint;
  readonly maxAge?: number | undefined;
  readonly maxCount?: number | undefined;
}

/**
 * True when an event is still readable under its stream's `maxCount` and `maxAge` (decision
 * 0103): it is among the newest `maxCount` versions and `now - recordedAt <= maxAge`.
 */
export function isRetained(version: bigint, recordedAtMs: number, stream: RetentionState, nowMs: number): boolean {
  if (stream.maxCount !== undefined && version <= stream.version - BigInt(stream.maxCount)) return false;
  if (stream.maxAge !== undefined && nowMs - recordedAtMs > stream.maxAge) return false;
  return true;
}
