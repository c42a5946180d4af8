import { TidingsError } from '../errors.js';

/**
 * An event could not be brought to its current shape. `code` says why:
 * - `UNKNOWN_SCHEMA_VERSION`: the event's `schemaVersion` is newer than this code knows (written
 *   by a newer release) — deploy the newer code, never guess;
 * - `UPCAST_CHAIN_GAP`: no function upgrades `fromVersion` to the next version;
 * - `UPCAST_FAILED`: an upcaster threw (its error is the `cause`);
 * - `INVALID_UPCASTER`: the upcaster definition itself is malformed (raised by `createUpcaster`).
 */
export class UpcastError extends TidingsError {
  /** The event type (after alias resolution). */
  readonly eventType: string;
  /** The schema version the problem is at. */
  readonly fromVersion: number;
  /** The current schema version this code knows for the type. */
  readonly knownVersion: number;
  constructor(
    code: 'UNKNOWN_SCHEMA_VERSION' | 'UPCAST_CHAIN_GAP' | 'UPCAST_FAILED' | 'INVALID_UPCASTER',
    message: string,
    details: { eventType: string; fromVersion: number; knownVersion: number; cause?: unknown },
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.eventType = details.eventType;
    this.fromVersion = details.fromVersion;
    this.knownVersion = details.knownVersion;
  }
}

/** A stored snapshot could not be decoded. `handleCommand` ignores such a snapshot and replays the stream. */
export class InvalidSnapshotError extends TidingsError {
  readonly streamId: string;
  constructor(streamId: string, why: string, cause?: unknown) {
    super(
      'INVALID_SNAPSHOT',
      `The snapshot of '${streamId}' is unreadable: ${why}. It is ignored and the stream is replayed; the next snapshot replaces it.`,
      cause === undefined ? undefined : { cause },
    );
    this.streamId = streamId;
  }
}
