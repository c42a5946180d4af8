import type { Envelope } from '../messages/message.js';
import type { QueueOptions } from './delivery-queue.js';
import { Deque } from './deque.js';
import type { EventHandler, EventStream, StreamOptions, Subscription } from './event-bus-types.js';

type Subscribe = (
  handler: EventHandler<Envelope, unknown>,
  queue: QueueOptions<Envelope>,
  signal: AbortSignal | undefined,
) => Subscription;

/**
 * Turns a queued subscription into an AsyncIterable. The subscription's handler hands each event
 * to the consumer and does not finish until the consumer has taken it, so the queue (bounded by
 * `capacity`) fills when the consumer is slow and the overflow policy applies: with `wait`, an
 * awaited publish waits for the consumer.
 */
export function createEventStream(
  subscribe: Subscribe,
  options: StreamOptions,
  onEnd: () => void,
): EventStream<Envelope> {
  let handoff: { event: Envelope; taken: () => void } | undefined;
  // Callers may call next() again before the previous call settled: each waits its turn.
  const pullers = new Deque<(result: IteratorResult<Envelope>) => void>();
  let done = false;

  const finish = (): void => {
    if (done) return;
    done = true;
    options.signal?.removeEventListener('abort', finish);
    subscription.unsubscribe();
    handoff?.taken();
    handoff = undefined;
    for (let pull = pullers.shift(); pull !== undefined; pull = pullers.shift()) pull({ value: undefined, done: true });
    onEnd();
  };

  const subscription = subscribe(
    (event) =>
      new Promise<void>((taken) => {
        if (done) return taken();
        const pull = pullers.shift();
        if (pull !== undefined) {
          pull({ value: event, done: false });
          taken();
        } else {
          handoff = { event, taken };
        }
      }),
    { capacity: options.capacity ?? 1024, overflow: options.overflow ?? 'wait', concurrency: 1 },
    options.signal,
  );
  options.signal?.addEventListener('abort', finish, { once: true });
  if (options.signal?.aborted) finish();

  const stream: EventStream<Envelope> = {
    next(): Promise<IteratorResult<Envelope>> {
      if (handoff !== undefined) {
        const { event, taken } = handoff;
        handoff = undefined;
        taken();
        return Promise.resolve({ value: event, done: false });
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => pullers.push(resolve));
    },
    return(): Promise<IteratorResult<Envelope>> {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
    [Symbol.dispose]: finish,
    stats: () => subscription.stats(),
  };
  return stream;
}
