import { ValidationError } from '../errors.js';
import { isUuid } from '../messages/ids.js';
import { assertKnownKeys } from '../reliability/options.js';
import { DEFAULT_MAX_EVENT_BYTES, prepareAppend } from '../store/validation.js';
import type { SerializedError } from '../reliability/serialize-error.js';
import type { ParkedTimerFilter, ScheduledTimer, ScheduleRequest, TimerMessage } from './timer-types.js';

// One set of checks for timers in every store: memory, SQLite and PostgreSQL refuse the same
// input with the same error before anything is written.

/** Latest due time accepted (year 9999), in epoch ms; also the longest `after`. */
export const MAX_TIMER_TIME_MS = 253_402_300_799_999;
/** Most timers one claim may take. */
export const MAX_TIMER_BATCH = 10_000;

const REQUEST_KEYS = ['id', 'streamId', 'message', 'at', 'after'];
const MESSAGE_KEYS = ['type', 'data', 'metadata', 'correlationId', 'causationId', 'schemaVersion'];

function invalid(code: string, message: string, path: string): never {
  throw new ValidationError(message, [{ path: [path], message: code.toLowerCase() }], { code });
}

/** A validated timer, ready to store: `message` is its JSON text. */
export interface PreparedTimer {
  readonly id: string;
  readonly streamId: string;
  readonly dueAt: number;
  readonly scheduledAt: number;
  readonly message: string;
}

/** Throws INVALID_TIMER_ID unless `id` is a UUID; returns it lower-cased (as event ids are stored). */
export function assertTimerId(what: string, id: unknown): string {
  if (typeof id !== 'string' || !isUuid(id)) {
    invalid(
      'INVALID_TIMER_ID',
      `${what}: the timer id must be a UUID (it becomes the fired event's id), got ${JSON.stringify(id) ?? String(id)}. Derive one with timerId(owner, name).`,
      'id',
    );
  }
  return id.toLowerCase();
}

/**
 * Validates a schedule request and prepares the stored form. `now` is the store clock's time, used
 * for `after`. The message is checked exactly as an append of it would be (type, JSON payload,
 * size), so a timer that was accepted can always be appended.
 */
export function prepareTimer(
  request: ScheduleRequest,
  now: number,
  maxEventBytes: number = DEFAULT_MAX_EVENT_BYTES,
): PreparedTimer {
  if (typeof request !== 'object' || (request as unknown) === null || Array.isArray(request)) {
    invalid(
      'INVALID_TIMER',
      `schedule(request) expects an object { id, streamId, message, at | after }, got ${request === null ? 'null' : typeof request}.`,
      'request',
    );
  }
  assertKnownKeys('schedule', request, REQUEST_KEYS);
  const id = assertTimerId('schedule', request.id);
  const { at, after } = request;
  let dueAt: number;
  if ((at === undefined) === (after === undefined)) {
    invalid(
      'INVALID_TIMER_TIME',
      `schedule: give exactly one of 'at' (a Date or epoch ms) and 'after' (ms from now), got ${at === undefined ? 'neither' : 'both'}.`,
      'at',
    );
  }
  if (at !== undefined) {
    const ms = at instanceof Date ? at.getTime() : at;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_TIMER_TIME_MS) {
      invalid(
        'INVALID_TIMER_TIME',
        `schedule: 'at' must be a valid Date or integer epoch ms between 0 and ${MAX_TIMER_TIME_MS}, got ${String(at)}. A time in the past is allowed (the timer fires at once).`,
        'at',
      );
    }
    dueAt = ms;
  } else {
    if (typeof after !== 'number' || !Number.isInteger(after) || after < 0 || now + after > MAX_TIMER_TIME_MS) {
      invalid(
        'INVALID_TIMER_TIME',
        `schedule: 'after' must be an integer number of milliseconds >= 0 (due before year 10000), got ${String(after)}.`,
        'after',
      );
    }
    dueAt = now + after;
  }
  const message = request.message as TimerMessage | null | undefined;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    invalid(
      'INVALID_TIMER',
      `schedule: 'message' must be an object { type, data, metadata? }, got ${message === null ? 'null' : typeof message}.`,
      'message',
    );
  }
  assertKnownKeys('schedule: message', message, MESSAGE_KEYS);
  const metadata = message.metadata as unknown;
  if (typeof metadata === 'object' && metadata !== null && 'timer' in metadata) {
    invalid(
      'INVALID_TIMER',
      `schedule: message.metadata.timer is reserved (the fired event carries the timer's id, due time and lateness there). Rename that key.`,
      'message',
    );
  }
  // The same checks as the append the timer will make (stream id, type, JSON payload, size).
  prepareAppend(request.streamId, [{ ...message, id }], undefined, { maxEventBytes, nextId: () => id });
  return { id, streamId: request.streamId, dueAt, scheduledAt: now, message: JSON.stringify(message) };
}

