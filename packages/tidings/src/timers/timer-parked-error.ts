import { TidingsError } from '../errors.js';

/**
 * A due timer's message was refused by the store (hard-deleted stream, event id taken in another
 * stream, codec failure, too large after the codec…), so the timer was parked instead of fired:
 * it stays in `store.timers.listParked()` until `retryParked(id)` or `skipParked(id)`. `cause` is
 * the append's error. The timer poller hands it to `onError`; the other timers of its batch fired.
 *
 * @example
 * const poller = createTimerPoller(store, {
 *   onError: (error) => {
 *     if (error instanceof TimerParkedError) console.warn(`timer ${error.timerId} parked`, error.cause);
 *   },
 * });
 */
export class TimerParkedError extends TidingsError {
  readonly timerId: string;
  readonly streamId: string;
  constructor(timerId: string, streamId: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'TIMER_PARKED',
      `Timer ${timerId} could not append its message to '${streamId}' and was parked: ${reason} Fix the cause, then store.timers.retryParked('${timerId}') (or skipParked to drop it).`,
      { cause },
    );
    this.timerId = timerId;
    this.streamId = streamId;
  }
}
