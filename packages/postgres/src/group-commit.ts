import type { AppendResult } from 'tidings';
import { BatchCoalescer } from 'tidings/store-kit';
import type { BatchLimits } from 'tidings/store-kit';
import type { AppendOutcome, PreparedAppend } from './append-batch.js';

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

/**
 * Group commit for PostgreSQL (decision 0301) on the shared {@link BatchCoalescer}: appends
 * submitted while a batch is being written go together in the next one, so N concurrent callers
 * share one statement, one transaction and one WAL flush. A lone caller is written at once (on a
 * microtask: appends issued in the same synchronous run share the first batch). Several appends
 * to one stream in a batch are checked against running versions by the batch statement. Two
 * appends sharing an event id never share a batch, so a retry racing its original is answered
 * exactly by the idempotency rule.
 */
export function createGroupCommit(
  deps: GroupCommitDeps,
  limits: BatchLimits,
): BatchCoalescer<PreparedAppend, AppendResult> {
  return new BatchCoalescer<PreparedAppend, AppendResult>({
    limits,
    size: (a) => ({ events: a.events.length, bytes: a.bytes }),
    ids: (a) => a.events.map((e) => e.id),
    write: deps.write,
    retryable: deps.retryable,
    toError: deps.toError,
    committed: (batch, outcomes) => {
      let top = -1n;
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i]!;
        if (outcome.ok === true && batch[i]!.events.length > 0 && outcome.result.position > top) {
          top = outcome.result.position;
        }
      }
      if (top >= 0n) deps.committed(top);
    },
  });
}
