// The limits every store honours, checked once in the shared validation (decision 0110): a value
// one store could keep and another could not is refused everywhere, with the same error, before
// anything is written. Each is set by the narrowest store column or type behind it.

/** Largest `metadata.schemaVersion`: PostgreSQL stores it as `integer` (2^31 - 1). */
export const MAX_SCHEMA_VERSION = 2_147_483_647;

/**
 * Longest `metadata.correlationId` / `causationId`, in UTF-16 code units. Both are indexed; 256
 * keeps every index entry far below PostgreSQL's B-tree row limit (~2.7 kB) and fits any UUID,
 * W3C trace id or message id.
 */
export const MAX_CORRELATION_ID_LENGTH = 256;

/**
 * Largest version or position accepted anywhere (an expected version, a read's `from`, a
 * truncation point): PostgreSQL `bigint`, 2^63 - 1.
 */
export const MAX_STORE_INTEGER = 9_223_372_036_854_775_807n;

/**
 * Earliest time `readByTime` accepts: 1 January 4713 BC (UTC), PostgreSQL's earliest timestamp.
 * The latest is the last one a JavaScript Date can hold (year 275760), which every store keeps.
 */
export const MIN_READ_TIME_MS = Date.UTC(-4712, 0, 1);

/**
 * Longest stream retention `maxAge`: 1,000 years in milliseconds. Reads compute `now - maxAge`,
 * which must stay a time PostgreSQL can represent. Leave `maxAge` out to keep events forever.
 */
export const MAX_STREAM_MAX_AGE_MS = 1000 * 365.25 * 24 * 60 * 60 * 1000;

/** Largest `maxEventBytes`: 256 MiB, well inside what one JSON text may hold in every store and in V8. */
export const MAX_EVENT_BYTES_LIMIT = 256 * 1024 * 1024;

/** Longest lock wait (`lockTimeoutMs`): PostgreSQL's `lock_timeout` and platform timers stop at 2^31 - 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;
