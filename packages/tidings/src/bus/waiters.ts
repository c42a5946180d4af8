import { AbortedError, TimeoutError } from '../errors.js';
import { invalidOption } from '../reliability/options.js';
import type { LazyEnvelope } from '../messages/envelope.js';
import type { Envelope } from '../messages/message.js';
import type { Clock } from '../time/clock.js';
import { BusClosedError } from './bus-errors.js';
import type { QueueOptions } from './delivery-queue.js';
import type { EventHandler, EventStream, StreamOptions, Subscription, WaitForOptions } from './event-bus-types.js';
import { createEventStream } from './event-stream.js';
import type { DispatchContext } from './handler-context.js';

/** Subscribes on the bus on behalf of a waiter (an internal subscription with a given name). */
export type SubscribeFn = (
  pattern: string,
  handler: EventHandler<Envelope, DispatchContext>,
  name: string,
  queue?: QueueOptions<Envelope>,
  signal?: AbortSignal,
) => Subscription;

/**
 * The bus's one-shot waiters (`waitFor`) and iterators (`stream`): both are internal
 * subscriptions, tracked here so that closing the bus ends them: streams when close() starts,
 * pending `waitFor` calls when it ends (an event delivered by the drain can still satisfy one).
 */
export class Waiters {
  readonly #clock: Clock;
  readonly #subscribe: SubscribeFn;
  readonly #streams = new Set<EventStream<Envelope>>();
  /** How to end each pending waitFor when the bus closes. */
  readonly #pending = new Set<() => void>();

  constructor(clock: Clock, subscribe: SubscribeFn) {
    this.#clock = clock;
    this.#subscribe = subscribe;
  }

  waitFor(
    pattern: string,
    predicate: ((event: never) => boolean) | undefined,
    options: WaitForOptions,
  ): Promise<never> {
    const { timeout, signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortedError(`waitFor('${pattern}')`, signal.reason));
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0)) {
      return Promise.reject(invalidOption('waitFor', 'timeout', timeout, 'a number of milliseconds >= 0'));
    }
    return new Promise<never>((resolve, reject) => {
      const cleanup = (): void => {
        sub.unsubscribe();
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(onClose);
      };
      const onClose = (): void => {
        cleanup();
        reject(new BusClosedError(`go on with waitFor('${pattern}'), which saw no matching event before close()`));
      };
      const onAbort = (): void => {
        cleanup();
        reject(new AbortedError(`waitFor('${pattern}')`, signal?.reason));
      };
      const sub = this.#subscribe(
        pattern,
        (event) => {
          let matched: boolean;
          try {
            matched = predicate === undefined || predicate(event as never);
          } catch (error) {
            cleanup();
            reject(error);
            return;
          }
          if (!matched) return;
          cleanup();
          (event as LazyEnvelope).stamp(); // read by the awaiting caller later
          resolve(event as never);
        },
        `waitFor(${pattern})`,
      );
      const timer =
        timeout === undefined
          ? undefined
          : this.#clock.setTimeout(() => {
              cleanup();
              reject(new TimeoutError(`waitFor('${pattern}') saw no matching event within ${timeout} ms.`, timeout));
            }, timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(onClose);
    });
  }

  stream(pattern: string, options: StreamOptions): EventStream<never> {
    const stream = createEventStream(
      (handler, queue, signal) => this.#subscribe(pattern, handler, `stream(${pattern})`, queue, signal),
      options,
      () => this.#streams.delete(stream),
    );
    this.#streams.add(stream);
    return stream as EventStream<never>;
  }

  /** Ends every stream (its loop sees `done`). */
  endStreams(): void {
    for (const stream of [...this.#streams]) void stream.return?.();
  }

  /** Rejects every pending waitFor with {@link BusClosedError}. */
  rejectPending(): void {
    for (const onClose of [...this.#pending]) onClose();
  }
}
