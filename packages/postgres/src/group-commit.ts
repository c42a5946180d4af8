import type { AppendResult } from 'tidings';
import type { AppendOutcome, PreparedAppend } from './append-batch.js';

export interface GroupCommitBounds {
  readonly maxBatchAppends: number;
  readonly maxBatchEvents: number;
  readonly maxBatchBytes: number;
}

export interface GroupCommitDeps {
  /** Writes a batch in one transaction. Throws when the whole transaction failed. */
  readonly write: (batch: readonly PreparedAppend[]) => Promise<AppendOutcome[]>;
  /** Whether a failed batch may be retried member by member (not for lost connections or busy locks). */
  readonly retryable: (error: unknown) => boolean;
  /** Turns a batch failure into the error one member's caller sees. */
  readonly toError: (error: unknown, append: PreparedAppend) => unknown;
  /** Told the highest position committed by a batch. */
  readonly committed: (position: bigint) => void;
}

interface Pending {
  readonly append: PreparedAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: appends submitted while a batch is being written wait and go together in the
 * next one, so N concurrent callers share one transaction and one WAL flush instead of N. A lone
 * caller is written at once (no added latency). Each append keeps its own outcome; a batch that
 * fails as a whole is retried member by member, so one bad append fails only its caller.
 */
export class GroupCommitter {
  readonly #deps: GroupCommitDeps;
  readonly #bounds: GroupCommitBounds;
  #queue: Pending[] = [];
  #running: Promise<void> | undefined;

  constructor(deps: GroupCommitDeps, bounds: GroupCommitBounds) {
    this.#deps = deps;
    this.#bounds = bounds;
  }

  submit(append: PreparedAppend): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ append, resolve, reject });
      // Started on a microtask so appends issued in the same tick share the first batch too.
      this.#running ??= Promise.resolve().then(() => this.#drain());
    });
  }

  /** Resolves when everything submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#execute(this.#take());
    } finally {
      this.#running = undefined;
    }
  }

  #take(): Pending[] {
    const { maxBatchAppends, maxBatchEvents, maxBatchBytes } = this.#bounds;
    const batch: Pending[] = [];
    const ids = new Set<string>();
    let events = 0;
    let bytes = 0;
    for (const p of this.#queue) {
      const a = p.append;
      if (batch.length > 0) {
        if (
          batch.length >= maxBatchAppends ||
          events + a.events.length > maxBatchEvents ||
          bytes + a.bytes > maxBatchBytes
        )
          break;
        // A repeated event id (a retry racing its original) waits for the next batch, so the
        // idempotency check sees the first one stored and answers it exactly.
        if (a.events.some((e) => ids.has(e.id))) break;
      }
      batch.push(p);
      for (const e of a.events) ids.add(e.id);
      events += a.events.length;
      bytes += a.bytes;
    }
    this.#queue = this.#queue.slice(batch.length);
    return batch;
  }

  async #execute(batch: Pending[]): Promise<void> {
    try {
      this.#settle(batch, await this.#deps.write(batch.map((p) => p.append)));
      return;
    } catch (error) {
      if (batch.length === 1 || !this.#deps.retryable(error)) {
        for (const p of batch) p.reject(this.#deps.toError(error, p.append));
        return;
      }
    }
    for (const p of batch) {
      try {
        this.#settle([p], await this.#deps.write([p.append]));
      } catch (error) {
        p.reject(this.#deps.toError(error, p.append));
      }
    }
  }

  #settle(batch: readonly Pending[], outcomes: readonly AppendOutcome[]): void {
    let top = -1n;
    outcomes.forEach((outcome, i) => {
      const p = batch[i]!;
      if (outcome.ok) {
        if (p.append.events.length > 0 && outcome.result.position > top) top = outcome.result.position;
        p.resolve(outcome.result);
      } else {
        p.reject(outcome.error);
      }
    });
    if (top >= 0n) this.#deps.committed(top);
  }
}
