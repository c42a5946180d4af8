// `tidings/store-kit`: the parts every event store shares, for store authors (the SQLite and
// PostgreSQL packages, and anyone writing another store). Applications import from 'tidings'.
// Validation lives here once, so every store refuses the same input with the same error.
export {
  assertStreamId,
  assertExpectedVersion,
  prepareAppend,
  versionMatches,
  DEFAULT_MAX_EVENT_BYTES,
  MAX_STREAM_ID_LENGTH,
} from '../store/validation.js';
export type { PreparedEvent, PrepareOptions } from '../store/validation.js';
export { resolveIdempotentAppend } from '../store/idempotency.js';
export type { StoredEventRef } from '../store/idempotency.js';
export {
  encodeStreamMetadata,
  assertTruncateVersion,
  resolveDeleteOptions,
  assertReadStreamOptions,
  assertReadAllOptions,
  assertReadByTimeOptions,
  isRetained,
} from '../store/stream-rules.js';
export type { RetentionState } from '../store/stream-rules.js';
export { assertStorableJson } from '../store/storable-text.js';
export { HeadNotifier } from '../store/head-notifier.js';
export type { HeadChannel, HeadChannelEvents, HeadNotifierOptions, HeadProbe } from '../store/head-notifier.js';
export { subscribeToStore } from '../store/subscription.js';
export type { SubscribableStore } from '../store/subscription.js';
export {
  assertProcessorName,
  assertPartition,
  assertCheckpointWrite,
  assertLeaseRequest,
  assertLeaseTtl,
  assertLease,
  assertParkRequest,
  assertParkedFilter,
  assertInboxClaim,
  assertParkedId,
  assertUnpark,
  DEFAULT_PARKED_LIMIT,
  MAX_PARKED_LIMIT,
  MAX_PARTITION,
  MAX_PROCESSOR_NAME_LENGTH,
  MAX_LEASE_TTL_MS,
} from '../store/processing-validation.js';
export { assertKnownKeys } from '../reliability/options.js';
