import { QueueFullError } from '../bus/bus-errors.js';
import type { OverflowPolicy } from '../bus/delivery-queue.js';
import { DeliveryQueue, OVERFLOW_POLICIES } from '../bus/delivery-queue.js';
import { commonOptions } from './define-stage.js';
import { enumOption, integerOption } from './options.js';
import type { DecouplingStage } from './stage.js';
import { emitAndWait } from './stage.js';

export interface BufferOptions {
  /** Most items waiting in the buffer (the one being handed on is not counted). */
  readonly capacity: number;
  /**
   * When full: `wait` (default) stops pulling from upstream until there is room, so the producer
   * is slowed (a bus publisher awaiting `publish` waits); `drop-oldest` / `drop-newest` discard
   * (counted as `dropped`, reported to `onDiscard`); `error` stops the pipeline with `QueueFullError`.
   */
  readonly overflow?: OverflowPolicy;
  readonly name?: string;
}

/**
 * Decouples the stages before it from those after it with a bounded queue — the bus's own
 * delivery queue, with the same policies and counters (`length`, `highWaterMark`, `dropped`,
 * `lagMs`, in `stats().stages[i].details`). Upstream runs ahead of a slow downstream by at most
 * `capacity` items; what happens beyond that is the overflow policy.
 *
 * @example
 * pipe(bus.stream('sensor.reading'), buffer({ capacity: 10_000, overflow: 'drop-oldest' }), map(slowEnrich));
 */
export function buffer<T>(options: BufferOptions): DecouplingStage<T, T> {
  const { name } = commonOptions('buffer', options, ['capacity', 'overflow'], false);
  const capacity = integerOption('buffer', 'capacity', options.capacity, 1);
  const overflow = enumOption('buffer', 'overflow', options.overflow, OVERFLOW_POLICIES, 'wait');
  return {
    kind: 'buffer',
    name: name ?? `buffer(${capacity}, ${overflow})`,
    onError: undefined,
    defaultOnError: 'stop',
    decouples: true,
    open(ctx) {
      const queue = new DeliveryQueue<T>(
        { capacity, overflow, concurrency: 1 },
        () => undefined,
        (item) => emitAndWait(ctx, item),
        // The worker only hands items on, which cannot throw: the pipeline's runners catch stage errors.
        (error, item) => ctx.discard(item, 'error', { error }),
        ctx.clock,
        (dropped) => ctx.discard(dropped, 'overflow'),
      );
      const offerWhenRoom = async (item: T): Promise<void> => {
        // Backpressure, not a wait for something outside: the consumer downstream sets the pace (abort ends it).
        while (queue.full) await queue.waitForSpace(Number.POSITIVE_INFINITY);
        queue.offer(item);
      };
      return {
        push(item) {
          if (queue.full) {
            if (overflow === 'wait') return offerWhenRoom(item);
            if (overflow === 'error') {
              throw new QueueFullError(
                'QUEUE_FULL',
                ctx.name,
                capacity,
                "The pipeline's buffer has overflow 'error'; give it more capacity, or choose 'wait' or a drop policy.",
              );
            }
          }
          queue.offer(item);
          return undefined;
        },
        end: () => queue.idle(),
        stop() {
          const held = queue.stats().length;
          queue.close();
          return held;
        },
        held: () => queue.stats().length,
        details: () => ({ ...queue.stats() }),
      };
    },
  };
}
