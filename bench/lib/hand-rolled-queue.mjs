// The peer of our queued subscriptions: an EventEmitter whose listener pushes into a bounded,
// array-based FIFO that one worker drains off the publisher's call — what an application writes by
// hand when it wants "EventEmitter plus a queue", and what `subscribe(..., { queue })` replaces.
// It is written to be fair, not naive: a fixed ring buffer (no Array#shift), one drain scheduled per
// batch (not one per message), a promise awaited only when the handler returns one, and a publisher
// that waits for room in every queue before emitting, like our `await publish()`.

/** A bounded FIFO with one worker (concurrency 1), drained from a microtask or an immediate. */
export class HandRolledQueue {
  #buf;
  #head = 0;
  #length = 0;
  #spaceWaiters = [];
  #spaceHead = 0;
  #idleWaiters = [];
  #scheduled = false;
  #running = false;
  #defer;
  #handler;
  #onError;
  processed = 0;
  failed = 0;
  highWaterMark = 0;

  /**
   * @param {{ capacity: number, drain: 'microtask' | 'immediate', handler: (item: unknown) => unknown,
   *   onError?: (error: unknown) => void }} options
   */
  constructor({ capacity, drain, handler, onError = (e) => console.error(e) }) {
    this.capacity = capacity;
    this.#buf = new Array(capacity);
    this.#defer = drain === 'microtask' ? queueMicrotask : setImmediate;
    this.#handler = handler;
    this.#onError = onError;
  }

  get full() {
    return this.#length >= this.capacity;
  }

  /** Adds an item; the publisher must have checked `full` first (refusing is the caller's job). */
  push(item) {
    if (this.#length >= this.capacity) throw new Error(`queue full (capacity ${this.capacity})`);
    this.#buf[(this.#head + this.#length) % this.capacity] = item;
    this.#length++;
    if (this.#length > this.highWaterMark) this.highWaterMark = this.#length;
    if (!this.#scheduled && !this.#running) {
      this.#scheduled = true;
      this.#defer(this.#drain);
    }
  }

  /** Resolves when a slot frees; one waiter is woken per freed slot, in arrival order. */
  waitForSpace() {
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** A woken publisher that did not take the slot hands the wake-up to the next waiter. */
  passOn() {
    if (this.#length < this.capacity) this.#wakeOne();
  }

  /** Resolves when nothing is waiting or running. */
  idle() {
    if (this.#length === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #wakeOne() {
    if (this.#spaceHead === this.#spaceWaiters.length) return;
    const resolve = this.#spaceWaiters[this.#spaceHead];
    this.#spaceWaiters[this.#spaceHead++] = undefined;
    if (this.#spaceHead === this.#spaceWaiters.length) {
      this.#spaceWaiters.length = 0;
      this.#spaceHead = 0;
    }
    resolve();
  }

  // An arrow property, so it can be handed to queueMicrotask/setImmediate without a bind per call.
  #drain = () => {
    this.#scheduled = false;
    while (this.#length > 0) {
      const item = this.#buf[this.#head];
      this.#buf[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#length--;
      this.#wakeOne(); // the slot is free as soon as the item leaves the buffer
      let result;
      try {
        result = this.#handler(item);
      } catch (error) {
        this.failed++;
        this.#onError(error);
        continue;
      }
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        // Concurrency 1: the next item waits for this one; the drain resumes when it settles.
        this.#running = true;
        result.then(
          () => this.#resume(false),
          (error) => this.#resume(true, error),
        );
        return;
      }
      this.processed++;
    }
    this.#checkIdle();
  };

  #resume(failed, error) {
    this.#running = false;
    if (failed) {
      this.failed++;
      this.#onError(error);
    } else {
      this.processed++;
    }
    this.#drain();
  }

  #checkIdle() {
    if (this.#length !== 0 || this.#running || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * An eventemitter3 emitter with one hand-rolled queue per subscriber. `publish` waits until every
 * queue has room, then emits: each listener pushes into its own queue.
 */
export function createQueuedEmitter(EventEmitter, type, { capacity, drain, onError }) {
  const ee = new EventEmitter();
  const queues = [];
  return {
    subscribe(handler) {
      const queue = new HandRolledQueue({ capacity, drain, handler, onError });
      queues.push(queue);
      ee.on(type, (payload) => queue.push(payload));
      return queue;
    },
    async publish(payload) {
      let woken;
      for (;;) {
        let blocked;
        for (const q of queues) {
          if (q.full) {
            blocked = q;
            break;
          }
        }
        if (blocked === undefined) break;
        if (woken !== undefined && woken !== blocked) woken.passOn();
        woken = blocked;
        await blocked.waitForSpace();
      }
      ee.emit(type, payload);
    },
  };
}
