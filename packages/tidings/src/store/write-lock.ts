/**
 * One writer at a time, in call order, like SQLite's write lock: a transaction holds it for its
 * whole unit of work, so appends outside it wait instead of interleaving.
 */
export class WriteLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    const release = (): void => undefined;
    this.tail = result.then(release, release);
    return result;
  }
}
