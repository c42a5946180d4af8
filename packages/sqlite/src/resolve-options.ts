import { systemClock, ValidationError } from 'tidings';
import type { ResolvedOptions, SqliteEventStoreOptions } from './options.js';

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(
      `sqliteEventStore option ${name} is ${String(value)}: expected an integer >= ${min}, or nothing for the default ${fallback}.`,
      [{ path: [name], message: 'invalid' }],
    );
  }
  return value;
}

/** Applies defaults and refuses nonsensical options with a ValidationError naming the option. */
export function resolveOptions(options: SqliteEventStoreOptions): ResolvedOptions {
  const synchronous = options.synchronous ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ValidationError(
      `sqliteEventStore option synchronous is ${JSON.stringify(synchronous)}: expected 'normal' or 'full'.`,
      [{ path: ['synchronous'], message: 'invalid' }],
    );
  }
  return {
    synchronous,
    lockTimeoutMs: count('lockTimeoutMs', options.lockTimeoutMs, 5000, 0),
    busyTimeoutMs: count('busyTimeoutMs', options.busyTimeoutMs, 10, 0),
    maxBatchAppends: count('maxBatchAppends', options.maxBatchAppends, 512, 1),
    maxBatchBytes: count('maxBatchBytes', options.maxBatchBytes, 8 * 1024 * 1024, 1),
    maxEventBytes: options.maxEventBytes,
    readPageSize: count('readPageSize', options.readPageSize, 500, 1),
    pollIntervalMs: count('pollIntervalMs', options.pollIntervalMs, 100, 1),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    codec: options.codec,
    upcast: options.upcast,
    onError: options.onError ?? ((error: unknown) => console.error('[@tidings/sqlite]', error)),
  };
}
