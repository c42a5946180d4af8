import { TidingsError, TimeoutError } from '../errors.js';
import type { ExpectedVersion } from './types.js';

function show(v: ExpectedVersion | bigint): string {
  return typeof v === 'bigint' ? `${v}` : `'${v}'`;
}

/** The stream was not at the expected version. Nothing was written. */
export class ConcurrencyError extends TidingsError {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  readonly actual: bigint;
  constructor(streamId: string, expected: ExpectedVersion, actual: bigint) {
    super(
      'CONCURRENCY_CONFLICT',
      `Stream '${streamId}' is at version ${actual}, expected ${show(expected)}. Another writer appended first: reload the stream and decide again (handleCommand does this for you).`,
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** An event id in the append is already stored, but not as the same append. Nothing was written. */
export class DuplicateEventError extends TidingsError {
  readonly eventId: string;
  readonly streamId: string;
  constructor(eventId: string, streamId: string, detail: string) {
    super(
      'DUPLICATE_EVENT',
      `Event id ${eventId} appended to '${streamId}' already exists ${detail}. Event ids are unique across the store: re-send the same ids only to retry the same append at the same expected version.`,
    );
    this.eventId = eventId;
    this.streamId = streamId;
  }
}

/** The stream was hard-deleted (tombstoned) and can no longer be appended to. */
export class StreamDeletedError extends TidingsError {
  readonly streamId: string;
  constructor(streamId: string) {
    super('STREAM_DELETED', `Stream '${streamId}' was hard-deleted and cannot be written again. Use a new stream id.`);
    this.streamId = streamId;
  }
}

/**
 * The connection was lost while COMMIT was in flight: the append may or may not be stored.
 * Retry with the same event ids; the store returns the original result if it was.
 */
export class UnknownOutcomeError extends TidingsError {
  constructor(streamId: string, cause: unknown) {
    super(
      'UNKNOWN_OUTCOME',
      `The append to '${streamId}' may or may not have committed: ${cause instanceof TimeoutError ? `no answer came in time (${cause.message})` : 'the connection failed during COMMIT'}. Retry the same append with the same event ids; it is idempotent.`,
      { cause },
    );
  }
}

/** A lock could not be taken in time (another writer holds the store's write lock). Nothing was written. */
export class StoreBusyError extends TimeoutError {
  constructor(what: string, timeoutMs: number, cause?: unknown) {
    super(
      `${what} timed out after ${timeoutMs} ms waiting for the store's write lock, held by another writer. Nothing was written; retry later or raise the lock timeout.`,
      timeoutMs,
      { cause },
    );
  }
}

/** The storage is not a Tidings store, is corrupt, or was written by a newer version. It is never migrated. */
export class IncompatibleStoreError extends TidingsError {
  constructor(message: string, cause?: unknown) {
    super('INCOMPATIBLE_STORE', message, { cause });
  }
}

/** The store was closed; no further calls are accepted. */
export class StoreClosedError extends TidingsError {
  constructor(kind: string) {
    super('STORE_CLOSED', `The ${kind} event store is closed. Open a new one to continue.`);
  }
}

/**
 * A write fenced by a lease epoch was refused: another holder took the processor (partition)
 * over. Nothing was written; the process that got it must stop processing that partition.
 */
export class LeaseLostError extends TidingsError {
  readonly processor: string;
  readonly partition: number;
  readonly epoch: bigint;
  readonly currentEpoch: bigint | undefined;
  constructor(processor: string, partition: number, epoch: bigint, currentEpoch: bigint | undefined) {
    super(
      'LEASE_LOST',
      `Processor '${processor}' (partition ${partition}): lease epoch ${epoch} is no longer current (${
        currentEpoch === undefined ? 'the lease was released' : `now ${currentEpoch}`
      }). Another process took it over, so this write was refused and nothing was written; stop processing here.`,
    );
    this.processor = processor;
    this.partition = partition;
    this.epoch = epoch;
    this.currentEpoch = currentEpoch;
  }
}
