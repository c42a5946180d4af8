import { TidingsError } from '../errors.js';

/** The bus (or its app) was closed; nothing more is accepted. */
export class BusClosedError extends TidingsError {
  constructor(what: string) {
    super('BUS_CLOSED', `Cannot ${what}: the bus is closed. Publish before close(), or create a new bus.`);
  }
}

/**
 * A queued subscription's queue is full and its overflow policy does not allow waiting here:
 * policy `error`, a synchronous `emit` into a `wait` queue, or a handler publishing into its own
 * full queue (waiting would deadlock). Nothing was delivered to any subscriber.
 */
export class QueueFullError extends TidingsError {
  readonly subscription: string;
  readonly capacity: number;
  constructor(code: 'QUEUE_FULL' | 'QUEUE_DEADLOCK', subscription: string, capacity: number, hint: string) {
    super(code, `The queue of subscription '${subscription}' is full (capacity ${capacity}). ${hint}`);
    this.subscription = subscription;
    this.capacity = capacity;
  }
}

/** A handler chain published deeper than the causation depth limit: an event storm or a loop. */
export class CausationDepthError extends TidingsError {
  readonly chain: readonly string[];
  constructor(limit: number, chain: readonly string[]) {
    super(
      'CAUSATION_DEPTH_EXCEEDED',
      `Causation depth limit ${limit} exceeded: ${chain.join(' -> ')}. A handler keeps publishing in reaction to its own consequences; break the loop, or raise maxCausationDepth if the chain is intended.`,
    );
    this.chain = chain;
  }
}
