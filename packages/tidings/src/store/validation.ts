import { ValidationError } from '../errors.js';
import { isUuid } from '../messages/ids.js';
import { assertMessageType } from '../messages/names.js';
import { assertSerializable } from '../messages/serializable.js';
import { describeValue } from '../describe-value.js';
import { assertKnownKeys } from '../reliability/options.js';
import { MAX_CORRELATION_ID_LENGTH, MAX_SCHEMA_VERSION, MAX_STORE_INTEGER } from './limits.js';
import { assertStorableJson } from './storable-text.js';
import type { AppendOptions, EventToAppend, ExpectedVersion } from './types.js';

/** Default largest event accepted by every store: 1 MiB of JSON (data plus metadata), the smallest broker's default. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
/** Longest stream id, in UTF-16 code units. */
export const MAX_STREAM_ID_LENGTH = 512;

// Control characters and lone surrogates: neither survives every database intact.
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const BAD_STREAM_CHARS = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Stream ids: 1 to 512 characters, any Unicode except control characters and lone surrogates. Stored verbatim. */
export function assertStreamId(streamId: unknown): asserts streamId is string {
  if (
    typeof streamId !== 'string' ||
    streamId.length === 0 ||
    streamId.length > MAX_STREAM_ID_LENGTH ||
    BAD_STREAM_CHARS.test(streamId)
  ) {
    throw new ValidationError(
      `Invalid stream id ${describeValue(streamId)}: expected a string of 1 to ${MAX_STREAM_ID_LENGTH} characters without control characters or lone surrogates, conventionally '<category>-<id>' such as 'order-42'.`,
      [{ path: ['streamId'], message: 'invalid stream id' }],
      { code: 'INVALID_STREAM_ID' },
    );
  }
}

export function assertExpectedVersion(expected: unknown): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream' || expected === 'exists') return;
  if (typeof expected === 'bigint' && expected >= 0n && expected <= MAX_STORE_INTEGER) return;
  throw new ValidationError(
    `Invalid expectedVersion ${describeValue(expected)}: expected 'any', 'no-stream', 'exists' or a bigint from 0n to 2^63 - 1 such as 3n.`,
    [{ path: ['expectedVersion'], message: 'invalid expected version' }],
    { code: 'INVALID_EXPECTED_VERSION' },
  );
}

const APPEND_OPTION_KEYS = ['expectedVersion'];

/**
 * Validates append's third argument: nothing, or an object whose only key is `expectedVersion`
 * (`undefined` there means `'any'`). An expected version passed in its place (`'no-stream'`, `0n`),
 * `null` or a misspelt key would otherwise turn the concurrency check off.
 *
 * @example
 * resolveAppendOptions('order-1', { expectedVersion: 3n }); // 3n
 * resolveAppendOptions('order-1', 'no-stream'); // ValidationError INVALID_OPTIONS
 */
export function resolveAppendOptions(streamId: string, options: unknown): ExpectedVersion {
  if (options === undefined) return 'any';
  assertKnownKeys(`append('${streamId}', events, options)`, options, APPEND_OPTION_KEYS);
  const expected = (options as AppendOptions).expectedVersion;
  if (expected === undefined) return 'any';
  assertExpectedVersion(expected);
  return expected;
}

/** An event checked and encoded for storage. */
export interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  /** JSON text of the (codec-encoded) data. */
  readonly data: string;
  /** JSON text of the metadata ('{}' when none). */
  readonly metadata: string;
  readonly correlationId: string | undefined;
  readonly causationId: string | undefined;
  readonly schemaVersion: number;
}

export interface PrepareOptions {
  readonly maxEventBytes?: number | undefined;
  readonly nextId: () => string;
  readonly encode?:
    | ((data: unknown, event: { type: string; streamId: string; metadata: Record<string, unknown> }) => unknown)
    | undefined;
}

/**
 * Validates an append before anything is written and encodes each event the way every store
 * stores it. Throws a {@link ValidationError} naming the first problem; nothing is written then.
 */
