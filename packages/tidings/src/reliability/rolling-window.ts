// Call and failure counts over a sliding time window, kept in a fixed ring of buckets so memory
// stays constant whatever the call rate. The window slides one bucket (windowMs / buckets) at a
// time: the counts cover between (buckets-1)/buckets of the window and the whole of it.

interface Bucket {
  start: number;
  calls: number;
  failures: number;
}

/** Counts over the last `windowMs`, as a ring of `bucketCount` buckets. */
export class RollingWindow {
  readonly #bucketMs: number;
  readonly #windowMs: number;
  readonly #buckets: Bucket[];

  constructor(windowMs: number, bucketCount = 10) {
    this.#windowMs = windowMs;
    this.#bucketMs = windowMs / bucketCount;
    this.#buckets = Array.from({ length: bucketCount }, () => ({
      start: Number.NEGATIVE_INFINITY,
      calls: 0,
      failures: 0,
    }));
  }

  record(now: number, failed: boolean): void {
    const slot = Math.floor(now / this.#bucketMs);
    const bucket = this.#buckets[slot % this.#buckets.length]!;
    const start = slot * this.#bucketMs;
    if (bucket.start !== start) {
      bucket.start = start;
      bucket.calls = 0;
      bucket.failures = 0;
    }
    bucket.calls += 1;
    if (failed) bucket.failures += 1;
  }

  totals(now: number): { calls: number; failures: number } {
    let calls = 0;
    let failures = 0;
    for (const bucket of this.#buckets) {
      if (bucket.start > now - this.#windowMs) {
        calls += bucket.calls;
        failures += bucket.failures;
      }
    }
    return { calls, failures };
  }

  clear(): void {
    for (const bucket of this.#buckets) {
      bucket.start = Number.NEGATIVE_INFINITY;
      bucket.calls = 0;
      bucket.failures = 0;
    }
  }
}
