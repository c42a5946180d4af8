import { AbortedError, TidingsError, TimeoutError } from '../errors.js';
import { assertKnownKeys, clockOption, functionOption } from '../reliability/options.js';
import { countOption } from '../store/store-options.js';
import type { EventStore } from '../store/types.js';
import { systemClock, type Clock } from '../time/clock.js';
import { fireDueTimers } from './fire-due-timers.js';
import type { ScheduledTimer } from './timer-types.js';
import { MAX_TIMER_BATCH } from './timer-validation.js';

/** Options of {@link createTimerPoller}. */
export interface TimerPollerOptions {
  /** All time: what "due" means, the fired events' lateness, and the waits. Default: the system clock. */
  readonly clock?: Clock | undefined;
  /** Timers fired per transaction. Integer 1..10 000; default 500. */
  readonly batchSize?: number | undefined;
  /**
   * Longest wait between looks at the store, in ms (timers scheduled by other processes, or
   * earlier than the one the poller waits for, are seen within it). Integer >= 1; default 1000.
   */
  readonly pollIntervalMs?: number | undefined;
  /** Bound of `stop()`, in ms. Integer >= 1; default 10 000. */
  readonly stopTimeoutMs?: number | undefined;
  /** Called after each batch that fired timers. Errors thrown by it are sent to `onError`. */
  readonly onFired?: ((timers: readonly ScheduledTimer[]) => void) | undefined;
  /**
   * Called when a batch fails (the store failed: the whole batch rolled back, the poller retries
   * after `pollIntervalMs`), and with a `TimerParkedError` for each timer whose message the store
   * refused (it was parked; the rest of its batch fired). Default: nothing.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** A running loop that fires due timers. */
export interface TimerPoller extends AsyncDisposable {
  /** Starts the loop. Throws `TIMER_POLLER_RUNNING` when it is already running. */
  start(): void;
  /** Ends the wait at once and looks for due timers (e.g. after scheduling one in this process). */
  wake(): void;
  /**
   * Stops the loop after the batch in flight commits or rolls back. Resolves when it ended;
   * rejects with `TimeoutError` after `stopTimeoutMs` (the loop still ends when its batch settles).
   */
  stop(): Promise<void>;
  /**
   * While the loop waits: the clock time it waits until (it may wake earlier); `undefined` while it
   * fires or is stopped. Lets a test advance a fake clock once the poller is asleep.
   */
  readonly sleepingUntil: number | undefined;
  /** Timers fired since the poller was created. */
  readonly fired: number;
  /** Timers this poller parked (their message was refused) since it was created. */
  readonly parked: number;
  readonly running: boolean;
}

/** Wait when due timers are held by another poller's transaction. */
const BUSY_WAIT_MS = 50;

const KEYS = ['clock', 'batchSize', 'pollIntervalMs', 'stopTimeoutMs', 'onFired', 'onError'];

/**
 * Creates a poller that fires due timers of `store` in batches, each batch one transaction (see
 * {@link fireDueTimers}). It sleeps on the clock until the next timer is due (at most
 * `pollIntervalMs`), so advancing a fake clock fires timers: a 15-minute timeout is tested in
 * milliseconds. Several pollers (processes) may run against one store; each timer fires once.
 *
 * @example
 * const poller = createTimerPoller(store, { clock });
 * poller.start();
 * await store.timers.schedule({ id, streamId: 'order-42', after: 15 * 60_000, message: { type: 'PaymentTimedOut', data: {} } });
 * await poller.stop();
 */
export function createTimerPoller(
  store: Pick<EventStore, 'transaction' | 'timers'>,
  options: TimerPollerOptions = {},
): TimerPoller {
  const component = 'createTimerPoller';
  assertKnownKeys(component, options, KEYS);
  clockOption(component, 'clock', options.clock);
  functionOption(component, 'onFired', options.onFired);
  functionOption(component, 'onError', options.onError);
  const clock = options.clock ?? systemClock;
  const batchSize = countOption(component, 'batchSize', options.batchSize, 500, 1, MAX_TIMER_BATCH);
  const pollIntervalMs = countOption(component, 'pollIntervalMs', options.pollIntervalMs, 1000, 1);
  const stopTimeoutMs = countOption(component, 'stopTimeoutMs', options.stopTimeoutMs, 10_000, 1);
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // An error handler that throws must not end the loop.
    }
  };

  let fired = 0;
  let parked = 0;
  let parkedInBatch = 0;
  const onParked = (error: unknown): void => {
    parked++;
    parkedInBatch++;
    report(error);
  };
  let sleepingUntil: number | undefined;
  let stopping: AbortController | undefined;
  let waker: AbortController | undefined;
  let loop: Promise<void> | undefined;

  const wait = async (ms: number, stop: AbortSignal): Promise<void> => {
    waker = new AbortController();
    sleepingUntil = clock.now() + ms;
    try {
      await clock.sleep(ms, AbortSignal.any([stop, waker.signal]));
    } catch (error) {
      if (!(error instanceof AbortedError)) throw error;
    } finally {
      sleepingUntil = undefined;
    }
  };

  const run = async (stop: AbortSignal): Promise<void> => {
    while (!stop.aborted) {
      let delay = pollIntervalMs;
      try {
        parkedInBatch = 0;
        const batch = await fireDueTimers(store, { now: new Date(clock.now()), limit: batchSize, onParked });
        fired += batch.length;
        if (batch.length > 0) {
          try {
            options.onFired?.(batch);
          } catch (error) {
            report(error);
          }
        }
        const claimed = batch.length + parkedInBatch;
        if (claimed === batchSize) continue; // more may be due: no wait
        const next = await store.timers.nextDueAt();
        if (next !== undefined) {
          const untilDue = next.getTime() - clock.now();
          // Due already (it fell due while this batch ran): fire again without waiting. When nothing
          // fired, the due rows are held by another poller: wait a little rather than spin.
          if (untilDue <= 0 && claimed > 0) continue;
          delay = Math.min(pollIntervalMs, untilDue > 0 ? untilDue : BUSY_WAIT_MS);
        }
      } catch (error) {
        report(error);
      }
      if (stop.aborted) return;
      await wait(delay, stop);
    }
  };

  const poller: TimerPoller = {
    start() {
      if (loop !== undefined) {
        throw new TidingsError(
          'TIMER_POLLER_RUNNING',
          'The timer poller is already running: call stop() before start().',
        );
      }
      const controller = new AbortController();
      stopping = controller;
      loop = run(controller.signal).finally(() => {
        if (stopping === controller) {
          loop = undefined;
          stopping = undefined;
        }
      });
    },
    wake() {
      waker?.abort();
    },
    async stop() {
      const current = loop;
      if (current === undefined) return;
      stopping?.abort();
      let timer: ReturnType<typeof globalThis.setTimeout> | undefined;
      try {
        // A real-time bound: a fake clock that nobody advances must not make stop() hang.
        await Promise.race([
          current,
          new Promise<never>((_, reject) => {
            timer = globalThis.setTimeout(
              () =>
                reject(
                  new TimeoutError(
                    `The timer poller did not stop within ${stopTimeoutMs} ms (a batch is still in flight).`,
                    stopTimeoutMs,
                  ),
                ),
              stopTimeoutMs,
            );
          }),
        ]);
      } finally {
        globalThis.clearTimeout(timer);
      }
    },
    get fired() {
      return fired;
    },
    get parked() {
      return parked;
    },
    get sleepingUntil() {
      return sleepingUntil;
    },
    get running() {
      return loop !== undefined;
    },
    [Symbol.asyncDispose]: () => poller.stop(),
  };
  return poller;
}
