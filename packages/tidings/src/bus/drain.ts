import { AbortedError, TimeoutError } from '../errors.js';
import { optionsObject, positiveOption, signalOption, type OptionKeys } from '../reliability/options.js';
import type { Clock } from '../time/clock.js';
import { CloseIncompleteError, type UnfinishedWork } from './bus-errors.js';

/** How long `close()` waits for running handlers by default, ms (see docs/decisions/0410). */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** Options of a bus's or the app's `close()`. */
export interface CloseOptions {
  /**
   * Longest wait for running handlers and accepted publishes, ms on the bus's clock; `Infinity`
   * waits as long as they take. Default: the bus's `closeTimeoutMs` (10 000).
   */
  readonly timeoutMs?: number;
  /** Stops waiting when aborted, with the same outcome as reaching the timeout. */
  readonly signal?: AbortSignal;
}

const CLOSE_KEYS = { timeoutMs: true, signal: true } satisfies OptionKeys<CloseOptions>;

/** Checks the options of a `close()` call (throws `ValidationError`). */
export function closeOptionsOf(component: string, options: CloseOptions | undefined): void {
  if (options === undefined) return;
  optionsObject(component, options, CLOSE_KEYS);
  if (options.timeoutMs !== undefined) positiveOption(component, 'timeoutMs', options.timeoutMs, true);
  signalOption(component, 'signal', options.signal);
}

/** What {@link closeWithin} closes. */
export interface Closing {
  /** Named in the error: 'the event bus', 'the command bus', 'the app'. */
  readonly what: string;
  readonly clock: Clock;
  /** The bound when the call gives none, and the option that sets it. */
  readonly defaultTimeoutMs: number;
  readonly setting: string;
  /** Resolves when everything accepted before the close has finished. */
  drain(): Promise<void>;
  /** What is still going on, for the error. */
  unfinished(): UnfinishedWork[];
  /** Ends what is left (subscriptions, waiters); called once, after the drain or after giving up on it. */
  release(): void;
}

/**
 * Waits for `closing.drain()` within the bound, then releases. Reaching the bound (or the signal
 * aborting) releases at once and rejects with {@link CloseIncompleteError} listing the unfinished
 * work — unless nothing is unfinished by then, which is a normal close.
 */
export async function closeWithin(closing: Closing, options: CloseOptions | undefined): Promise<void> {
  const timeoutMs = options?.timeoutMs ?? closing.defaultTimeoutMs;
  const signal = options?.signal;
  const stopped = await new Promise<Error | undefined>((resolve, reject) => {
    const done = (reason: Error | undefined): void => {
      timer?.cancel();
      signal?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onAbort = (): void => done(new AbortedError(`close() of ${closing.what}`, signal?.reason));
    const timer =
      timeoutMs === Number.POSITIVE_INFINITY || signal?.aborted === true
        ? undefined
        : closing.clock.setTimeout(
            () =>
              done(
                new TimeoutError(
                  `close() of ${closing.what} gave up waiting after ${timeoutMs} ms (${options?.timeoutMs === undefined ? closing.setting : 'its timeoutMs'}).`,
                  timeoutMs,
                ),
              ),
            timeoutMs,
          );
    if (signal?.aborted === true) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    closing.drain().then(() => done(undefined), reject);
  });
  const unfinished = stopped === undefined ? [] : closing.unfinished();
  closing.release();
  if (stopped !== undefined && unfinished.length > 0) throw new CloseIncompleteError(unfinished, stopped);
}

/** Sums entries that describe the same work (same kind, name and message type). */
export function mergeUnfinished(entries: readonly UnfinishedWork[]): UnfinishedWork[] {
  const merged = new Map<string, UnfinishedWork>();
  for (const entry of entries) {
    const key = `${entry.kind}\u0000${entry.name}\u0000${entry.messageType ?? ''}`;
    const seen = merged.get(key);
    merged.set(
      key,
      seen === undefined
        ? entry
        : { ...seen, running: seen.running + entry.running, waiting: seen.waiting + entry.waiting },
    );
  }
  return [...merged.values()];
}
