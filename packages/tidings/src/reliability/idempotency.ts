import { TidingsError } from '../errors.js';
import type { Middleware, MiddlewareContext } from '../bus/middleware.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { IdempotencyStore } from './idempotency-store.js';
import {
  clockOption,
  functionOption,
  invalidOption,
  objectWithOption,
  optionsObject,
  positiveOption,
  signalOption,
  type OptionKeys,
} from './options.js';
import { copyResult, snapshotResult } from './result-copy.js';
import { invoke, raceAbort, rejectWith } from './signals.js';

/** Options shared by {@link idempotent} and {@link idempotencyMiddleware}. */
export interface IdempotencyOptions {
  readonly store: IdempotencyStore;
  /** How long a completed key is remembered, ms. > 0; default 24 h. */
  readonly ttlMs?: number;
  /**
   * How long a run holds its claim before it is presumed dead and another caller may run, ms.
   * Must exceed the longest run. > 0; default 5 min.
   */
  readonly leaseMs?: number;
  /** How often a caller polls a key that another process is running, ms. > 0; default 100. */
  readonly pollIntervalMs?: number;
  readonly clock?: Clock;
}

interface Settings {
  readonly store: IdempotencyStore;
  readonly ttlMs: number;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly clock: Clock;
}

const SETTINGS_KEYS = {
  store: true,
  ttlMs: true,
  leaseMs: true,
  pollIntervalMs: true,
  clock: true,
} satisfies OptionKeys<IdempotencyOptions>;
const IDEMPOTENT_KEYS = { ...SETTINGS_KEYS, key: true, signal: true } as const;
const MIDDLEWARE_KEYS = { ...SETTINGS_KEYS, key: true } as const;

function settingsOf(component: string, options: IdempotencyOptions): Settings {
  const store = options.store as IdempotencyStore | undefined;
  if (store === undefined) {
    throw invalidOption(component, 'store', store, 'an IdempotencyStore (e.g. createIdempotencyStore())');
  }
  objectWithOption(
    component,
    'store',
    store,
    ['get', 'begin', 'complete', 'fail'],
    'an IdempotencyStore (e.g. createIdempotencyStore())',
  );
  clockOption(component, 'clock', options.clock);
  return {
    store,
    ttlMs: positiveOption(component, 'ttlMs', options.ttlMs ?? 24 * 3_600_000),
    leaseMs: positiveOption(component, 'leaseMs', options.leaseMs ?? 5 * 60_000),
    pollIntervalMs: positiveOption(component, 'pollIntervalMs', options.pollIntervalMs ?? 100),
    clock: options.clock ?? systemClock,
  };
}

// Runs in flight in this process, per store: concurrent duplicates join the same promise instead
// of polling the store. Cross-process duplicates fall back to polling.
const inflightByStore = new WeakMap<IdempotencyStore, Map<string, Promise<unknown>>>();

function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TidingsError(
      'INVALID_IDEMPOTENCY_KEY',
      `An idempotency key must be a non-empty string, got ${typeof key === 'string' ? '""' : typeof key}. Derive it from something stable, e.g. the message id.`,
    );
  }
}

function runOnce<T>(
  settings: Settings,
  key: string,
  fn: () => T | PromiseLike<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  const { store } = settings;
  let inflight = inflightByStore.get(store);
  if (inflight === undefined) {
    inflight = new Map();
    inflightByStore.set(store, inflight);
  }
  const shared = inflight.get(key);
  // A joiner may stop waiting through its own signal; the shared run goes on for the others. Each
  // joiner gets its own copy of the result, as from the store (see result-copy.ts).
  if (shared !== undefined) {
    return raceAbort(
      shared.then((stored) => copyResult(stored as T)),
      signal,
      `waiting for idempotency key '${key}'`,
    );
  }

  const run = async (): Promise<T> => {
    for (;;) {
      const claim = await store.begin(key, { leaseMs: settings.leaseMs });
      if (claim.claimed) {
        let result: T;
        try {
          result = await invoke(fn);
        } catch (error) {
          // A failure does not poison the key: the claim is released and the next repeat runs.
          // If even the release fails, the lease expiry frees the key; the caller sees its own error.
          await store.fail(key, claim.owner).catch(() => undefined);
          throw error;
        }
        // `false` means our lease expired and another run took over; our result is still ours.
        await store.complete(key, claim.owner, result, { ttlMs: settings.ttlMs });
        return result;
      }
      if (claim.record.status === 'completed') return claim.record.result as T;
      // Another process holds the key: wait, then ask again (it completes, fails or its lease ends).
      await settings.clock.sleep(settings.pollIntervalMs, signal);
    }
  };
  const promise = run().finally(() => {
    inflight.delete(key);
  });
  // The joiners' view is snapshotted when the run resolves, before the first caller (whose
  // continuation is registered later) can mutate what it received.
  const forJoiners = promise.then(snapshotResult);
  forJoiners.catch(() => undefined); // without joiners nobody listens; the first caller gets the error
  inflight.set(key, forJoiners);
  return promise;
}

/**
 * Runs `fn` at most once per `key` while the key is remembered: a repeat returns the first run's
 * result without running `fn`; a repeat that arrives while the first run is still going waits
 * for it and shares its outcome (result or error). A run that fails releases the key, so the
 * next repeat runs `fn` again — failures are retried, successes are not. Each repeat receives its
 * own copy of the first result (a structured clone; a result that cannot be cloned, e.g. one
 * holding functions, is deep-frozen and shared instead), so no caller's mutation reaches another.
 *
 * @example
 * const store = createIdempotencyStore();
 * const receipt = await idempotent(() => payments.charge(cmd.data), { store, key: `charge:${cmd.data.orderId}` });
 */
export function idempotent<T>(
  fn: () => T | PromiseLike<T>,
  options: IdempotencyOptions & { readonly key: string; readonly signal?: AbortSignal },
): Promise<T> {
  try {
    optionsObject('idempotent', options, IDEMPOTENT_KEYS);
    signalOption('idempotent', 'signal', options.signal);
    const settings = settingsOf('idempotent', options);
    assertKey(options.key);
    return runOnce(settings, options.key, fn, options.signal);
  } catch (error) {
    return rejectWith(error);
  }
}

/** The default key: the message id, namespaced by the handler so two handlers of one event do not share it. */
export function defaultIdempotencyKey(ctx: MiddlewareContext): string {
  return `${ctx.handler ?? ctx.kind}:${ctx.message.id}`;
}

/**
 * Idempotency as middleware: a message whose key was seen returns the first result without
 * running the rest of the chain. The key defaults to {@link defaultIdempotencyKey}.
 *
 * @example
 * const store = createIdempotencyStore();
 * commandBus.use(idempotencyMiddleware({ store, key: (ctx) => `pay:${(ctx.message.data as Pay).paymentId}` }));
 */
export function idempotencyMiddleware(
  options: IdempotencyOptions & { readonly key?: (ctx: MiddlewareContext) => string },
): Middleware {
  optionsObject('idempotencyMiddleware', options, MIDDLEWARE_KEYS);
  const settings = settingsOf('idempotencyMiddleware', options);
  functionOption('idempotencyMiddleware', 'key', options.key);
  const keyOf = options.key ?? defaultIdempotencyKey;
  return function idempotency(ctx, next) {
    let key: string;
    try {
      key = keyOf(ctx);
      assertKey(key);
    } catch (error) {
      return rejectWith(error);
    }
    return runOnce(settings, key, next, ctx.signal);
  };
}
