import { ValidationError } from '../errors.js';
import { isUuid } from '../messages/ids.js';
import { assertKnownKeys } from '../reliability/options.js';
import type { CheckpointWrite, Lease, LeaseRequest, ParkedFilter, ParkRequest } from './processing-types.js';
import { assertStreamId } from './validation.js';

// One set of checks for the processing state of every store, so memory, SQLite and PostgreSQL
// refuse the same input with the same error before anything is written.

/** Longest processor name (and lease owner) accepted, in UTF-16 code units. */
export const MAX_PROCESSOR_NAME_LENGTH = 200;
/** Highest partition number; partitions are 0-based. */
export const MAX_PARTITION = 2 ** 31 - 1;
/** Positions and epochs fit a signed 64-bit integer in every store. */
const MAX_INT64 = 2n ** 63n - 1n;
/** Longest lease accepted: about 24 days, the longest a platform timer can wait in one leg. */
export const MAX_LEASE_TTL_MS = 2 ** 31 - 1;
export const DEFAULT_PARKED_LIMIT = 1000;
export const MAX_PARKED_LIMIT = 10_000;

function fail(code: string, message: string, path: string): never {
  throw new ValidationError(message, [{ path: [path], message: code.toLowerCase() }], { code });
}

function checkName(what: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PROCESSOR_NAME_LENGTH) {
    fail(
      'INVALID_PROCESSOR_NAME',
      `${what} must be a non-empty string of at most ${MAX_PROCESSOR_NAME_LENGTH} characters, got ${
        typeof value === 'string' ? `${value.length} characters` : typeof value
      }.`,
      what,
    );
  }
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must be refused (PostgreSQL text cannot hold it).
  if (/\u0000/.test(value)) fail('INVALID_PROCESSOR_NAME', `${what} must not contain U+0000.`, what);
}

function checkText(what: string, value: string): void {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must be refused (PostgreSQL text cannot hold it).
  if (value.length === 0 || /\u0000/.test(value)) {
    fail('INVALID_PARK_REQUEST', `${what} must be a non-empty string without U+0000.`, what);
  }
}

export function assertProcessorName(processor: unknown): asserts processor is string {
  checkName('processor', processor);
}

export function assertPartition(partition: unknown): asserts partition is number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
    fail(
      'INVALID_PARTITION',
      `partition must be an integer from 0 to ${MAX_PARTITION}, got ${String(partition)}.`,
      'partition',
    );
  }
}

function assertInt64(what: string, value: unknown): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_INT64) {
    fail(
      'INVALID_POSITION',
      `${what} must be a bigint from 0n to 2^63-1, got ${typeof value === 'bigint' ? `${value}n` : typeof value}.`,
      what,
    );
  }
}

export function assertCheckpointWrite(write: CheckpointWrite): void {
  if (typeof write !== 'object' || write === null) {
    fail('INVALID_CHECKPOINT', 'saveCheckpoint expects { processor, position, partition?, epoch? }.', 'write');
  }
  assertKnownKeys('saveCheckpoint', write, ['processor', 'partition', 'position', 'epoch']);
  assertProcessorName(write.processor);
  assertPartition(write.partition ?? 0);
  assertInt64('position', write.position);
  if (write.epoch !== undefined) assertInt64('epoch', write.epoch);
}

function assertTtl(ttlMs: unknown): void {
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_LEASE_TTL_MS) {
    fail(
      'INVALID_LEASE',
      `ttlMs must be an integer from 1 to ${MAX_LEASE_TTL_MS} milliseconds, got ${String(ttlMs)}.`,
      'ttlMs',
    );
  }
}

export function assertLeaseRequest(request: LeaseRequest): void {
  if (typeof request !== 'object' || request === null) {
    fail('INVALID_LEASE', 'acquireLease expects { processor, owner, ttlMs, partition? }.', 'request');
  }
  assertKnownKeys('acquireLease', request, ['processor', 'partition', 'owner', 'ttlMs']);
  assertProcessorName(request.processor);
  assertPartition(request.partition ?? 0);
  checkName('owner', request.owner);
  assertTtl(request.ttlMs);
}

export function assertLeaseTtl(ttlMs: unknown): void {
  assertTtl(ttlMs);
}

export function assertLease(lease: Lease): void {
  if (typeof lease !== 'object' || lease === null)
    fail('INVALID_LEASE', 'Expected a lease returned by acquireLease.', 'lease');
  assertProcessorName(lease.processor);
  assertPartition(lease.partition);
  checkName('owner', lease.owner);
  assertInt64('epoch', lease.epoch);
}

