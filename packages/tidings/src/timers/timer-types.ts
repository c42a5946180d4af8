import type { SerializedError } from '../reliability/serialize-error.js';
import type { EventToAppend } from '../store/types.js';

/** The message a timer appends when it fires: an event without an id (its id is the timer id). */
export type TimerMessage = Omit<EventToAppend, 'id'>;

/**
 * What `schedule` asks for. Exactly one of `at` and `after`. A due time in the past is allowed:
 * the timer fires at the next poll ("fires at once").
 */
export interface ScheduleRequest {
  /**
   * The timer's id, a UUID chosen by the caller and deterministic (see {@link timerId}: saga id +
   * timer name), so scheduling again after a redelivered event does not schedule twice. It becomes
   * the id of the appended event.
   */
  readonly id: string;
  /** The stream the message is appended to when the timer fires. */
  readonly streamId: string;
  readonly message: TimerMessage;
  /** Absolute due time (a Date or epoch milliseconds). */
  readonly at?: Date | number | undefined;
  /** Due this many milliseconds after the store clock's `now()` (integer >= 0). */
  readonly after?: number | undefined;
}

/** A timer as stored: pending, or parked when its message could not be appended. */
export interface ScheduledTimer {
  readonly id: string;
  readonly streamId: string;
  readonly dueAt: Date;
  readonly scheduledAt: Date;
  readonly message: TimerMessage;
  /** Present only on a parked timer: it does not fire until retried (see `retryParked`). */
  readonly parked?: TimerParking | undefined;
}

/**
 * Why and when a timer was parked: its message was refused when it fell due (the stream was
 * hard-deleted, the event id is taken in another stream, the codec failed or made it too large…).
 * A parked timer keeps its id (scheduling it again returns `false`) until it is retried or skipped.
 */
export interface TimerParking {
  /** When it was parked (the store clock). */
  readonly at: Date;
  /** The append's error. */
  readonly error: SerializedError;
}

/** One fired timer's message, appended by {@link TransactionTimers.appendFired}. */
export interface FiredMessage {
  readonly streamId: string;
  readonly event: EventToAppend;
}

/** The outcome of one fired message: appended (or already there), or refused with its error. */
export type FiredOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** Narrows {@link TimerStore.listParked}. */
export interface ParkedTimerFilter {
  /** At most this many, oldest parked first. Integer 1..10 000; default 1000. */
  readonly limit?: number | undefined;
}

/** What the fired event carries under `metadata.timer`. */
export interface FiredTimerMetadata {
  readonly id: string;
  /** ISO time the timer was due. */
  readonly dueAt: string;
  /** ISO time it fired (the poller's clock). */
  readonly firedAt: string;
  /** `firedAt - dueAt` in milliseconds, >= 0: how late it fired (downtime, poll interval, backlog). */
  readonly lateMs: number;
}

/**
 * Timers written inside `store.transaction`, so a saga's state change and its timer commit
 * together (`tx.timers`).
 */
export interface TransactionTimers {
  /**
   * Stores the timer. Returns `true` when it was scheduled, `false` when a timer with this id is
   * already pending (nothing changes: the first due time and message stay).
   */
  schedule(request: ScheduleRequest): Promise<boolean>;
  /** Removes a pending timer; returns whether it was pending (a parked one is removed by `skipParked`). */
  cancel(id: string): Promise<boolean>;
  /** The pending or parked timer with this id (`parked` is set on a parked one). */
  get(id: string): Promise<ScheduledTimer | undefined>;
  /**
   * Deletes and returns up to `limit` timers due at or before `now`, earliest first, locked so
   * that a concurrent transaction claims other timers (PostgreSQL `FOR UPDATE SKIP LOCKED`;
   * SQLite and memory hold the store's write lock). Used by {@link fireDueTimers}, which appends
   * their messages in the same transaction.
   */
  claimDue(now: Date, limit: number): Promise<ScheduledTimer[]>;
  /** The earliest due time of a pending timer, or `undefined` when none is pending. */
  nextDueAt(): Promise<Date | undefined>;
  /** How many timers are pending (parked ones are not). */
  count(): Promise<number>;
  /**
   * Appends fired messages, each as its own append (expected version `any`), set-based where the
   * store can (PostgreSQL: one statement for the whole batch). A refused append (bad or too large
   * after the codec, hard-deleted stream, id taken in another stream) comes back as its outcome
   * and neither aborts the transaction nor the other appends; an event whose id is already in its
   * stream is the idempotent case (`ok`). Throws only when the store itself fails (then the
   * transaction is aborted). Used by {@link fireDueTimers}.
   */
  appendFired(messages: readonly FiredMessage[]): Promise<FiredOutcome[]>;
  /**
   * Stores a claimed timer again as parked, with the error that refused its message (the store
   * clock gives the time). It does not fire, is not counted by `count`, and keeps its id.
   */
  park(timer: ScheduledTimer, error: SerializedError): Promise<void>;
  /** Parked timers, oldest parked first. */
  listParked(filter?: ParkedTimerFilter): Promise<ScheduledTimer[]>;
  /**
   * Makes a parked timer pending again with its original due time (so it fires at the next poll,
   * its lateness counted from that due time). Returns whether it was parked.
   */
  retryParked(id: string): Promise<boolean>;
  /** Deletes a parked timer without firing it. Returns whether it was parked. */
  skipParked(id: string): Promise<boolean>;
}

/**
 * `store.timers`: the same operations, each in its own transaction, plus reads and the parked list.
 *
 * @example
 * for (const timer of await store.timers.listParked({ limit: 100 })) {
 *   console.warn(timer.id, timer.streamId, timer.parked?.error.code);
 *   if (timer.parked?.error.code === 'STREAM_DELETED') await store.timers.skipParked(timer.id);
 *   else await store.timers.retryParked(timer.id); // fires at the next poll
 * }
 */
export interface TimerStore {
  schedule(request: ScheduleRequest): Promise<boolean>;
  /** Removes a pending timer; returns whether it was pending. */
  cancel(id: string): Promise<boolean>;
  /** The pending or parked timer with this id (`parked` is set on a parked one). */
  get(id: string): Promise<ScheduledTimer | undefined>;
  /** The earliest due time of a pending timer, or `undefined` when none is pending. */
  nextDueAt(): Promise<Date | undefined>;
  /** How many timers are pending (parked ones are not). */
  count(): Promise<number>;
  /** Parked timers (their message was refused when they fell due), oldest parked first. */
  listParked(filter?: ParkedTimerFilter): Promise<ScheduledTimer[]>;
  /** Makes a parked timer pending again with its original due time: it fires at the next poll. */
  retryParked(id: string): Promise<boolean>;
  /** Deletes a parked timer without firing it. */
  skipParked(id: string): Promise<boolean>;
}
