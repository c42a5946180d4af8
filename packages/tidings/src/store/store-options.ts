import {
  assertKnownKeys,
  clockOption,
  functionOption,
  invalidOption,
  objectWithOption,
} from '../reliability/options.js';
import { systemClock, type Clock } from '../time/clock.js';
import { MAX_EVENT_BYTES_LIMIT, MAX_TIMEOUT_MS } from './limits.js';
import type { DataCodec, Upcast } from './types.js';
import { DEFAULT_MAX_EVENT_BYTES } from './validation.js';

// The factory options every store shares, validated here once: one name, one meaning, one range
// and one error (ValidationError INVALID_OPTION / UNKNOWN_OPTION / INVALID_OPTIONS) for each option
// in every store. `undefined` means the default; anything else, `null` included, must be valid.

/** Receives what a store cannot throw to a caller: failing `afterCommit` callbacks, head listeners, polls. */
export type StoreErrorHandler = (error: unknown, context: string) => void;

/** Options every store accepts (`createInMemoryEventStore`, `sqliteEventStore`, `postgresEventStore`). */
export interface CommonStoreOptions {
  /** Source of `recordedAt`, retention ages and lock-wait deadlines. Default: the system clock. */
  readonly clock?: Clock | undefined;
  /** Encodes data on append and decodes it on read (encryption, crypto-shredding). */
  readonly codec?: DataCodec | undefined;
  /** Rewrites every event read into its current shape (see `createUpcaster`). */
  readonly upcast?: Upcast | undefined;
  /** Largest event accepted, in UTF-8 bytes of data plus metadata JSON. Default 1 MiB, at most 256 MiB. */
  readonly maxEventBytes?: number | undefined;
  /**
   * Longest wait for the store's write lock, whoever holds it (another process, or a transaction
   * of this store in this process), before the call fails with `StoreBusyError`. Default 5000 ms.
   */
  readonly lockTimeoutMs?: number | undefined;
  /**
   * Receives errors of `afterCommit` callbacks, head listeners and background polls, with where
   * they happened (`'afterCommit callback'`, `'onHeadMoved listener'`, `'head poll'`). Default:
   * `console.error`.
   */
  readonly onError?: StoreErrorHandler | undefined;
}

/** {@link CommonStoreOptions} with every default applied. */
export interface ResolvedStoreOptions {
  readonly clock: Clock;
  readonly codec: DataCodec | undefined;
  readonly upcast: Upcast | undefined;
  readonly maxEventBytes: number;
  readonly lockTimeoutMs: number;
  readonly onError: StoreErrorHandler;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5000;

const COMMON_KEYS = ['clock', 'codec', 'upcast', 'maxEventBytes', 'lockTimeoutMs', 'onError'] as const;

/**
 * Checks a store factory's options: a plain object or nothing, no key outside the common ones
 * and `ownKeys`; then validates the common ones and applies their defaults. The store validates
 * its own keys with {@link countOption} and friends.
 *
 * @example
 * const common = resolveStoreOptions('sqliteEventStore', options, ['synchronous', 'pollIntervalMs'], '@tidings/sqlite');
 */
export function resolveStoreOptions(
  component: string,
  options: unknown,
  ownKeys: readonly string[],
  label: string,
  renamed?: Readonly<Record<string, string>>,
): ResolvedStoreOptions {
  assertKnownKeys(`${component}(options)`, options, [...COMMON_KEYS, ...ownKeys], renamed);
  const o = (options ?? {}) as CommonStoreOptions;
  clockOption(component, 'clock', o.clock);
  objectWithOption(component, 'codec', o.codec, ['encode', 'decode'], 'a DataCodec ({ encode, decode })');
  functionOption(component, 'upcast', o.upcast);
  functionOption(component, 'onError', o.onError);
  const clock = o.clock ?? systemClock;
  const codec = o.codec;
  return {
    clock,
    codec,
    upcast: o.upcast,
    maxEventBytes: countOption(
      component,
      'maxEventBytes',
      o.maxEventBytes,
      DEFAULT_MAX_EVENT_BYTES,
      1,
      MAX_EVENT_BYTES_LIMIT,
    ),
    lockTimeoutMs: countOption(component, 'lockTimeoutMs', o.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    onError: o.onError ?? ((error, context) => console.error(`[${label}] ${context}:`, error)),
  };
}

/**
 * A whole number in `[min, max]`, or `fallback` when `undefined`. NaN, fractions, Infinity,
 * strings and `null` are refused with ValidationError `INVALID_OPTION`.
 *
 * @example
 * const pageSize = countOption('sqliteEventStore', 'readPageSize', options.readPageSize, 500, 1);
 */
export function countOption(
  component: string,
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw invalidOption(component, option, value, `${range} (or nothing for the default ${fallback})`);
  }
  return value;
}

/**
 * One of `allowed`, or `fallback` when `undefined` (ValidationError `INVALID_OPTION` otherwise).
 *
 * @example
 * const level = choiceOption('sqliteEventStore', 'synchronous', options.synchronous, ['normal', 'full'], 'normal');
 */
export function choiceOption<T extends string | boolean>(
  component: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw invalidOption(component, option, value, `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return value as T;
}
