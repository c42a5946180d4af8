import type { Clock, TimerHandle } from '../time/clock.js';
import { StoreBusyError } from './errors.js';

interface Waiter {
  readonly start: () => void;
  timer: TimerHandle | undefined;
}

/**
 * One writer at a time, in call order, like SQLite's write lock: a transaction holds it for its
 * whole unit of work, so appends outside it wait instead of interleaving. A bounded wait gives up
 * after `timeoutMs` with {@link StoreBusyError}, as a wait for SQLite's or PostgreSQL's lock does;
 * the timer is armed only when the lock is taken, so an uncontended write costs none.
 */
export class WriteLock {
  #held = false;
  readonly #queue: Waiter[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Runs `fn` holding the lock. `what` names the call in a StoreBusyError; `bounded: false` waits as long as it takes. */
  run<T>(what: string, fn: () => T | Promise<T>, bounded = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        timer: undefined,
        start: () => {
          waiter.timer?.cancel();
          let result: Promise<T>;
          try {
            result = Promise.resolve(fn());
          } catch (error) {
            result = Promise.reject(error);
          }
          result.then(resolve, reject).finally(() => this.release());
        },
      };
      if (bounded && (this.#held || this.#queue.length > 0)) {
        waiter.timer = this.clock.setTimeout(() => {
          const at = this.#queue.indexOf(waiter);
          if (at === -1) return; // already started
          this.#queue.splice(at, 1);
          reject(new StoreBusyError(what, this.timeoutMs));
        }, this.timeoutMs);
      }
      this.#queue.push(waiter);
      this.pump();
    });
  }

  private pump(): void {
    if (this.#held) return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    this.#held = true;
    // Started on a microtask, never inside the caller's synchronous code.
    queueMicrotask(next.start);
  }

  private release(): void {
    this.#held = false;
    this.pump();
  }
}
