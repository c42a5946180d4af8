import type { Database, Statement } from 'better-sqlite3';
import type { HeadListener } from 'tidings';
import { isBusy } from './busy.js';

/**
 * Tells listeners when the head position moved: right after this store's own commits, and, for
 * commits by other connections (other processes), when a poll of `PRAGMA data_version` on the
 * read connection sees it change. The poll is one cheap pragma, runs only while someone listens,
 * and its timer is unref'd so it never keeps the process alive.
 */
export class HeadWatch {
  private readonly listeners = new Set<HeadListener>();
  private readonly dataVersion: Statement;
  private readonly head: Statement;
  private lastVersion = 0;
  private lastHead = 0n;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly reader: Database,
    private readonly pollIntervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.dataVersion = reader.prepare('PRAGMA data_version').pluck();
    this.head = reader.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
  }

  add(listener: HeadListener): Disposable {
    if (this.listeners.size === 0) this.start();
    this.listeners.add(listener);
    const dispose = (): void => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
    return { [Symbol.dispose]: dispose };
  }

  /** After a local commit: re-read the head and tell listeners on a later microtask. */
  committed(): void {
    if (this.listeners.size > 0) queueMicrotask(() => this.check());
  }

  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private start(): void {
    this.lastVersion = this.dataVersion.get() as number;
    this.lastHead = this.readHead();
    this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    try {
      const version = this.dataVersion.get() as number;
      if (version === this.lastVersion) return;
      this.lastVersion = version;
      this.check();
    } catch (error) {
      if (!isBusy(error)) this.onError(error);
    }
  }

  private readHead(): bigint {
    return BigInt((this.head.get() as number | undefined) ?? 0);
  }

  private check(): void {
    if (this.listeners.size === 0) return;
    let head: bigint;
    try {
      head = this.readHead();
    } catch (error) {
      if (!isBusy(error)) this.onError(error);
      return;
    }
    if (head <= this.lastHead) return;
    this.lastHead = head;
    for (const listener of [...this.listeners]) {
      try {
        listener(head);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
