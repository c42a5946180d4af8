import { uuidv7 } from '../messages/ids.js';
import type { Message } from '../messages/message.js';
import { assertSerializable } from '../messages/serializable.js';
import { assertKnownKeys } from '../reliability/options.js';
import { sagaBehaviour, type SagaBehaviour } from '../sagas/define-saga.js';
import { openRecorder } from '../sagas/recorder.js';
import type { Saga, SagaIgnoredReason } from '../sagas/saga-types.js';
import type { RecordedEvent } from '../store/types.js';
import { normalize } from './json-diff.js';
import {
  SpecFailedError,
  assertEventsMatch,
  assertStateMatches,
  assertThrownMatches,
  describeError,
  refuseThenable,
  type ErrorExpectation,
} from './spec-error.js';

/** A timer a reaction scheduled, as a {@link SagaScenario} reports it. */
export interface ScenarioTimer {
  readonly name: string;
  readonly event: Message;
  readonly dueAt: Date;
}

/** What one reaction did: the saga's outcome for the `when` event. */
export interface SagaOutcome<S> {
  /** The instance's state after the reaction (unchanged when the event was ignored). */
  readonly state: S;
  /** Commands recorded with `saga.send`, in order. */
  readonly sends: readonly Message[];
  readonly scheduled: readonly ScenarioTimer[];
  /** Names passed to `saga.cancel`, in order. */
  readonly cancelled: readonly string[];
  /** Whether the instance is completed after the reaction. */
  readonly completed: boolean;
  /** Why the event did not reach `react` (the runtime's rules), or `undefined` when it did. */
  readonly ignored: SagaIgnoredReason | undefined;
}

/** What `then` checks; only the keys given are compared. */
export interface SagaExpectation<S> {
  readonly state?: S;
  /** The commands sent, in order (type and data; metadata only where given). */
  readonly sends?: readonly Message[];
  /** Timers scheduled: name, event (type and data) and due time. */
  readonly scheduled?: readonly { readonly name: string; readonly event: Message; readonly dueAt: Date | number }[];
  readonly cancelled?: readonly string[];
  readonly completed?: boolean;
}

/** Options of {@link SagaScenario.for}. Unknown keys are refused. */
export interface SagaScenarioOptions {
  /** `saga.now` of every reaction (a Date or epoch ms). Default: 2026-01-01T00:00:00Z, so due times are stable. */
  readonly now?: Date | number;
}

export interface SagaScenarioThen<S> {
  /** Asserts the reaction reached `react` and did what `expected` lists (keys left out are not checked). */
  then(expected: SagaExpectation<S>): void;
  /** Asserts the event was ignored (not started, or completed) — `reason` when given. */
  thenIgnored(reason?: SagaIgnoredReason): void;
  /** Asserts `react` (or `correlate`) threw; returns the error. */
  thenThrows(expected?: ErrorExpectation): unknown;
  /** The outcome, for your own assertions; throws what the reaction threw. */
  result(): SagaOutcome<S>;
}

export interface SagaScenarioWhen<S, E> {
  /** The event under test; its instance is `correlate(event)`. */
  when(event: E): SagaScenarioThen<S>;
}

export interface SagaScenarioGiven<S, E> extends SagaScenarioWhen<S, E> {
  /** Events the instance reacted to before, in order (their effects are not checked). */
  given(events: E | readonly E[]): SagaScenarioWhen<S, E>;
}

const DEFAULT_NOW = Date.UTC(2026, 0, 1);

/** The event a saga accepts in a scenario: a message of one of its types (a recorded event's type and data). */
type ScenarioEvent<E> = E extends { readonly type: infer T; readonly data: infer D }
  ? { readonly type: T; readonly data: D; readonly metadata?: Message['metadata'] }
  : Message;

type Outcome<S> =
  { readonly ok: true; readonly value: SagaOutcome<S> } | { readonly ok: false; readonly error: unknown };