export function assertParkRequest(request: ParkRequest): void {
  if (typeof request !== 'object' || request === null) {
    fail('INVALID_PARK_REQUEST', 'park expects { processor, event, error, attempts, blocking }.', 'request');
  }
  assertKnownKeys('park', request, ['processor', 'partition', 'event', 'error', 'attempts', 'blocking', 'epoch']);
  assertProcessorName(request.processor);
  assertPartition(request.partition ?? 0);
  const e = request.event as Partial<ParkRequest['event']> | null;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.id !== 'string' ||
    typeof e.streamId !== 'string' ||
    typeof e.type !== 'string' ||
    typeof e.position !== 'bigint' ||
    typeof e.version !== 'bigint'
  ) {
    fail(
      'INVALID_PARK_REQUEST',
      'park: event must be a recorded event (id, position, streamId, version, type).',
      'event',
    );
  }
  if (!isUuid(e.id))
    fail('INVALID_PARK_REQUEST', `park: event.id must be a UUID, got ${JSON.stringify(e.id)}.`, 'event');
  assertStreamId(e.streamId);
  checkText('park: event.type', e.type);
  assertInt64('event.position', e.position);
  assertInt64('event.version', e.version);
  const err = request.error as { name?: unknown; message?: unknown } | null;
  if (typeof err !== 'object' || err === null || typeof err.name !== 'string' || typeof err.message !== 'string') {
    fail('INVALID_PARK_REQUEST', 'park: error must be a serialized error (use serializeError).', 'error');
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(err);
  } catch {
    json = undefined;
  }
  if (json === undefined) {
    fail(
      'INVALID_PARK_REQUEST',
      'park: error must be plain JSON (use serializeError); it could not be serialized.',
      'error',
    );
  }
  if (typeof request.attempts !== 'number' || !Number.isSafeInteger(request.attempts) || request.attempts < 1) {
    fail(
      'INVALID_PARK_REQUEST',
      `park: attempts must be an integer >= 1, got ${String(request.attempts)}.`,
      'attempts',
    );
  }
  if (typeof request.blocking !== 'boolean')
    fail('INVALID_PARK_REQUEST', 'park: blocking must be a boolean.', 'blocking');
  if (request.epoch !== undefined) assertInt64('epoch', request.epoch);
}

export function assertParkedFilter(filter: ParkedFilter | undefined): void {
  assertKnownKeys('listParked', filter, ['processor', 'streamId', 'blocking', 'limit']);
  if (filter === undefined) return;
  if (filter.processor !== undefined) assertProcessorName(filter.processor);
  if (filter.streamId !== undefined && typeof filter.streamId !== 'string') {
    fail('INVALID_PARKED_FILTER', 'listParked: streamId must be a string.', 'streamId');
  }
  if (filter.blocking !== undefined && typeof filter.blocking !== 'boolean') {
    fail('INVALID_PARKED_FILTER', 'listParked: blocking must be a boolean.', 'blocking');
  }
  const limit = filter.limit;
  if (
    limit !== undefined &&
    (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PARKED_LIMIT)
  ) {
    fail(
      'INVALID_PARKED_FILTER',
      `listParked: limit must be an integer from 1 to ${MAX_PARKED_LIMIT}, got ${String(limit)}.`,
      'limit',
    );
  }
}

/** `tx.processing.claimInbox(processor, event, options)`: a recorded event (UUID id, position) and fencing options. */
export function assertInboxClaim(
  processor: unknown,
  event: unknown,
  options: { readonly epoch?: unknown; readonly partition?: unknown } | undefined,
): void {
  assertProcessorName(processor);
  assertKnownKeys('tx.processing.claimInbox', options, ['epoch', 'partition']);
  const e = event as { id?: unknown; position?: unknown } | null;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.id !== 'string' ||
    !isUuid(e.id) ||
    typeof e.position !== 'bigint'
  ) {
    throw new ValidationError(
      'tx.processing.claimInbox(processor, event) expects a recorded event (a UUID id and a bigint position).',
      [{ path: ['event'], message: 'not a recorded event' }],
    );
  }
  assertInt64('event.position', e.position);
  assertPartition(options?.partition ?? 0);
  if (options?.epoch !== undefined) assertInt64('epoch', options.epoch);
}

/** The id of a parked entry (`getParked`, `unpark`). */
export function assertParkedId(what: string, id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new ValidationError(`${what}(id) expects the parked entry's id (a string), got ${typeof id}.`, [
      { path: ['id'], message: 'not a string' },
    ]);
  }
}

/** `tx.processing.unpark(id, options)`. */
export function assertUnpark(id: unknown, options: { readonly epoch?: unknown } | undefined): asserts id is string {
  assertKnownKeys('tx.processing.unpark', options, ['epoch']);
  assertParkedId('unpark', id);
  if (options?.epoch !== undefined) assertInt64('epoch', options.epoch);
}
