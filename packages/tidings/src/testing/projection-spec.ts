import { uuidv7 } from '../messages/ids.js';
import type { Message } from '../messages/message.js';
import type { Projection } from '../projections/define-projection.js';
import { rebuildProjection } from '../projections/rebuild-projection.js';
import type { ParkedEvent } from '../store/processing-types.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { EventStore } from '../store/types.js';
import { decidedEvents } from '../sourcing/decider.js';
import { runToHead } from './run-to-head.js';
import {
  SpecFailedError,
  assertStateMatches,
  assertThrownMatches,
  describeError,
  type ErrorExpectation,
} from './spec-error.js';

/** Where a {@link ProjectionSpec} runs. */
export interface ProjectionSpecOptions<Connection> {
  /**
   * Makes the store of one run (sync or async), closed after it. Default: a fresh in-memory store.
   * The projection's read model must live in it (or be a `memoryCollection`).
   */
  readonly store?: (() => EventStore<Connection> | Promise<EventStore<Connection>>) | undefined;
  /** The stream of events given without one; default a new `spec-<uuid>` per run. */
  readonly streamId?: string | undefined;
}

/** A read of the read model, for `then`: receives the run's store. */
export type ProjectionRead<Connection> = (store: EventStore<Connection>) => unknown;

export interface ProjectionSpecThen<Connection> {
  /**
   * Runs the projection to the head over the given and `when` events, then asserts `read(store)`
   * deep-equals `expected` — and again after a rebuild from position 0 (a projection whose rebuild
   * differs from its live result is a bug this catches).
   */
  then(read: ProjectionRead<Connection>, expected: unknown): Promise<void>;
  /** Asserts the handler failed on a `when` event (it was parked); resolves to the error. */
  thenThrows(expected?: ErrorExpectation): Promise<unknown>;
}

export interface ProjectionSpecWhen<Connection> {
  /** The events under test, appended after the given ones (to `streamId`, default the spec's stream). */
  when(events: Message | readonly Message[], streamId?: string): ProjectionSpecThen<Connection>;
}

export interface ProjectionSpecGiven<Connection> extends ProjectionSpecWhen<Connection> {
  /** Events stored before (to `streamId`, default the spec's stream); call again for other streams. */
  given(events: Message | readonly Message[], streamId?: string): ProjectionSpecGiven<Connection>;
}

interface Batch {
  readonly streamId: string | undefined;
  readonly events: readonly Message[];
}

/**
 * Given/when/then for projections, through a real store and the real runner: given stored events,
 * when more are appended and the projection runs to the head, then the read model reads as
 * expected, live and after a rebuild.
 *
 * @example
 * await ProjectionSpec.for(directory)
 *   .given([UserCreated({ userId: 'u1', email: 'a@x.io', name: 'Ann' })], 'user-u1')
 *   .when([UserDeactivated({ userId: 'u1' })], 'user-u1')
 *   .then(() => users.get('u1')?.status, 'inactive');
 */
export const ProjectionSpec = {
  for<Target, Connection>(
    projection: Projection<Target, Connection>,
    options: ProjectionSpecOptions<Connection> = {},
  ): ProjectionSpecGiven<Connection> {
    const givenStep = (given: readonly Batch[]): ProjectionSpecGiven<Connection> => ({
      given: (events, streamId) => givenStep([...given, { streamId, events: decidedEvents(events) }]),
      when: (events, streamId) => thenStep(projection, options, given, { streamId, events: decidedEvents(events) }),
    });
    return givenStep([]);
  },
};

function thenStep<Target, Connection>(
  projection: Projection<Target, Connection>,
  options: ProjectionSpecOptions<Connection>,
  given: readonly Batch[],
  when: Batch,
): ProjectionSpecThen<Connection> {
  const context = `Projection '${projection.name}' when ${when.events.length} event(s) are appended${
    given.length === 0 ? '' : ` after ${given.reduce((n, b) => n + b.events.length, 0)} given`
  }`;
  const run = async <R>(
    body: (store: EventStore<Connection>, parked: ParkedEvent[], errors: Error[]) => Promise<R>,
  ): Promise<R> => {
    const store =
      options.store === undefined ? (createInMemoryEventStore() as EventStore<Connection>) : await options.store();
    const defaultStream = options.streamId ?? `spec-${uuidv7()}`;
    const parked: ParkedEvent[] = [];
    const errors: Error[] = [];
    const project = () =>
      runToHead(store, projection.processor, {
        onParked: (entry) => parked.push(entry),
        onError: (error, info) => {
          if (info.kind === 'handler') errors.push(error);
        },
      });
    try {
      // Starts from an empty read model: a rebuild over the empty store swaps in an empty shadow.
      await rebuildProjection(store, projection);
      for (const batch of given) await store.append(batch.streamId ?? defaultStream, batch.events);
      await project();
      if (parked.length > 0) {
        throw new SpecFailedError(`${context}: the projection failed on a given event (${parked[0]?.error.message}).`);
      }
      await store.append(when.streamId ?? defaultStream, when.events);
      await project();
      return await body(store, parked, errors);
    } finally {
      await store.close();
    }
  };
  return {
    then(read, expected) {
      return run(async (store, parked) => {
        if (parked.length > 0) {
          throw new SpecFailedError(
            `${context}: expected success, but the handler failed: ${parked[0]?.error.message}`,
          );
        }
        assertStateMatches(expected, await read(store), `${context} (live)`);
        try {
          await rebuildProjection(store, projection);
        } catch (error) {
          throw new SpecFailedError(`${context}: the rebuild failed: ${describeError(error)}`, { cause: error });
        }
        assertStateMatches(expected, await read(store), `${context} (after a rebuild from position 0)`);
      });
    },
    thenThrows(expected) {
      return run((_store, parked, errors) => {
        const error = errors[errors.length - 1];
        if (parked.length === 0 || error === undefined) {
          return Promise.reject(
            new SpecFailedError(`${context}: expected the handler to fail, but every event was projected.`),
          );
        }
        return Promise.resolve(assertThrownMatches(error, expected, context));
      });
    },
  };
}