/**
 * Given/when/then for sagas, without a store: given the events an instance reacted to, when one
 * more arrives, then these sends, timers, state and completion — or the event is ignored, by the
 * same rules as the runtime (an instance starts only on a `startedBy` type; a completed one ignores
 * everything). `react` is pure, so this is the whole behaviour; the store-backed delivery, the
 * timers' firing and redelivery are the runtime's (tested in its suite). Failures throw
 * {@link SpecFailedError} with a line diff.
 *
 * @example
 * SagaScenario.for(checkout)
 *   .given([StockLocked({ orderId: 'o-1', sku: 'tv', quantity: 1 })])
 *   .when(OrderPaid({ orderId: 'o-1' }))
 *   .then({ cancelled: ['payment-timeout'], completed: true });
 */
export const SagaScenario = {
  for<S, E>(saga: Saga<S, E>, options: SagaScenarioOptions = {}): SagaScenarioGiven<S, ScenarioEvent<E>> {
    assertKnownKeys('SagaScenario.for', options, ['now']);
    const now = options.now === undefined ? DEFAULT_NOW : new Date(options.now).getTime();
    if (!Number.isFinite(now)) {
      throw new TypeError(`SagaScenario.for: 'now' must be a valid Date or epoch ms, got ${String(options.now)}.`);
    }
    const behaviour = sagaBehaviour(saga);
    const whenStep = (given: readonly Message[]): SagaScenarioWhen<S, ScenarioEvent<E>> => ({
      when: (event) => thenStep<S>(saga, behaviour, now, given, event as Message),
    });
    return {
      ...whenStep([]),
      given: (events) => whenStep(Array.isArray(events) ? (events as Message[]) : [events as Message]),
    };
  },
};

function recorded(message: Message, index: number, now: number): RecordedEvent {
  return {
    id: uuidv7(),
    type: message.type,
    data: message.data,
    metadata: message.metadata ?? {},
    occurredAt: new Date(now),
    streamId: 'saga-scenario',
    version: BigInt(index + 1),
    position: BigInt(index + 1),
    recordedAt: new Date(now),
  };
}

interface Instance {
  state: unknown;
  started: boolean;
  completed: boolean;
}

/** One reaction by the runtime's rules; `undefined` effects when ignored. */
function react(
  saga: Saga,
  behaviour: SagaBehaviour,
  instance: Instance,
  instanceId: string,
  event: RecordedEvent,
  now: number,
): { ignored: SagaIgnoredReason | undefined; effects: ReturnType<typeof openRecorder> | undefined } {
  if (!instance.started && !saga.startedBy.includes(event.type)) return { ignored: 'not-started', effects: undefined };
  if (instance.completed) return { ignored: 'completed', effects: undefined };
  const opened = openRecorder({
    saga: saga.name,
    instanceId,
    now,
    eventTypes: new Set([...saga.startedBy, ...saga.handles]),
    sends: saga.sends === undefined ? undefined : new Set(saga.sends),
    hasHandler: () => true,
  });
  let next: unknown;
  try {
    next = behaviour.react(instance.state, event, opened.recorder);
  } finally {
    opened.seal();
  }
  instance.started = true;
  if (next !== undefined) instance.state = next;
  if (opened.completed()) instance.completed = true;
  return { ignored: undefined, effects: opened };
}

