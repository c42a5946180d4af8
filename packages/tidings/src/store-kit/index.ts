// `tidings/store-kit`: the parts every event store shares, for store authors (the SQLite and
// PostgreSQL packages, and anyone writing another store). Applications import from 'tidings'.
// Validation lives here once, so every store refuses the same input with the same error.
export {
  assertStreamId,
  assertExpectedVersion,
  resolveAppendOptions,
  prepareAppend,
  versionMatches,
  DEFAULT_MAX_EVENT_BYTES,
  MAX_STREAM_ID_LENGTH,
} from '../store/validation.js';
export type { PreparedAppendInput, PreparedEvent, PrepareOptions } from '../store/validation.js';
export {
  MAX_SCHEMA_VERSION,
  MAX_CORRELATION_ID_LENGTH,
  MAX_STORE_INTEGER,
  MIN_READ_TIME_MS,
  MAX_STREAM_MAX_AGE_MS,
  MAX_EVENT_BYTES_LIMIT,
  MAX_TIMEOUT_MS,
} from '../store/limits.js';
export { MAX_JSON_DEPTH } from '../messages/serializable.js';
export { resolveIdempotentAppend } from '../store/idempotency.js';
export type { StoredEventRef } from '../store/idempotency.js';
export {
  encodeStreamMetadata,
  assertTruncateVersion,
  resolveDeleteOptions,
  assertReadStreamOptions,
  assertReadAllOptions,
  assertReadByTypeArguments,
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
// One set of factory-option validators: one name, range and error per option in every store.
export { resolveStoreOptions, countOption, choiceOption, DEFAULT_LOCK_TIMEOUT_MS } from '../store/store-options.js';
export { assertKnownKeys, functionOption, invalidOption } from '../reliability/options.js';
export type { CommonStoreOptions, ResolvedStoreOptions, StoreErrorHandler } from '../store/store-options.js';
export { describeValue } from '../describe-value.js';
// One transaction shell: the work check, afterCommit, finished/aborted transactions, nested calls.
export { TransactionShell, OpenTransaction, abortedError } from '../store/transaction-shell.js';
export type { TransactionParts } from '../store/transaction-shell.js';
export { BatchCoalescer } from './batch-coalescer.js';
export type { BatchCoalescerOptions, BatchLimits, MemberOutcome, MemberSize, QueuedJob } from './batch-coalescer.js';
// Timers: one validation and one `store.timers` over `tx.timers` for every store.
export {
  prepareTimer,
  assertTimerId,
  assertClaim,
  toScheduledTimer,
  parkedTimerLimit,
  prepareParking,
  MAX_TIMER_BATCH,
  MAX_TIMER_TIME_MS,
} from '../timers/timer-validation.js';
export type { PreparedTimer, TimerRowParts } from '../timers/timer-validation.js';
export { timersOutsideTransaction } from '../timers/timer-store-over.js';
export { appendEach } from '../timers/append-each.js';
