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

/** A pending timer as stored. */
export interface ScheduledTimer {
  readonly id: string;
  readonly streamId: string;
  readonly dueAt: Date;
  readonly scheduledAt: Date;
  readonly message: TimerMessage;
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
  /** Removes a pending timer; returns whether it was pending. */
  cancel(id: string): Promise<boolean>;
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
  /** How many timers are pending. */
  count(): Promise<number>;
}

/** `store.timers`: the same operations, each in its own transaction, plus reads. */
export interface TimerStore {
  schedule(request: ScheduleRequest): Promise<boolean>;
  cancel(id: string): Promise<boolean>;
  get(id: string): Promise<ScheduledTimer | undefined>;
  /** The earliest due time of a pending timer, or `undefined` when none is pending. */
  nextDueAt(): Promise<Date | undefined>;
  /** How many timers are pending. */
  count(): Promise<number>;
}
