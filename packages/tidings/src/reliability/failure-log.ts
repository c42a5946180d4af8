// A side channel from `retryMiddleware` to `deadLetterMiddleware`: the retry loop notes when each
// attempt of a context failed, so a dead letter captured further out knows when the *first*
// failure happened, not just the last. Keyed weakly by the context object, so it never outlives
// the dispatch and costs nothing when dead-lettering is not used.

/** When the attempts of one dispatch failed. */
export interface FailureRecord {
  firstFailedAt: number;
  lastFailedAt: number;
  failures: number;
}

const records = new WeakMap<object, FailureRecord>();

/** Notes that an attempt of `ctx` failed at `at` (epoch ms). */
export function noteFailure(ctx: object, at: number): void {
  const record = records.get(ctx);
  if (record === undefined) records.set(ctx, { firstFailedAt: at, lastFailedAt: at, failures: 1 });
  else {
    record.lastFailedAt = at;
    record.failures += 1;
  }
}

/** The failures noted for `ctx`, if any. */
export function failuresOf(ctx: object): FailureRecord | undefined {
  return records.get(ctx);
}
