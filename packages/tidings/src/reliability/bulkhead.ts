import { AbortedError } from '../errors.js';
import type { Middleware } from '../bus/middleware.js';
import { BulkheadFullError } from './errors.js';
import { integerOption, optionsObject, signalOption, stringOption, type OptionKeys } from './options.js';
import { invoke } from './signals.js';

/** Options of {@link createBulkhead}. */
export interface BulkheadOptions {
  /** Named in errors; default 'bulkhead'. */
  readonly name?: string;
  /** Calls allowed to run at once. Integer >= 1. */
  readonly maxConcurrent: number;
  /** Calls allowed to wait for a slot (FIFO). Integer >= 0 (0: never wait); default 0. */
  readonly maxQueued?: number;
}

/** Counters of a {@link Bulkhead}. */
export interface BulkheadStats {
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting now. */
  readonly queued: number;
  /** Calls refused with {@link BulkheadFullError} since creation. */
  readonly rejected: number;
  /** Calls that finished (either way) since creation. */
  readonly completed: number;
  /** Queued calls withdrawn through their AbortSignal since creation. */
  readonly cancelled: number;
  /** The most calls ever running at once, and ever waiting at once. */
  readonly highestActive: number;
  readonly highestQueued: number;
}

/** A bulkhead; see {@link createBulkhead}. */
export interface Bulkhead {
  readonly name: string;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  /**
   * Runs `fn` when a slot is free, waits in the queue when none is, rejects with
   * {@link BulkheadFullError} when the queue is full too. Aborting `signal` while the call waits
   * removes it from the queue and rejects with `AbortedError`; once running, `fn` owns the signal.
   */
  execute<T>(fn: () => T | PromiseLike<T>, options?: { readonly signal?: AbortSignal | undefined }): Promise<T>;
  stats(): BulkheadStats;
}

const BULKHEAD_KEYS = { name: true, maxConcurrent: true, maxQueued: true } satisfies OptionKeys<BulkheadOptions>;
const EXECUTE_KEYS = { signal: true } satisfies OptionKeys<{ signal?: AbortSignal | undefined }>;

interface Waiter {
  readonly start: () => void;
  readonly cancel: () => void;
}

/**
 * Creates a bulkhead: at most `maxConcurrent` calls run at once and at most `maxQueued` wait;
 * the rest are refused at once. It keeps one slow dependency from taking every resource of the
 * process, and keeps the waiting bounded.
 *
 * @example
 * const emails = createBulkhead({ name: 'smtp', maxConcurrent: 4, maxQueued: 100 });
 * await emails.execute(() => smtp.send(message), { signal });
 */
export function createBulkhead(input: BulkheadOptions): Bulkhead {
  const component = 'createBulkhead';
  const options = optionsObject(component, input, BULKHEAD_KEYS);
  stringOption(component, 'name', options.name);
  const name = options.name ?? 'bulkhead';
  const maxConcurrent = integerOption(component, 'maxConcurrent', options.maxConcurrent, 1);
  const maxQueued = integerOption(component, 'maxQueued', options.maxQueued ?? 0, 0);

  const queue: Waiter[] = [];
  let active = 0;
  let rejected = 0;
  let completed = 0;
  let cancelled = 0;
  let highestActive = 0;
  let highestQueued = 0;

  const run = <T>(fn: () => T | PromiseLike<T>): Promise<T> => {
    active += 1;
    if (active > highestActive) highestActive = active;
    return invoke(fn).finally(() => {
      completed += 1;
      active -= 1;
      // Hand the slot to the next waiter in the same tick, so a newcomer cannot overtake the queue.
      queue.shift()?.start();
    });
  };

  return {
    name,
    maxConcurrent,
    maxQueued,
    execute<T>(
      fn: () => T | PromiseLike<T>,
      executeOptions: { readonly signal?: AbortSignal | undefined } = {},
    ): Promise<T> {
      try {
        optionsObject('Bulkhead.execute', executeOptions, EXECUTE_KEYS);
        signalOption('Bulkhead.execute', 'signal', executeOptions.signal);
      } catch (error) {
        return Promise.reject(error);
      }
      const signal = executeOptions.signal;
      if (signal?.aborted) return Promise.reject(new AbortedError(`bulkhead '${name}'`, signal.reason));
      if (active < maxConcurrent) return run(fn);
      if (queue.length >= maxQueued) {
        rejected += 1;
        return Promise.reject(new BulkheadFullError(name, maxConcurrent, maxQueued));
      }
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => waiter.cancel();
        const waiter: Waiter = {
          start: () => {
            signal?.removeEventListener('abort', onAbort);
            run(fn).then(resolve, reject);
          },
          cancel: () => {
            const index = queue.indexOf(waiter);
            if (index === -1) return;
            queue.splice(index, 1);
            cancelled += 1;
            reject(new AbortedError(`waiting in bulkhead '${name}'`, signal?.reason));
          },
        };
        queue.push(waiter);
        if (queue.length > highestQueued) highestQueued = queue.length;
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    stats() {
      return { active, queued: queue.length, rejected, completed, cancelled, highestActive, highestQueued };
    },
  };
}

/**
 * A bulkhead as middleware; a queued message is withdrawn when `ctx.signal` aborts.
 *
 * @example
 * bus.use(bulkheadMiddleware(createBulkhead({ maxConcurrent: 8, maxQueued: 64 })));
 */
export function bulkheadMiddleware(guard: Bulkhead): Middleware {
  return function bulkhead(ctx, next) {
    return guard.execute(next, { signal: ctx.signal });
  };
}
