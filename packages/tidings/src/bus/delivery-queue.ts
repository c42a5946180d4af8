import { TidingsError } from '../errors.js';
import { functionOption, integerOption, oneOfOption } from '../reliability/options.js';
import type { Clock } from '../time/clock.js';
import { Deque } from './deque.js';

/** What a queued subscription does when its queue is full. */
export type OverflowPolicy = 'wait' | 'drop-oldest' | 'drop-newest' | 'error';

export interface QueueOptions<E> {
  /** Most messages waiting (not counting those being handled). Default 1024. */
  readonly capacity?: number;
  /** How many messages are handled at once. Default 1. */
  readonly concurrency?: number;
  /**
   * Default `wait`: an awaited `publish` waits for room (a synchronous `emit` gets `QueueFullError`).
   * `drop-oldest` / `drop-newest` discard and count; `error` rejects the publish with `QueueFullError`.
   */
  readonly overflow?: OverflowPolicy;
  /**
   * With concurrency > 1, messages with the same key are handled one at a time, in order. Default:
   * the message's stream id. Messages without a key are not ordered relative to each other.
   */
  readonly key?: (message: E) => string | undefined;
}

/** Counters of a queued subscription, read from the queue itself. */
export interface QueueStats {
  readonly length: number;
  readonly capacity: number;
  readonly concurrency: number;
  readonly inFlight: number;
  /** Highest `length` ever observed: never above `capacity`. */
  readonly highWaterMark: number;
  readonly enqueued: number;
  readonly processed: number;
  readonly failed: number;
  readonly dropped: number;
  /** Age in milliseconds of the oldest waiting message (0 when empty). */
  readonly lagMs: number;
  /** Publishers awaiting room. */
  readonly waitingPublishers: number;
}

interface Item<E> {
  readonly message: E;
  readonly at: number;
  readonly seq: number;
  readonly key: string | undefined;
}

/** Every overflow policy, in the order they are documented (the bus's queues and the streams' `buffer`). */
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['wait', 'drop-oldest', 'drop-newest', 'error'];

/**
 * A bounded queue with its own workers. Handlers run asynchronously (never inside the publisher's
 * call), at most `concurrency` at a time, in order per key.
 */
export class DeliveryQueue<E> {
  readonly capacity: number;
  readonly concurrency: number;
  readonly overflow: OverflowPolicy;
  readonly #keyOf: ((message: E) => string | undefined) | undefined;
  readonly #run: (message: E) => unknown;
  readonly #onFailure: (error: unknown, message: E) => void;
  readonly #clock: Clock;
  readonly #onDrop: ((message: E) => void) | undefined;
  readonly #fifo = new Deque<Item<E>>();
  /** Keys being handled now, and the messages of those keys that wait behind them. */
  readonly #busy = new Map<string, Deque<Item<E>>>();
  /** Messages whose key was handed over by the previous message of that key: they go next. */
  readonly #ready = new Deque<Item<E>>();
  readonly #spaceWaiters = new Deque<() => void>();
  #idleWaiters: (() => void)[] = [];
  #length = 0;
  #inFlight = 0;
  #seq = 0;
  #scheduled = false;
  #closed = false;
  #highWaterMark = 0;
  #enqueued = 0;
  #processed = 0;
  #failed = 0;
  #dropped = 0;

  constructor(
    options: QueueOptions<E>,
    defaultKey: (message: E) => string | undefined,
    run: (message: E) => unknown,
    onFailure: (error: unknown, message: E) => void,
    clock: Clock,
    onDrop?: (message: E) => void,
  ) {
    this.capacity = integerOption('subscribe', 'queue.capacity', options.capacity ?? 1024, 1);
    this.concurrency = integerOption('subscribe', 'queue.concurrency', options.concurrency ?? 1, 1);
    oneOfOption('subscribe', 'queue.overflow', options.overflow, OVERFLOW_POLICIES);
    functionOption('subscribe', 'queue.key', options.key);
    this.overflow = options.overflow ?? 'wait';
    this.#keyOf = this.concurrency > 1 ? (options.key ?? defaultKey) : undefined;
    this.#run = run;
    this.#onFailure = onFailure;
    this.#clock = clock;
    this.#onDrop = onDrop;
  }

  get full(): boolean {
    return this.#length >= this.capacity;
  }

  /** Nothing waiting and nothing running. */
  get isIdle(): boolean {
    return this.#length === 0 && this.#inFlight === 0;
  }

  /** Adds a message, applying the drop policies when full. `wait` and `error` are the caller's to enforce first. */
  offer(message: E, at = this.#clock.now()): void {
    if (this.#closed) return;
    if (this.#length >= this.capacity) {
      if (this.overflow === 'drop-newest') {
        this.#dropped++;
        this.#onDrop?.(message);
        return;
      }
      // The bus checks room for `wait` and `error` in the same synchronous step before offering,
      // so only `drop-oldest` gets here; anything else is a bug, and losing a message silently is not an option.
      if (this.overflow !== 'drop-oldest') {
        throw new TidingsError(
          'INTERNAL',
          `Queue '${this.overflow}' was offered a message while full; room must be checked first.`,
        );
      }
      if (!this.#dropOldest()) {
        this.#dropped++;
        this.#onDrop?.(message);
        return;
      }
    }
    const item: Item<E> = { message, at, seq: this.#seq++, key: this.#keyOf?.(message) };
    this.#fifo.push(item);
    this.#length++;
    this.#enqueued++;
    if (this.#length > this.#highWaterMark) this.#highWaterMark = this.#length;
    this.#schedule();
  }

  /**
   * Resolves `true` when there is room, `false` when `timeoutMs` elapsed first. Waiting publishers are woken in arrival order, one per freed slot;
   * a publisher arriving while room exists takes it without queueing behind them, so the order
   * among concurrent publishers is not strictly first-come (each publisher's own order is kept).
   */
  waitForSpace(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = (): void => {
        timer?.cancel();
        resolve(true);
      };
      // A waiter that gives up leaves the list, so publishers timing out beside a stuck consumer
      // leave nothing behind.
      const timer =
        timeoutMs === Number.POSITIVE_INFINITY
          ? undefined
          : this.#clock.setTimeout(() => {
              if (this.#spaceWaiters.remove(wake)) resolve(false);
            }, timeoutMs);
      this.#spaceWaiters.push(wake);
    });
  }

