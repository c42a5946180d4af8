import type { HeadListener } from 'tidings';

/**
 * Tells listeners, asynchronously and after commit, that the head moved. Local commits signal at
 * once; commits by other processes are found by a cheap poll of the head row that runs only while
 * listeners exist. The poll is a liveness mechanism, not domain time, so it uses an unref'd
 * platform timer (it must never keep a process alive) rather than the store's Clock.
 * LISTEN/NOTIFY replaces the poll in a later issue.
 */
export class HeadSignal {
  readonly #listeners = new Set<HeadListener>();
  readonly #readHead: () => Promise<bigint>;
  readonly #pollMs: number;
  readonly #onError: (error: unknown, context: string) => void;
  #last = -1n;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(readHead: () => Promise<bigint>, pollMs: number, onError: (error: unknown, context: string) => void) {
    this.#readHead = readHead;
    this.#pollMs = pollMs;
    this.#onError = onError;
  }

  /** A local commit reached `position`. */
  moved(position: bigint): void {
    if (position <= this.#last) return;
    this.#last = position;
    if (this.#listeners.size === 0) return;
    queueMicrotask(() => this.#notify(position));
  }

  subscribe(listener: HeadListener): Disposable {
    this.#listeners.add(listener);
    if (this.#last < 0n) {
      // Baseline, so the first poll reports only commits made after subscribing.
      this.#readHead().then(
        (head) => {
          if (this.#last < 0n) this.#last = head;
        },
        () => {},
      );
    }
    this.#schedule();
    const dispose = (): void => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
    return { [Symbol.dispose]: dispose };
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #notify(position: bigint): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(position);
      } catch (error) {
        this.#onError(error, 'onHeadMoved listener');
      }
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#stopped || this.#listeners.size === 0) return;
    this.#timer = setTimeout(() => void this.#poll(), this.#pollMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      const head = await this.#readHead();
      if (!this.#stopped) this.moved(head);
    } catch (error) {
      // A failed poll is retried at the next tick; the store's own calls report real failures.
      if (!this.#stopped) this.#onError(error, 'head poll');
    } finally {
      this.#timer = undefined;
      this.#schedule();
    }
  }
}