function thenStep<S>(
  saga: Saga,
  behaviour: SagaBehaviour,
  now: number,
  given: readonly Message[],
  when: Message,
): SagaScenarioThen<S> {
  const context = `Saga '${saga.name}' when ${when.type}${given.length === 0 ? '' : ` given ${given.length} event(s)`}`;
  let outcome: Outcome<S> | undefined;
  const run = (): Outcome<S> => {
    if (outcome !== undefined) return outcome;
    const events = [...given, when].map((m, i) => recorded(m, i, now));
    const whenEvent = events[events.length - 1] as RecordedEvent;
    let instanceId: string;
    try {
      instanceId = String(behaviour.correlate(whenEvent));
    } catch (error) {
      outcome = { ok: false, error };
      return outcome;
    }
    // Given events are replayed outside the try: a failing given step is a broken scenario.
    const instance: Instance = { state: behaviour.initialState(), started: false, completed: false };
    for (const event of events.slice(0, -1)) {
      const id = String(behaviour.correlate(event));
      if (id !== instanceId) {
        throw new SpecFailedError(
          `${context}: given event ${event.type} belongs to instance '${id}', the when event to '${instanceId}'. A scenario follows one instance.`,
        );
      }
      react(saga, behaviour, instance, instanceId, event, now);
    }
    try {
      const { ignored, effects } = react(saga, behaviour, instance, instanceId, whenEvent, now);
      const list = effects?.effects ?? [];
      const value: SagaOutcome<S> = {
        state: instance.state as S,
        sends: list.flatMap((e) => (e.kind === 'send' ? [e.command] : [])),
        scheduled: list.flatMap((e) =>
          e.kind === 'schedule' ? [{ name: e.name, event: e.event, dueAt: new Date(e.dueAt) }] : [],
        ),
        cancelled: list.flatMap((e) => (e.kind === 'cancel' ? [e.name] : [])),
        completed: instance.completed,
        ignored,
      };
      try {
        assertSerializable(value.state, saga.name, 'state');
      } catch (error) {
        throw new SpecFailedError(
          `${context}: react returned a state a store would refuse (it is kept as JSON): ${describeError(error)}`,
          { cause: error },
        );
      }
      outcome = { ok: true, value };
    } catch (error) {
      if (error instanceof SpecFailedError) throw error;
      outcome = { ok: false, error };
    }
    return outcome;
  };
  const result = (): SagaOutcome<S> => {
    const o = run();
    if (o.ok) return o.value;
    throw new SpecFailedError(`${context}: expected a reaction, but it threw ${describeError(o.error)}.`, {
      cause: o.error,
    });
  };
  return {
    then(expected) {
      refuseThenable(expected);
      assertKnownKeys('SagaScenario then', expected, ['state', 'sends', 'scheduled', 'cancelled', 'completed']);
      const r = result();
      if (r.ignored !== undefined) {
        throw new SpecFailedError(`${context}: expected a reaction, but the event was ignored (${r.ignored}).`);
      }
      if ('state' in expected) assertStateMatches(expected.state, r.state, context);
      if (expected.sends !== undefined) assertEventsMatch(expected.sends, r.sends, `${context} (sends)`);
      if (expected.scheduled !== undefined) {
        const shape = (t: { name: string; event: Message; dueAt: Date | number }): unknown => ({
          name: t.name,
          type: t.event.type,
          data: t.event.data,
          dueAt: new Date(t.dueAt).toISOString(),
        });
        assertStateMatches(
          normalize(expected.scheduled.map(shape)),
          normalize(r.scheduled.map(shape)),
          `${context} (scheduled)`,
        );
      }
      if (expected.cancelled !== undefined)
        assertStateMatches(expected.cancelled, r.cancelled, `${context} (cancelled)`);
      if (expected.completed !== undefined)
        assertStateMatches(expected.completed, r.completed, `${context} (completed)`);
    },
    thenIgnored(reason) {
      const r = result();
      if (r.ignored === undefined || (reason !== undefined && r.ignored !== reason)) {
        throw new SpecFailedError(
          `${context}: expected the event to be ignored${reason === undefined ? '' : ` (${reason})`}, but it was ${r.ignored === undefined ? 'handled' : `ignored (${r.ignored})`}.`,
        );
      }
    },
    thenThrows(expected) {
      const o = run();
      if (o.ok) {
        throw new SpecFailedError(
          `${context}: expected the reaction to throw, but it ${o.value.ignored === undefined ? 'returned' : `was ignored (${o.value.ignored})`}.`,
        );
      }
      return assertThrownMatches(o.error, expected, context);
    },
    result,
  };
}
