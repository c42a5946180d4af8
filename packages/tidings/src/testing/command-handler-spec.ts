import { uuidv7 } from '../messages/ids.js';
import type { Message } from '../messages/message.js';
import { decidedEvents, type Decider } from '../sourcing/decider.js';
import {
  handleCommand,
  type CommandInput,
  type CommandStore,
  type HandleCommandOptions,
  type HandleCommandResult,
} from '../sourcing/handle-command.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
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

/** Where a {@link CommandHandlerSpec} runs. */
export interface CommandHandlerSpecOptions<S> {
  /**
   * The store to run against; each run gets a fresh in-memory store by default. A factory (sync or
   * async, e.g. `() => sqliteEventStore(':memory:')`) is called once per run, and the store it made
   * is closed after the run; a store given as is stays open (it is yours).
   */
  readonly store?: CommandStore | (() => CommandStore | Promise<CommandStore>) | undefined;
  /** The stream; default a new `spec-<uuid>` per run, so runs on one store never meet. */
  readonly streamId?: string | undefined;
  /** Passed to `handleCommand` (snapshots, upcast, retry…). */
  readonly handleOptions?: HandleCommandOptions<S> | undefined;
}

/** The `then` step of a {@link CommandHandlerSpec}: every assertion runs the spec once and is awaited. */
export interface CommandHandlerSpecThen<S, E extends Message> {
  /** Asserts the events read back from the store after the given ones are exactly these. */
  then(expected: E | readonly E[]): Promise<void>;
  /** Asserts nothing was appended. */
  thenNothing(): Promise<void>;
  /** Asserts `newState`. */
  thenState(expected: S): Promise<void>;
  /** Asserts `handleCommand` threw (class or predicate) and appended nothing; resolves to the error. */
  thenThrows(expected?: ErrorExpectation): Promise<unknown>;
  /** Runs and returns `handleCommand`'s result, for your own assertions; rejects with what it threw. */
  result(): Promise<HandleCommandResult<S, E>>;
}

export interface CommandHandlerSpecWhen<S, C extends Message, E extends Message> {
  when(command: CommandInput<C>): CommandHandlerSpecThen<S, E>;
}

export interface CommandHandlerSpecGiven<S, C extends Message, E extends Message> extends CommandHandlerSpecWhen<
  S,
  C,
  E
> {
  given(events: E | readonly E[]): CommandHandlerSpecWhen<S, C, E>;
}

/**
 * Given/when/then through a real store: the given events are appended to a fresh stream, the
 * command goes through `handleCommand` (load, decide, append), and the expected events are
 * compared with what the store returns when the stream is read back — so JSON round-trips,
 * upcasting and snapshots are part of what is tested.
 *
 * @example
 * await CommandHandlerSpec.for(userDecider, { store: () => sqliteEventStore(':memory:') })
 *   .given([UserCreated({ userId: 'u1', email: 'a@x.io', name: 'Ann' })])
 *   .when(DeactivateUser({ userId: 'u1' }))
 *   .then([UserDeactivated({ userId: 'u1' })]);
 */
export const CommandHandlerSpec = {
  for<S, C extends Message, E extends Message>(
    decider: Decider<S, C, E>,
    options: CommandHandlerSpecOptions<S> = {},
  ): CommandHandlerSpecGiven<S, C, E> {
    const whenStep = (given: readonly E[]): CommandHandlerSpecWhen<S, C, E> => ({
      when: (command) => thenStep(decider, options, given, command),
    });
    return { ...whenStep([]), given: (events) => whenStep(decidedEvents(events)) };
  },
};

type Run<S, E extends Message> =
  | { ok: true; result: HandleCommandResult<S, E>; readBack: RecordedEvent[] }
  | { ok: false; error: unknown; appended: RecordedEvent[] };

function thenStep<S, C extends Message, E extends Message>(
  decider: Decider<S, C, E>,
  options: CommandHandlerSpecOptions<S>,
  given: readonly E[],
  command: CommandInput<C>,
): CommandHandlerSpecThen<S, E> {
  const context = `When ${command.type} is handled${given.length === 0 ? '' : ` given ${given.length} event(s)`}`;

  const run = async (): Promise<Run<S, E>> => {
    const store =
      typeof options.store === 'function' ? await options.store() : (options.store ?? createInMemoryEventStore());
    const owned = options.store === undefined || typeof options.store === 'function';
    const streamId = options.streamId ?? `spec-${uuidv7()}`;
    try {
      if (given.length > 0) {
        try {
          await store.append(streamId, given, { expectedVersion: 'no-stream' });
        } catch (error) {
          throw new SpecFailedError(
            `${context}: the given events could not be appended to '${streamId}' (it must be a new stream): ${describeError(error)}`,
            { cause: error },
          );
        }
      }
      const after = BigInt(given.length) + 1n;
      try {
        const result = await handleCommand(store, streamId, decider, command, options.handleOptions);
        return { ok: true, result, readBack: await readFrom(store, streamId, after) };
      } catch (error) {
        if (error instanceof SpecFailedError) throw error;
        return { ok: false, error, appended: await readFrom(store, streamId, after) };
      }
    } finally {
      if (owned && typeof (store as Partial<EventStore>).close === 'function') await (store as EventStore).close();
    }
  };

  const succeeded = async (): Promise<Extract<Run<S, E>, { ok: true }>> => {
    const r = await run();
    if (!r.ok)
      throw new SpecFailedError(`${context}: expected success, but handleCommand threw ${describeError(r.error)}.`, {
        cause: r.error,
      });
    return r;
  };

  return {
    async then(expected) {
      refuseThenable(expected);
      const r = await succeeded();
      assertEventsMatch(decidedEvents(expected), r.readBack, `${context} (events read back from the store)`);
    },
    async thenNothing() {
      const r = await succeeded();
      assertEventsMatch([], r.readBack, `${context} (events read back from the store)`);
    },
    async thenState(expected) {
      const r = await succeeded();
      assertStateMatches(expected, r.result.newState, context);
    },
    async thenThrows(expected) {
      const r = await run();
      if (r.ok) {
        throw new SpecFailedError(
          `${context}: expected an error, but ${r.readBack.length} event(s) were appended:\n${pretty(normalize(r.readBack.map((e) => ({ type: e.type, data: e.data }))))}`,
        );
      }
      if (r.appended.length > 0) {
        throw new SpecFailedError(
          `${context}: handleCommand threw ${describeError(r.error)} but ${r.appended.length} event(s) were appended anyway.`,
          { cause: r.error },
        );
      }
      return assertThrownMatches(r.error, expected, context);
    },
    async result() {
      const r = await run();
      if (!r.ok) throw r.error;
      return r.result;
    },
  };
}

async function readFrom(store: CommandStore, streamId: string, from: bigint): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, { from })) events.push(event);
  return events;
}
