import type { CommandDefinition } from '../messages/define.js';
import type { Message } from '../messages/message.js';
import type { EventSelector, ProcessorRetryPolicy, SelectedEvent } from '../processing/processor-types.js';
import type { SerializedError } from '../reliability/serialize-error.js';
import type { RecordedEvent } from '../store/types.js';

/** When a scheduled timer is due: exactly one of `at` and `after`. A time in the past fires at once. */
export interface SagaScheduleOptions {
  /** Absolute due time (a Date or epoch ms). */
  readonly at?: Date | number;
  /** Due this many ms after `saga.now` (the app clock's time of the reaction). */
  readonly after?: number;
}

/**
 * What `react` and `onRejected` receive to record their effects. Nothing happens while they run:
 * the sends, timers and completion are applied only if the transition commits, in one transaction
 * with the new state. Calling it after the reaction returned throws `SAGA_RECORDER_CLOSED`.
 */
export interface SagaRecorder {
  /** The instance id (what `correlate` returned). */
  readonly id: string;
  /** The app clock's time when the reaction started. */
  readonly now: Date;
  /** Records a command to send (delivered at least once, with a dedupe id, after the commit). */
  send(command: Message): void;
  /**
   * Records a durable timer named `name` (unique within the instance) that appends `event` to the
   * instance's stream when due; the event then reaches `react`. Its type must be in `handles` or
   * `startedBy` (`TimerNotHandledError` otherwise). Scheduling a name that is already pending
   * changes nothing (cancel it first to move it). A timer name fires at most once per instance.
   */
  schedule(name: string, event: Message, when: SagaScheduleOptions): void;
  /** Records the cancellation of the pending timer `name` (nothing if it already fired or never existed). */
  cancel(name: string): void;
  /** Marks the instance completed: later events for it are ignored. */
  complete(): void;
}

/** What `onRejected` receives: the refused command and the handler's error (as recorded in the stream). */
export interface SagaRejection {
  /** The command as sent, with its dedupe id. */
  readonly command: Message & { readonly id: string };
  readonly error: SerializedError;
}

/** Why an event did not reach `react` (see `SagaSpec.onIgnored`). */
export type SagaIgnoredReason =
  /** No instance exists and the event's type is not in `startedBy`. */
  | 'not-started'
  /** The instance completed. */
  | 'completed'
  /** The event was handled already (a redelivery). */
  | 'duplicate'
  /** The event sits in another saga's stream (its timers and rejections are not this saga's input). */
  | 'foreign-stream';

/** What {@link defineSaga} takes. Unknown keys are refused. */
export interface SagaSpec<S, St extends EventSelector, H extends EventSelector = never> {
  /**
   * Stable name: keys the instances' streams (`saga.<name>-<id>`), the processors (`saga:<name>`,
   * `saga:<name>:outbox`) and the timer ids. Dot-separated segments of letters, digits and `_`
   * (no `-`: it would split the stream's category).
   */
  readonly name: string;
  /** Events that may create an instance (definitions or type names). At least one. */
  readonly startedBy: readonly St[];
  /** Events that only continue an existing instance. No type may be in both lists. */
  readonly handles?: readonly H[];
  /**
   * The instance id of a selected event: a non-empty string (at most 400 characters). Anything
   * else parks the event with `SAGA_CORRELATION`. Events in the instance's own stream (its timers)
   * are correlated by their stream.
   */
  readonly correlate: (event: SelectedEvent<St | H>) => string;
  readonly initialState: () => S;
  /**
   * Pure: the next state for `event` (`undefined` keeps the state), with effects recorded on
   * `saga`. The state must be JSON (it is stored as a snapshot in every transition).
   */
  readonly react: (state: S, event: SelectedEvent<St | H>, saga: SagaRecorder) => NoInfer<S> | undefined | void;
  /**
   * Called when a command the saga sent was refused (`CommandRejectedError` or `rejected === true`):
   * the rejection is recorded as a transition of the instance (even a completed one), and this
   * decides what follows. Without it a refused send is parked (see `app.parked`).
   */
  readonly onRejected?: (state: S, rejection: SagaRejection, saga: SagaRecorder) => NoInfer<S> | undefined | void;
  /**
   * The command types the saga may send. When given, `app.start()` refuses to start unless each has
   * a handler, and `saga.send` of another type throws. Without it, `saga.send` checks the handler
   * when it records.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any command definition
  readonly sends?: readonly (string | CommandDefinition<string, any, any>)[];
  /** Told about every event that did not reach `react` (never an error). */
  readonly onIgnored?: (event: RecordedEvent, reason: SagaIgnoredReason) => void;
  /** Retries of a failing reaction or send before it is parked. Default: the processor default (3 attempts). */
  readonly retry?: ProcessorRetryPolicy;
}

declare const STATE: unique symbol;
declare const EVENTS: unique symbol;

/** A validated saga definition: give it to `createTidings({ sagas })`. */
export interface Saga<S = unknown, E = unknown> {
  readonly name: string;
  /** Types that may create an instance. */
  readonly startedBy: readonly string[];
  /** Types that only continue one. */
  readonly handles: readonly string[];
  /** Declared command types, when `sends` was given. */
  readonly sends: readonly string[] | undefined;
  /** Type-level only: the state. */
  readonly [STATE]?: S;
  /** Type-level only: the events it reacts to (for `SagaScenario`). */
  readonly [EVENTS]?: E;
}

/** A saga instance as `app.sagas.get` reads it from its stream. */
export interface SagaInstance<S = unknown> {
  readonly state: S;
  /** The stream version of the last transition. */
  readonly version: bigint;
  readonly completed: boolean;
}

/** A recorded send: the command and its dedupe id (the id it is sent with). */
export interface RecordedSend {
  readonly id: string;
  readonly command: { readonly type: string; readonly data: unknown; readonly metadata?: Record<string, unknown> };
}

/** A recorded timer operation, in the order the reaction made them. */
export type RecordedTimerOp =
  | {
      readonly op: 'schedule';
      readonly name: string;
      readonly id: string;
      readonly type: string;
      readonly dueAt: string;
    }
  | { readonly op: 'cancel'; readonly name: string; readonly id: string };

/** The data of a `saga.transitioned` event: one per reaction, the instance's snapshot and outbox. */
export interface TransitionData {
  readonly saga: string;
  readonly instanceId: string;
  /** The event that caused it (for a rejection: the `saga.command-rejected` event). */
  readonly input: {
    readonly eventId: string;
    readonly type: string;
    readonly streamId: string;
    /** Global position, as a decimal string. */
    readonly position: string;
  };
  readonly state: unknown;
  readonly sends: readonly RecordedSend[];
  readonly timers: readonly RecordedTimerOp[];
  readonly completed: boolean;
}

/** The data of a `saga.command-rejected` event, appended by the outbox to the instance's stream. */
export interface RejectionData {
  readonly saga: string;
  readonly instanceId: string;
  readonly transitionId: string;
  readonly send: RecordedSend;
  readonly error: SerializedError;
}