export function prepareAppend(
  streamId: unknown,
  events: unknown,
  options: AppendOptions | undefined,
  prepare: PrepareOptions,
): { streamId: string; expectedVersion: ExpectedVersion; events: PreparedEvent[] } {
  assertStreamId(streamId);
  const expectedVersion = resolveAppendOptions(streamId, options);
  if (!Array.isArray(events)) {
    throw new ValidationError(
      `append('${streamId}', events) expects an array of events, got ${describeValue(events)}.`,
      [{ path: ['events'], message: 'not an array' }],
      { code: 'INVALID_EVENTS' },
    );
  }
  const max = prepare.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const seen = new Set<string>();
  const prepared = (events as readonly EventToAppend[]).map((event, i): PreparedEvent => {
    if (typeof event !== 'object' || event === null) {
      throw new ValidationError(
        `Event ${i} of the append to '${streamId}' is ${describeValue(event)}: expected an object { type, data, metadata?, id? }.`,
        [{ path: ['events', i], message: 'not an object' }],
        { code: 'INVALID_EVENTS' },
      );
    }
    assertMessageType(event.type, 'event type');
    const id: unknown = event.id === undefined ? prepare.nextId() : event.id;
    if (typeof id !== 'string' || !isUuid(id)) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') has id ${describeValue(id)}: expected a UUID string, or no id for a generated one.`,
        [{ path: ['events', i, 'id'], message: 'not a UUID' }],
        { code: 'INVALID_EVENT_ID' },
      );
    }
    const key = id.toLowerCase();
    if (seen.has(key)) {
      throw new ValidationError(
        `Event id ${id} appears twice in one append to '${streamId}': every event needs its own id.`,
        [{ path: ['events', i, 'id'], message: 'duplicate id in append' }],
        { code: 'INVALID_EVENT_ID' },
      );
    }
    seen.add(key);
    if (event.data === undefined) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') has no data: expected a JSON value (use null or {} for none).`,
        [{ path: ['events', i, 'data'], message: 'undefined' }],
        { code: 'NOT_SERIALIZABLE' },
      );
    }
    const metadata = (event.metadata === undefined ? {} : event.metadata) as Record<string, unknown>;
    if (typeof metadata !== 'object' || metadata === null || !isPlainObject(metadata)) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') metadata must be a plain object such as { correlationId: '…' }, got ${describeValue(metadata)}.`,
        [{ path: ['events', i, 'metadata'], message: 'not a plain object' }],
        { code: 'NOT_SERIALIZABLE' },
      );
    }
    assertSerializable(event.data, event.type, 'data');
    assertSerializable(metadata, event.type, 'metadata');
    const schemaVersion = metadata['schemaVersion'] === undefined ? 1 : metadata['schemaVersion'];
    if (
      typeof schemaVersion !== 'number' ||
      !Number.isInteger(schemaVersion) ||
      schemaVersion < 1 ||
      schemaVersion > MAX_SCHEMA_VERSION
    ) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') has schemaVersion ${describeValue(schemaVersion)}: expected an integer from 1 to ${MAX_SCHEMA_VERSION}.`,
        [{ path: ['events', i, 'metadata', 'schemaVersion'], message: 'invalid' }],
        { code: 'INVALID_METADATA' },
      );
    }
    const correlationId = metadataId(metadata, 'correlationId', i, event.type);
    const causationId = metadataId(metadata, 'causationId', i, event.type);
    const encoded =
      prepare.encode === undefined ? event.data : prepare.encode(event.data, { type: event.type, streamId, metadata });
    if (prepare.encode !== undefined) assertSerializable(encoded, event.type, 'data (as encoded by the codec)');
    const data = stringify(encoded, event.type, 'data');
    const meta = stringify(metadata, event.type, 'metadata');
    // U+0000 and lone surrogates: refused everywhere because PostgreSQL jsonb cannot keep them (decision 0101).
    assertStorableJson(data, encoded, event.type, 'data');
    assertStorableJson(meta, metadata, event.type, 'metadata');
    const bytes = utf8Length(data) + utf8Length(meta);
    if (bytes > max) {
      throw new ValidationError(
        `Event ${i} ('${event.type}') of the append to '${streamId}' is ${bytes} bytes of JSON, over the limit of ${max}. Store large payloads elsewhere and keep a reference, or raise maxEventBytes.`,
        [{ path: ['events', i], message: 'too large' }],
        { code: 'EVENT_TOO_LARGE' },
      );
    }
    return { id: key, type: event.type, data, metadata: meta, correlationId, causationId, schemaVersion };
  });
  return { streamId, expectedVersion, events: prepared };
}

function utf8Length(s: string): number {
  // Buffer is Node-only; TextEncoder exists everywhere Tidings runs.
  return s.length < 256 && /^[\x20-\x7e]*$/.test(s) ? s.length : encoder.encode(s).length;
}
const encoder = new TextEncoder();

function isPlainObject(value: object): boolean {
  if (Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `correlationId` / `causationId`: absent, or a string of at most MAX_CORRELATION_ID_LENGTH characters (both are indexed). */
function metadataId(metadata: Record<string, unknown>, key: string, i: number, type: string): string | undefined {
  const value = metadata[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_CORRELATION_ID_LENGTH) {
    const found = typeof value === 'string' ? `a string of ${value.length} characters` : describeValue(value);
    throw new ValidationError(
      `Event ${i} ('${type}') has metadata.${key} ${found}: expected a string of at most ${MAX_CORRELATION_ID_LENGTH} characters (it is indexed), such as a message id. Put longer values under another metadata key.`,
      [{ path: ['events', i, 'metadata', key], message: 'invalid id' }],
      { code: 'INVALID_METADATA' },
    );
  }
  return value;
}

/** JSON.stringify of a value assertSerializable accepted; a getter or toJSON that changes its mind still gets a typed error. */
function stringify(value: unknown, type: string, root: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(
      `Cannot serialise '${type}': JSON.stringify of ${root} failed (${error instanceof Error ? error.message : String(error)}).`,
      [{ path: [root], message: 'not JSON-serialisable' }],
      { code: 'NOT_SERIALIZABLE', cause: error },
    );
  }
  if (text === undefined) {
    throw new ValidationError(
      `Cannot serialise '${type}': ${root} has no JSON form.`,
      [{ path: [root], message: 'undefined' }],
      {
        code: 'NOT_SERIALIZABLE',
      },
    );
  }
  return text;
}

/**
 * Checks an expected version against the stream's current one; `exists` means version > 0.
 * A soft-deleted stream (pass `softDeleted`, decision 0100) reads as absent: `'no-stream'` holds,
 * `'exists'` does not, and a bigint must still equal its version, which never restarts.
 */
export function versionMatches(expected: ExpectedVersion, actual: bigint, softDeleted = false): boolean {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return actual === 0n || softDeleted;
  if (expected === 'exists') return actual > 0n && !softDeleted;
  return expected === actual;
}

/** Raised by stores when a limit passed to a read is not a non-negative integer (ValidationError `INVALID_LIMIT`). */
export function assertLimit(limit: unknown): void {
  if (limit === undefined) return;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new ValidationError(
      `Invalid read limit ${describeValue(limit)}: expected a non-negative integer or nothing for all.`,
      [{ path: ['limit'], message: 'invalid limit' }],
      { code: 'INVALID_LIMIT' },
    );
  }
}
