import { AbortedError, TidingsError, TimeoutError } from '../errors.js';
import type { LazyEnvelope } from '../messages/envelope.js';
import type { Envelope } from '../messages/message.js';
import type { Clock } from '../time/clock.js';
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
 * subscriptions, tracked here so that closing the bus ends them.
 */
export class Waiters {
  readonly #clock: Clock;
  readonly #subscribe: SubscribeFn;
  readonly #streams = new Set<EventStream<Envelope>>();

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
    if (timeout !== undefined && !(timeout >= 0)) {
      return Promise.reject(
        new TidingsError(
          'INVALID_OPTION',
          `waitFor timeout must be a non-negative number of milliseconds, got ${String(timeout)}.`,
        ),
      );
    }
    return new Promise<never>((resolve, reject) => {
      const cleanup = (): void => {
        sub.unsubscribe();
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
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
  close(): void {
    for (const stream of [...this.#streams]) void stream.return?.();
  }
}
