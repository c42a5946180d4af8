import { ValidationError } from '../errors.js';
import { uuidv7 } from '../messages/ids.js';
import { assertKnownKeys, functionOption, integerOption, invalidOption } from '../reliability/options.js';
import { MAX_LEASE_TTL_MS, MAX_PROCESSOR_NAME_LENGTH } from '../store/processing-validation.js';
import type { EventStore } from '../store/types.js';
import { systemClock, type Clock } from '../time/clock.js';
import { processorHandlers, type ProcessorHandlers } from './define-processor.js';
import type { Processor, ProcessorRunnerOptions } from './processor-types.js';

export const COMPONENT = 'createProcessorRunner';
const KEYS = [
  'processors',
  'owner',
  'clock',
  'leaseTtlMs',
  'renewIntervalMs',
  'acquireIntervalMs',
  'pageSize',
  'pollIntervalMs',
  'startTimeoutMs',
  'stopTimeoutMs',
  'random',
  'onError',
  'onParked',
] as const;

export interface ResolvedRunnerOptions {
  readonly processors: readonly { readonly processor: Processor<never>; readonly handlers: ProcessorHandlers }[];
  readonly owner: string;
  readonly clock: Clock;
  readonly leaseTtlMs: number;
  readonly renewIntervalMs: number;
  readonly acquireIntervalMs: number;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly random: () => number;
  readonly onError: ProcessorRunnerOptions['onError'];
  readonly onParked: ProcessorRunnerOptions['onParked'];
}

function isStore(store: unknown): store is EventStore {
  const s = store as Partial<EventStore> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.subscribe === 'function' &&
    typeof s.transaction === 'function' &&
    typeof s.processing === 'object'
  );
}

function isClock(clock: unknown): clock is Clock {
  const c = clock as Partial<Clock> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.now === 'function' &&
    typeof c.setTimeout === 'function' &&
    typeof c.sleep === 'function'
  );
}

/** Validates the runner's arguments; refuses unknown keys, bad values, duplicate names. */
export function resolveRunnerOptions(store: unknown, options: ProcessorRunnerOptions<never>): ResolvedRunnerOptions {
  if (!isStore(store)) {
    throw new ValidationError(
      `${COMPONENT}(store, options): the first argument must be an event store (with subscribe, transaction and processing).`,
      [{ path: ['store'], message: 'not an event store' }],
      { code: 'INVALID_OPTIONS' },
    );
  }
  if (options === undefined) {
    throw new ValidationError(`${COMPONENT}: options { processors } are required.`, [], { code: 'INVALID_OPTIONS' });
  }
  assertKnownKeys(COMPONENT, options, KEYS);
  const list: unknown = options.processors;
  if (!Array.isArray(list)) {
    throw new ValidationError(`${COMPONENT}: 'processors' must be an array of processors from defineProcessor().`, [
      { path: ['processors'], message: 'not an array' },
    ]);
  }
  const seen = new Set<string>();
  const processors = (list as Processor<never>[]).map((processor, index) => {
    const handlers = processorHandlers(processor);
    if (seen.has(processor.name)) {
      throw new ValidationError(
        `${COMPONENT}: two processors are named '${processor.name}' (the second at processors[${index}]). A name keys the checkpoint, the lease and the parked events, so it must be unique: rename one.`,
        [{ path: ['processors', index, 'name'], message: 'duplicate processor name' }],
        { code: 'DUPLICATE_PROCESSOR' },
      );
    }
    seen.add(processor.name);
    return { processor, handlers };
  });
  const owner = options.owner ?? `runner-${uuidv7()}`;
  if (
    typeof owner !== 'string' ||
    owner.length === 0 ||
    owner.length > MAX_PROCESSOR_NAME_LENGTH ||
    owner.includes('\u0000')
  ) {
    throw invalidOption(
      COMPONENT,
      'owner',
      owner,
      `a non-empty string of at most ${MAX_PROCESSOR_NAME_LENGTH} characters without U+0000`,
    );
  }
  const clock = options.clock ?? systemClock;
  if (!isClock(clock)) throw invalidOption(COMPONENT, 'clock', clock, 'a Clock (now, setTimeout, sleep)');
  const leaseTtlMs = integerOption(COMPONENT, 'leaseTtlMs', options.leaseTtlMs ?? 30_000, 100);
  if (leaseTtlMs > MAX_LEASE_TTL_MS)
    throw invalidOption(COMPONENT, 'leaseTtlMs', leaseTtlMs, `an integer from 100 to ${MAX_LEASE_TTL_MS}`);
  const third = Math.max(10, Math.floor(leaseTtlMs / 3));
  const renewIntervalMs = integerOption(COMPONENT, 'renewIntervalMs', options.renewIntervalMs ?? third, 10);
  if (renewIntervalMs >= leaseTtlMs) {
    throw invalidOption(
      COMPONENT,
      'renewIntervalMs',
      renewIntervalMs,
      `an integer >= 10 and below leaseTtlMs (${leaseTtlMs})`,
    );
  }
  const acquireIntervalMs = integerOption(COMPONENT, 'acquireIntervalMs', options.acquireIntervalMs ?? third, 10);
  const pageSize = integerOption(COMPONENT, 'pageSize', options.pageSize ?? 500, 1);
  if (pageSize > 10_000) throw invalidOption(COMPONENT, 'pageSize', pageSize, 'an integer from 1 to 10000');
  const pollIntervalMs = integerOption(COMPONENT, 'pollIntervalMs', options.pollIntervalMs ?? 1000, 10);
  const startTimeoutMs = integerOption(COMPONENT, 'startTimeoutMs', options.startTimeoutMs ?? 30_000, 1);
  const stopTimeoutMs = integerOption(COMPONENT, 'stopTimeoutMs', options.stopTimeoutMs ?? 30_000, 1);
  functionOption(COMPONENT, 'random', options.random);
  functionOption(COMPONENT, 'onError', options.onError);
  functionOption(COMPONENT, 'onParked', options.onParked);
  return {
    processors,
    owner,
    clock,
    leaseTtlMs,
    renewIntervalMs,
    acquireIntervalMs,
    pageSize,
    pollIntervalMs,
    startTimeoutMs,
    stopTimeoutMs,
    random: options.random ?? Math.random,
    onError: options.onError,
    onParked: options.onParked,
  };
}

/** A per-call `timeoutMs`, or the default. */
export function timeoutOption(
  component: string,
  options: { readonly timeoutMs?: number } | undefined,
  fallback: number,
): number {
  assertKnownKeys(component, options, ['timeoutMs']);
  return integerOption(component, 'timeoutMs', options?.timeoutMs ?? fallback, 1);
}
