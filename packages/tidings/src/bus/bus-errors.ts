import { TidingsError } from '../errors.js';

/** The bus (or its app) was closed; nothing more is accepted. */
export class BusClosedError extends TidingsError {
  constructor(what: string) {
    super('BUS_CLOSED', `Cannot ${what}: the bus is closed. Publish before close(), or create a new bus.`);
  }
}

/**
 * A queued subscription's queue is full and its overflow policy does not allow waiting here:
 * policy `error`, a synchronous `emit` into a `wait` queue, a handler publishing into its own
 * full queue (waiting would deadlock, `QUEUE_DEADLOCK`), or an awaited publish that found no room
 * within `queueWaitTimeoutMs` (`QUEUE_WAIT_TIMEOUT`). Nothing was delivered to any subscriber.
 */
export class QueueFullError extends TidingsError {
  readonly subscription: string;
  readonly capacity: number;
  constructor(
    code: 'QUEUE_FULL' | 'QUEUE_DEADLOCK' | 'QUEUE_WAIT_TIMEOUT',
    subscription: string,
    capacity: number,
    hint: string,
  ) {
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

/** Work that was still going on when a `close()` stopped waiting for it. */
export interface UnfinishedWork {
  /**
   * `queued`: a queued subscription's handler; `inline`: an asynchronous inline handler;
   * `publish`: an accepted publish not delivered yet (waiting for room, in publish middleware or
   * in asynchronous validation); `command` / `query`: a running request handler.
   */
  readonly kind: 'queued' | 'inline' | 'publish' | 'command' | 'query';
  /** The subscription or handler name; for `publish`, the event type. */
  readonly name: string;
  /** The message type, when known (not for a queued subscription, whose queue may hold several). */
  readonly messageType: string | undefined;
  /** How many are running. */
  readonly running: number;
  /** Queued subscriptions only: messages that were still waiting, discarded by the close. */
  readonly waiting: number;
}

function describeWork(work: UnfinishedWork): string {
  switch (work.kind) {
    case 'queued':
      return `'${work.name}' (queued: ${work.running} running, ${work.waiting} waiting)`;
    case 'inline':
      return `'${work.name}' (async inline handler of '${work.messageType ?? '?'}'${work.running > 1 ? ` x${work.running}` : ''})`;
    case 'publish':
      return `a publish of '${work.name}'${work.running > 1 ? ` x${work.running}` : ''} (not delivered yet)`;
    default:
      return `'${work.name}' (${work.kind} handler${work.running > 1 ? ` x${work.running}` : ''})`;
  }
}

/**
 * `close()` stopped waiting before everything it drains had finished: its bound (`timeoutMs`,
 * default the bus's `closeTimeoutMs`) elapsed, or its `signal` aborted (`cause` is the
 * `TimeoutError` or `AbortedError`). The bus is closed all the same: nothing new is accepted,
 * subscriptions are removed, waiting queued messages are discarded. `unfinished` lists what was
 * still running; those handlers go on unobserved (their failures still reach `onError`).
 *
 * @example
 * try { await app.close({ timeoutMs: 5_000 }) } catch (e) {
 *   if (e instanceof CloseIncompleteError) log.warn(e.unfinished.map((w) => w.name));
 * }
 */
export class CloseIncompleteError extends TidingsError {
  readonly unfinished: readonly UnfinishedWork[];
  constructor(unfinished: readonly UnfinishedWork[], cause: Error) {
    super(
      'CLOSE_INCOMPLETE',
      `${cause.message} Still running: ${unfinished.map(describeWork).join(', ')}. It is closed all the same: nothing new is accepted, waiting queued messages were discarded (counted as dropped) and the handlers still running go on unobserved. Make handlers finish sooner or honour ctx.signal, or give close() more time ({ timeoutMs }, or the closeTimeoutMs option).`,
      { cause },
    );
    this.unfinished = unfinished;
  }
}

/**
 * One root message (published outside any handler) has caused more messages than the fan-out
 * limit allows, counting every generation: a fan-out storm (each handler publishing several
 * messages per message it handles) that the causation-depth limit cannot stop.
 *
 * @example
 * const bus = createEventBus({ maxDescendants: 50_000, onError: ({ error }) => {
 *   if (error instanceof FanOutLimitError) alert(`storm: ${error.chain.join(' -> ')}`);
 * } });
 */
export class FanOutLimitError extends TidingsError {
  /** The message types from the root to the message that was refused. */
  readonly chain: readonly string[];
  readonly limit: number;
  constructor(limit: number, chain: readonly string[], rootId: string) {
    super(
      'FAN_OUT_LIMIT_EXCEEDED',
      `Fan-out limit ${limit} exceeded: the '${chain[0] ?? '?'}' message ${rootId} has already caused ${limit} messages through handler contexts, and this one would be one more: ${chain.join(' -> ')}. Handlers publish or send more than one message per message they handle and the tree keeps growing; stop the fan-out, publish bulk work from outside the handler (a new correlation), or raise maxDescendants if the volume is intended.`,
    );
    this.chain = chain;
    this.limit = limit;
  }
}