  /**
   * Wakes the next waiting publisher if there is room. A woken publisher that did not take the room
   * calls it, so the wake-up it consumed is not lost.
   */
  passOn(): void {
    this.#releaseSpace(1);
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.#length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops accepting; discards waiting messages (counted as dropped); running ones finish. */
  close(): void {
    this.#closed = true;
    this.#dropped += this.#length;
    this.#length = 0;
    this.#fifo.clear();
    this.#ready.clear();
    for (const waiting of this.#busy.values()) waiting.clear();
    this.#releaseSpace(Number.POSITIVE_INFINITY);
    this.#checkIdle();
  }

  stats(): QueueStats {
    const oldest = this.#oldest();
    return {
      length: this.#length,
      capacity: this.capacity,
      concurrency: this.concurrency,
      inFlight: this.#inFlight,
      highWaterMark: this.#highWaterMark,
      enqueued: this.#enqueued,
      processed: this.#processed,
      failed: this.#failed,
      dropped: this.#dropped,
      lagMs: oldest === undefined ? 0 : Math.max(0, this.#clock.now() - oldest.at),
      waitingPublishers: this.#spaceWaiters.length,
    };
  }

  /** The oldest waiting message; `droppable` leaves out those already handed their key (about to start). */
  #oldest(droppable = false): Item<E> | undefined {
    let oldest = this.#fifo.peek();
    if (!droppable) {
      const ready = this.#ready.peek();
      if (ready !== undefined && (oldest === undefined || ready.seq < oldest.seq)) oldest = ready;
    }
    for (const waiting of this.#busy.values()) {
      const head = waiting.peek();
      if (head !== undefined && (oldest === undefined || head.seq < oldest.seq)) oldest = head;
    }
    return oldest;
  }

  /** Returns false when nothing can be dropped (only messages about to start are waiting). */
  #dropOldest(): boolean {
    const oldest = this.#oldest(true);
    if (oldest === undefined) return false;
    if (oldest === this.#fifo.peek()) this.#fifo.shift();
    else if (oldest.key !== undefined) this.#busy.get(oldest.key)?.shift();
    this.#length--;
    this.#dropped++;
    this.#onDrop?.(oldest.message);
    return true;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.concurrency) {
      const item = this.#next();
      if (item === undefined) break;
      this.#start(item);
    }
    this.#checkIdle();
  }

  #next(): Item<E> | undefined {
    const ready = this.#ready.shift();
    if (ready !== undefined) return ready;
    for (let item = this.#fifo.shift(); item !== undefined; item = this.#fifo.shift()) {
      const key = item.key;
      if (key === undefined) return item;
      const waiting = this.#busy.get(key);
      if (waiting === undefined) {
        this.#busy.set(key, new Deque());
        return item;
      }
      waiting.push(item); // its key is being handled: it waits behind, in order
    }
    return undefined;
  }

  #start(item: Item<E>): void {
    this.#length--;
    this.#inFlight++;
    this.#releaseSpace(1);
    let result: unknown;
    try {
      result = this.#run(item.message);
    } catch (error) {
      this.#finish(item, error, true);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        () => this.#finish(item, undefined, false),
        (error: unknown) => this.#finish(item, error, true),
      );
    } else {
      this.#finish(item, undefined, false);
    }
  }

  #finish(item: Item<E>, error: unknown, failed: boolean): void {
    this.#inFlight--;
    if (failed) {
      this.#failed++;
      this.#onFailure(error, item.message);
    } else {
      this.#processed++;
    }
    if (item.key !== undefined) {
      const waiting = this.#busy.get(item.key);
      const next = waiting?.shift();
      if (next !== undefined) {
        // The next message of the same key goes first: it is older than anything still in the FIFO for that key.
        // The key stays reserved; the pump starts it (not a recursive call, so long same-key runs cannot overflow the stack).
        this.#ready.push(next);
      } else {
        this.#busy.delete(item.key);
      }
    }
    if (this.#fifo.length > 0 || this.#ready.length > 0) this.#schedule();
    else this.#checkIdle();
  }

  #releaseSpace(slots: number): void {
    let free = this.#closed ? Number.POSITIVE_INFINITY : Math.min(slots, this.capacity - this.#length);
    while (free-- > 0) {
      const resolve = this.#spaceWaiters.shift();
      if (resolve === undefined) break;
      resolve();
    }
  }

  #checkIdle(): void {
    if (this.#length !== 0 || this.#inFlight !== 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
