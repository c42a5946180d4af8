import { Deque } from '../bus/deque.js';

/** What a runner does: hand an item to a stage, fire a stage's timer, or tell a stage its input ended. */
export const PUSH = 0;
export const TIMER = 1;
export const END = 2;
export type Op = typeof PUSH | typeof TIMER | typeof END;

/** The pipeline the runner works for. */
export interface RunnerHost {
  readonly stopped: boolean;
  /** Runs one step; returns a promise when the step is asynchronous. May throw. */
  call(index: number, op: Op, value: unknown): void | PromiseLike<unknown>;
  /** A step threw or rejected: apply the stage's error policy. */
  failed(index: number, op: Op, value: unknown, error: unknown): void;
}

interface Task {
  readonly index: number;
  readonly op: Op;
  readonly value: unknown;
}

/**
 * Runs the steps of a run of consecutive stages (a segment) one at a time, in submission order.
 * When nothing is pending a step runs at once, synchronously, inside the call that submitted it
 * (so a chain of synchronous stages costs function calls, no promise, no queue). While a step is
 * asynchronous, later steps wait in a FIFO and run when it settles: order holds per stage, and the
 * segment is "busy", which the pipeline reads as backpressure.
 */
export class Runner {
  readonly #host: RunnerHost;
  readonly #pending = new Deque<Task>();
  /** Asynchronous steps not settled yet (a step may start another before it returns its own promise). */
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(host: RunnerHost) {
    this.#host = host;
  }

  /** Nothing running asynchronously and nothing waiting. */
  get idle(): boolean {
    return this.#inFlight === 0 && this.#pending.length === 0;
  }

  /** Steps waiting behind an asynchronous one. */
  get pending(): number {
    return this.#pending.length;
  }

  submit(index: number, op: Op, value: unknown): void {
    if (this.#host.stopped) return;
    if (this.#inFlight > 0 || this.#pending.length > 0) {
      this.#pending.push({ index, op, value });
      return;
    }
    this.#exec(index, op, value);
  }

  /** Resolves when the segment is idle (or the pipeline stopped). */
  whenIdle(): Promise<void> {
    if (this.idle || this.#host.stopped) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops waiting steps (the pipeline stopped) and returns how many were items; wakes idle waiters. */
  clear(): number {
    let items = 0;
    for (let t = this.#pending.shift(); t !== undefined; t = this.#pending.shift()) if (t.op === PUSH) items++;
    this.#wakeIdle();
    return items;
  }

  #exec(index: number, op: Op, value: unknown): void {
    let result: void | PromiseLike<unknown>;
    try {
      result = this.#host.call(index, op, value);
    } catch (error) {
      this.#host.failed(index, op, value, error);
      return;
    }
    if (result !== undefined) {
      this.#inFlight++;
      result.then(
        () => this.#settle(),
        (error: unknown) => {
          this.#host.failed(index, op, value, error);
          this.#settle();
        },
      );
    }
  }

  #settle(): void {
    if (--this.#inFlight > 0) return;
    while (this.#inFlight === 0 && !this.#host.stopped) {
      const task = this.#pending.shift();
      if (task === undefined) break;
      this.#exec(task.index, task.op, task.value);
    }
    if (this.idle || this.#host.stopped) this.#wakeIdle();
  }

  #wakeIdle(): void {
    if (this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
