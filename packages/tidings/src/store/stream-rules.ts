import { TidingsError, ValidationError } from '../errors.js';
import { assertKnownKeys } from '../reliability/options.js';
import { assertSerializable } from '../messages/serializable.js';
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

/** Shows any value in an error message; JSON.stringify alone throws on bigint. */
function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/**
 * Validates stream metadata and returns its JSON text, as every store keeps it. `maxAge`
 * (milliseconds) and `maxCount` must be positive integers when present; the rest must be JSON.
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
  if (maxAge !== undefined && !isPositiveInteger(maxAge)) {
    invalid(
      'INVALID_STREAM_METADATA',
      `Stream metadata maxAge ${show(maxAge)} for '${streamId}': expected a positive integer number of milliseconds, or nothing.`,
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
  if (typeof before !== 'bigint' || before < 0n) {
    invalid(
      'INVALID_VERSION',
      `truncateBefore('${streamId}', before) expects a non-negative bigint version such as 10n, got ${show(before)}.`,
      'before',
    );
  }
}

/** Validates `deleteStream`'s options and applies the defaults (`mode: 'soft'`, `expectedVersion: 'any'`). */
export function resolveDeleteOptions(
  streamId: string,
  options: unknown,
): { mode: DeleteMode; expectedVersion: ExpectedVersion } {
  const o = (options ?? {}) as { mode?: unknown; expectedVersion?: unknown };
  const mode = o.mode ?? 'soft';
  if (mode !== 'soft' && mode !== 'hard') {
    invalid(
      'INVALID_DELETE_MODE',
      `deleteStream('${streamId}') mode ${show(mode)}: expected 'soft' (hidden, can be written again) or 'hard' (tombstoned forever).`,
      'mode',
    );
  }
  const expectedVersion = o.expectedVersion ?? 'any';
  assertExpectedVersion(expectedVersion);
  return { mode, expectedVersion };
}

function assertDirection(direction: unknown): asserts direction is 'forward' | 'backward' | undefined {
  if (direction !== undefined && direction !== 'forward' && direction !== 'backward') {
    throw new TidingsError(
      'INVALID_READ_OPTIONS',
      `Invalid read direction ${show(direction)}: expected 'forward' or 'backward'.`,
    );
  }
}

function assertFrom(from: unknown, what: string): asserts from is bigint | undefined {
  if (from !== undefined && (typeof from !== 'bigint' || from < 0n)) {
    throw new TidingsError(
      'INVALID_READ_OPTIONS',
      `Invalid read option from=${show(from)}: expected a non-negative bigint ${what} such as 1n, or nothing.`,
    );
  }
}

/** Validates readStream options (typed `TidingsError` codes `INVALID_READ_OPTIONS` / `INVALID_LIMIT`). */
export function assertReadStreamOptions(options: ReadStreamOptions | undefined): void {
  assertFrom(options?.from, 'version');
  assertDirection(options?.direction);
  assertLimit(options?.limit);
}

/** Validates a readAll filter. An empty list matches nothing (decision 0103). */
export function assertReadAllFilter(filter: ReadAllFilter | undefined): void {
  if (filter === undefined) return;
  // A misspelt key (`type`) would otherwise widen the filter to everything.
  assertKnownKeys('filter', filter, FILTER_KEYS);
  for (const key of ['types', 'categories'] as const) {
    const list = filter[key];
    if (list !== undefined && (!Array.isArray(list) || !list.every((v) => typeof v === 'string'))) {
      throw new TidingsError(
        'INVALID_READ_OPTIONS',
        `Invalid readAll filter ${key}: expected an array of strings, got ${show(list)}.`,
      );
    }
  }
}

const FILTER_KEYS = ['types', 'categories'] as const;

/** Validates readAll options. */
export function assertReadAllOptions(options: ReadAllOptions | undefined): void {
  assertFrom(options?.from, 'position');
  assertDirection(options?.direction);
  assertLimit(options?.limit);
  assertReadAllFilter(options?.filter);
}

/** Validates readByTime options: two valid Dates, an optional limit and filter. */
export function assertReadByTimeOptions(options: ReadByTimeOptions | undefined): void {
  const ok = (d: unknown): boolean => d instanceof Date && !Number.isNaN(d.getTime());
  if (options === undefined || !ok(options.from) || !ok(options.to)) {
    throw new TidingsError(
      'INVALID_READ_OPTIONS',
      'readByTime({ from, to }) expects two valid Dates: from inclusive, to exclusive.',
    );
  }
  assertLimit(options.limit);
  assertReadAllFilter(options.filter);
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
