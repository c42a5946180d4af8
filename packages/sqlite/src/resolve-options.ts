import { choiceOption, countOption, functionOption, resolveStoreOptions } from 'tidings/store-kit';
import type { ResolvedOptions, SqliteEventStoreOptions } from './options.js';

const C = 'sqliteEventStore';

const OWN_KEYS = [
  'synchronous',
  'busyTimeoutMs',
  'maxBatchAppends',
  'maxBatchBytes',
  'readPageSize',
  'pollIntervalMs',
  'random',
] as const;

/**
 * Applies defaults and refuses unknown keys and nonsensical values with a ValidationError naming
 * the option (the shared store validators: one name, range and error per option in every store).
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  const common = resolveStoreOptions(C, options, OWN_KEYS, '@tidings/sqlite');
  const o = (options ?? {}) as SqliteEventStoreOptions;
  functionOption(C, 'random', o.random);
  return {
    ...common,
    synchronous: choiceOption(C, 'synchronous', o.synchronous, ['normal', 'full'], 'normal'),
    busyTimeoutMs: countOption(C, 'busyTimeoutMs', o.busyTimeoutMs, 10, 0, 2_147_483_647),
    maxBatchAppends: countOption(C, 'maxBatchAppends', o.maxBatchAppends, 512, 1),
    maxBatchBytes: countOption(C, 'maxBatchBytes', o.maxBatchBytes, 8 * 1024 * 1024, 1),
    readPageSize: countOption(C, 'readPageSize', o.readPageSize, 500, 1),
    pollIntervalMs: countOption(C, 'pollIntervalMs', o.pollIntervalMs, 100, 1, 2_147_483_647),
    random: o.random ?? Math.random,
  };
}
