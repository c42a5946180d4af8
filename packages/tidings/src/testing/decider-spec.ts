import type { Message } from '../messages/message.js';
import { assertSerializable } from '../messages/serializable.js';
import { decidedEvents, evolveAll, initialStateOf, type Decider } from '../sourcing/decider.js';
import { pretty, normalize } from './json-diff.js';
import {
  SpecFailedError,
  assertEventsMatch,
  assertStateMatches,
  assertThrownMatches,
  describeError,
  refuseThenable,
  type ErrorExpectation,
} from './spec-error.js';

/** The outcome of a decider spec's `when`, for assertions of your own (`expect(spec.result().events)…`). */
export interface DeciderOutcome<S, E> {
  /** The events `decide` returned, as an array. */
  readonly events: readonly E[];
  /** The state after the given events and the decided ones. */
  readonly state: S;
}

/** The `then` step of a {@link DeciderSpec}. */
export interface DeciderSpecThen<S, E extends Message> {
  /** Asserts `decide` returned exactly these events (type and data; metadata only where given). */
  then(expected: E | readonly E[]): void;
  /** Asserts `decide` returned no event. */
  thenNothing(): void;
  /** Asserts the state after the given and decided events. */
  thenState(expected: S): void;
  /** Asserts `decide` threw — an instance of the class, or an error the predicate accepts — and returns it. */
  thenThrows(expected?: ErrorExpectation): unknown;
  /** The outcome, for your own assertions; throws what `decide` threw. */
  result(): DeciderOutcome<S, E>;
}

/** The `when` step of a {@link DeciderSpec}. */
export interface DeciderSpecWhen<S, C extends Message, E extends Message> {
  when(command: C): DeciderSpecThen<S, E>;
}

/** The `given` step of a {@link DeciderSpec} (optional: without it the stream is empty). */
export interface DeciderSpecGiven<S, C extends Message, E extends Message> extends DeciderSpecWhen<S, C, E> {
  given(events: E | readonly E[]): DeciderSpecWhen<S, C, E>;
}

type Outcome<E> =
  { readonly ok: true; readonly events: readonly E[] } | { readonly ok: false; readonly error: unknown };

/**
 * Given/when/then for deciders, without a store: given past events, when a command is decided,
 * then these events (or this error). Failures throw {@link SpecFailedError} with a line diff, so the
 * spec works in any test runner; vitest and jest also render `expected`/`actual` themselves.
 *
 * @example
 * const spec = DeciderSpec.for(userDecider);
 * spec.given([UserCreated({ userId: 'u1', email: 'a@x.io', name: 'Ann' })])
 *   .when(DeactivateUser({ userId: 'u1' }))
 *   .then([UserDeactivated({ userId: 'u1' })]);
 * spec.when(UpdateUser({ userId: 'u1', name: 'Bo' })).thenThrows(UserNotActive);
 */
export const DeciderSpec = {
  for<S, C extends Message, E extends Message>(decider: Decider<S, C, E>): DeciderSpecGiven<S, C, E> {
    const whenStep = (given: readonly E[]): DeciderSpecWhen<S, C, E> => ({
      when: (command) => thenStep(decider, given, command),
    });
    return { ...whenStep([]), given: (events) => whenStep(decidedEvents(events)) };
  },
};

function thenStep<S, C extends Message, E extends Message>(
  decider: Decider<S, C, E>,
  given: readonly E[],
  command: C,
): DeciderSpecThen<S, E> {
  let outcome: Outcome<E> | undefined;
  const run = (): Outcome<E> => {
    if (outcome !== undefined) return outcome;
    // Given events are evolved outside the try: a failing evolve is a broken spec, not the expected error.
    const state = evolveAll(decider, given, initialStateOf(decider));
    try {
      outcome = { ok: true, events: decidedEvents(decider.decide(command, state)) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    return outcome;
  };
  const context = `When ${command.type}${given.length === 0 ? '' : ` given ${given.length} event(s)`}`;
  const events = (): readonly E[] => {
    const o = run();
    if (o.ok) {
      o.events.forEach((e, i) => {
        try {
          assertSerializable(e.data, e.type, `events[${i}].data`);
          if (e.metadata !== undefined) assertSerializable(e.metadata, e.type, `events[${i}].metadata`);
        } catch (error) {
          throw new SpecFailedError(
            `${context}: decide returned an event a store would refuse: ${describeError(error)}`,
            { cause: error },
          );
        }
      });
      return o.events;
    }
    throw new SpecFailedError(`${context}: expected events, but decide threw ${describeError(o.error)}.`, {
      cause: o.error,
    });
  };

  return {
    then(expected) {
      refuseThenable(expected);
      assertEventsMatch(decidedEvents(expected), events(), context);
    },
    thenNothing() {
      assertEventsMatch([], events(), context);
    },
    thenState(expected) {
      assertStateMatches(expected, evolveAll(decider, [...given, ...events()], initialStateOf(decider)), context);
    },
    thenThrows(expected) {
      const o = run();
      if (o.ok) {
        const got = normalize(o.events.map((e) => ({ type: e.type, data: e.data })));
        throw new SpecFailedError(
          `${context}: expected an error, but decide returned ${o.events.length} event(s):\n${pretty(got)}`,
        );
      }
      return assertThrownMatches(o.error, expected, context);
    },
    result() {
      const o = run();
      if (!o.ok) throw o.error;
      return { events: o.events, state: evolveAll(decider, [...given, ...o.events], initialStateOf(decider)) };
    },
  };
}