/** Checks `claimDue(now, limit)` arguments. */
export function assertClaim(now: unknown, limit: unknown): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    invalid('INVALID_TIMER_TIME', `claimDue(now, limit): 'now' must be a valid Date, got ${String(now)}.`, 'now');
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_TIMER_BATCH) {
    invalid(
      'INVALID_OPTION',
      `claimDue(now, limit): 'limit' must be an integer 1..${MAX_TIMER_BATCH}, got ${String(limit)}.`,
      'limit',
    );
  }
}

/** A timer row as every store keeps it: `message` and `error` are JSON text. */
export interface TimerRowParts {
  readonly id: string;
  readonly streamId: string;
  readonly dueAt: number;
  readonly scheduledAt: number;
  readonly message: string;
  /** Epoch ms it was parked; null/undefined while pending. */
  readonly parkedAt?: number | null | undefined;
  readonly error?: string | null | undefined;
}

/** Builds the public form of a stored timer (`parked` only on a parked one). */
export function toScheduledTimer(row: TimerRowParts): ScheduledTimer {
  const timer: ScheduledTimer = {
    id: row.id,
    streamId: row.streamId,
    dueAt: new Date(row.dueAt),
    scheduledAt: new Date(row.scheduledAt),
    message: JSON.parse(row.message) as TimerMessage,
  };
  if (row.parkedAt === null || row.parkedAt === undefined) return timer;
  return {
    ...timer,
    parked: { at: new Date(row.parkedAt), error: JSON.parse(row.error ?? '{}') as SerializedError },
  };
}

/** Default and largest `limit` of `listParked`. */
const DEFAULT_PARKED_LIMIT = 1000;

/** Checks `listParked(filter)`; returns its limit. */
export function parkedTimerLimit(filter: ParkedTimerFilter | undefined): number {
  if (filter === undefined) return DEFAULT_PARKED_LIMIT;
  assertKnownKeys('timers.listParked', filter, ['limit']);
  const limit = filter.limit ?? DEFAULT_PARKED_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TIMER_BATCH) {
    invalid(
      'INVALID_OPTION',
      `timers.listParked({ limit }): 'limit' must be an integer 1..${MAX_TIMER_BATCH}, got ${String(limit)}.`,
      'limit',
    );
  }
  return limit;
}

/**
 * The stored form of a claimed timer being parked with `error` at `now`: its id is checked, its
 * message kept as JSON text, the error as JSON text.
 */
export function prepareParking(
  timer: ScheduledTimer,
  error: SerializedError,
  now: number,
): PreparedTimer & { readonly parkedAt: number; readonly error: string } {
  if (typeof timer !== 'object' || (timer as unknown) === null) {
    invalid(
      'INVALID_TIMER',
      `timers.park(timer, error): 'timer' must be a claimed timer, got ${timer === null ? 'null' : typeof timer}.`,
      'timer',
    );
  }
  const id = assertTimerId('park', timer.id);
  return {
    id,
    streamId: timer.streamId,
    dueAt: timer.dueAt.getTime(),
    scheduledAt: timer.scheduledAt.getTime(),
    message: JSON.stringify(timer.message),
    parkedAt: now,
    error: JSON.stringify(error),
  };
}
