import { AbortedError, ValidationError, toError } from '../errors.js';
import { uuidv7, type IdGenerator } from '../messages/ids.js';
import type { Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import { ConcurrencyError, DuplicateEventError, UnknownOutcomeError } from '../store/errors.js';
import type {
  AppendResult,
  EventReader,
  EventToAppend,
  ExpectedVersion,
  RecordedEvent,
  StoreTransaction,
  Upcast,
} from '../store/types.js';
import { systemClock, type Clock } from '../time/clock.js';
import { commandEventIds, assertCommandId } from './command-event-ids.js';
import { findOriginalEvents, originalLookup, stateAtVersion } from './command-dedupe.js';
import { conflictBackoff, type ConflictRetryOptions } from './conflict-backoff.js';
import { decidedEvents, evolveAll, type Decider, type RecordedOf } from './decider.js';
import { loadWithOriginal, type OriginalLookup } from './load-state.js';
import { shouldSnapshot, type SnapshotOptions } from './snapshot-policy.js';
import type { Upcaster } from './upcaster.js';

/** What `handleCommand` needs of a store: reads and append. An `EventStore` and a `StoreTransaction` both qualify. */
export type CommandStore = EventReader & Pick<StoreTransaction, 'append'>;

/** A command as `handleCommand` takes it: a message, optionally carrying its id (an `Envelope` does). */
export type CommandInput<C extends Message> = C & { readonly id?: string | undefined };

/** Options of {@link handleCommand}. */
export interface HandleCommandOptions<S> extends ConflictRetryOptions {
  /**
   * The command's id; default `command.id`. Event ids derive from it, so handling the same command
   * again never appends twice. Without either, an id is generated and re-sending the command is
   * NOT deduplicated.
   */
  readonly commandId?: string | undefined;
  /** Used for the backoff between retries and `takenAt` of snapshots. Default the system clock. */
  readonly clock?: Clock | undefined;
  /** Aborts the wait between retries (the error is an `AbortedError`). */
  readonly signal?: AbortSignal | undefined;
  readonly snapshots?: SnapshotOptions<S> | undefined;
  /**
   * Applied to events on load (harmless if the store already upcasts). When it is an `Upcaster`,
   * new events without a `schemaVersion` are written at its current version for their type —
   * otherwise they would be stored as version 1 and wrongly upcast on the next read.
   */
  readonly upcast?: Upcast | Upcaster | undefined;
  /** Added to every appended event's metadata (under the event's own keys). */
  readonly metadata?: Metadata | undefined;
  /** Told before each retry, after a conflict or an unknown commit outcome. */
  readonly onRetry?:
    ((info: { readonly attempt: number; readonly delayMs: number; readonly error: Error }) => void) | undefined;
  /** Generates the command id when there is none, and event ids then. Default UUIDv7. */
  readonly nextId?: IdGenerator | undefined;
}

/** What {@link handleCommand} returns. */
export interface HandleCommandResult<S, E extends Message> {
  /** The state after the command's events. */
  readonly newState: S;
  /** The events as recorded by the store (the command's original events when `duplicate`). */
  readonly newEvents: readonly RecordedOf<E>[];
  /** The stream's version after the command's events. */
  readonly nextVersion: bigint;
  /** Global position of the last event appended (of the stream's last event when none was). */
  readonly position: bigint;
  readonly commandId: string;
  /** How many times the command was decided (1 without conflicts). */
  readonly attempts: number;
  /** True when the command had been handled before: nothing was appended, the original result is returned. */
  readonly duplicate: boolean;
  /** Whether a snapshot was saved after the append, and its error when saving failed. */
  readonly snapshot: 'none' | 'saved' | 'failed';
  readonly snapshotError?: Error | undefined;
}

/**
 * Handles one command on one stream: loads the state (snapshot + later events), decides, appends
 * the events at the loaded version, and on a `ConcurrencyError` (another writer got there first)
 * reloads and decides again, at most `maxRetries` times with jittered exponential backoff. Event
 * ids derive from the command id, so a retried command appends nothing new and returns its
 * original result. A domain error thrown by `decide` propagates unchanged; nothing is appended.
 *
 * @example
 * const result = await handleCommand(store, `user-${id}`, userDecider, CreateUser({ userId: id, email, name }), { commandId: requestId });
 * result.newState.status; // 'active'
 */
export async function handleCommand<S, C extends Message, E extends Message>(
  store: CommandStore,
  streamId: string,
  decider: Decider<S, C, E>,
  command: CommandInput<C>,
  options: HandleCommandOptions<S> = {},
): Promise<HandleCommandResult<S, E>> {
  const backoff = conflictBackoff(options);
  const clock = options.clock ?? systemClock;
  const nextId = options.nextId ?? uuidv7;
  assertCommand(command, decider);
  const given = options.commandId ?? command.id;
  if (given !== undefined) assertCommandId(given);
  const commandId = given ?? nextId();
  const lookup: OriginalLookup | undefined =
    given === undefined
      ? undefined
      : originalLookup(commandId, streamId, (await commandEventIds(commandId, streamId, 1))[0]!);
  const upcast = options.upcast;
  const loadOptions = { snapshots: options.snapshots, upcast };
  // `decide` and `evolve` are typed for the decider's own unions; internally they see plain messages.
  const d = decider as unknown as Decider<S, Message, E>;

  let retries = 0;
  const retryAfter = async (error: Error): Promise<void> => {
    retries++;
    const delayMs = backoff.delay(retries);
    options.onRetry?.({ attempt: retries, delayMs, error });
    await clock.sleep(delayMs, options.signal);
  };

  for (;;) {
    if (options.signal?.aborted) throw new AbortedError(`handleCommand('${streamId}')`, options.signal.reason);
    const attempts = retries + 1;
    const loaded = await loadWithOriginal(store, streamId, d, loadOptions, lookup);
    const base = { commandId, attempts, snapshot: 'none' as const };
    if (loaded.original !== undefined) {
      return { ...base, ...originalResult(loaded.original.events, loaded.original.state), duplicate: true };
    }

    const decided = decidedEvents(d.decide(command, loaded.state));
    if (decided.length === 0) {
      const position = loaded.lastPosition ?? (await lastPosition(store, streamId));
      return {
        ...base,
        newState: loaded.state,
        newEvents: [],
        nextVersion: loaded.version,
        position,
        duplicate: false,
      };
    }

    const ids =
      lookup === undefined ? decided.map(() => nextId()) : await commandEventIds(commandId, streamId, decided.length);
    const toAppend = decided.map((event, i) => eventToAppend(event, ids[i]!, command, commandId, options));
    const expectedVersion: ExpectedVersion = loaded.version === 0n ? 'no-stream' : loaded.version;

    let result: AppendResult;
    try {
      result = await appendSurvivingUnknownOutcome(
        store,
        streamId,
        toAppend,
        expectedVersion,
        () => retries < backoff.maxRetries,
        retryAfter,
      );
    } catch (error) {
      if (error instanceof ConcurrencyError && retries < backoff.maxRetries) {
        await retryAfter(error);
        continue;
      }
      if (error instanceof DuplicateEventError && lookup !== undefined && ids.includes(error.eventId.toLowerCase())) {
        // Handled before, but behind the snapshot this load started from: find the original events.
        const original = await findOriginalEvents(store, streamId, lookup, upcast);
        if (original !== undefined && original.length > 0) {
          const state = await stateAtVersion(store, streamId, d, original[original.length - 1]!.version, upcast);
          return { ...base, ...originalResult(original, state), duplicate: true };
        }
      }
      throw error;
    }

    const recorded = await readBack(store, streamId, result.nextVersion, decided.length, upcast);
    let newState: S;
    if (recorded.length === decided.length && recorded[0]!.version === loaded.version + 1n) {
      newState = evolveAll(d, recorded as unknown as E[], loaded.state);
    } else if (recorded.length === decided.length) {
      // The store returned the original result of an identical concurrent append placed elsewhere.
      newState = await stateAtVersion(store, streamId, d, result.nextVersion, upcast);
    } else {
      // Retention (maxCount/maxAge) already hides some of them: fold what was decided.
      newState = evolveAll(d, toAppend as unknown as E[], loaded.state);
    }
    const snapshot = await maybeSnapshot(
      options.snapshots,
      streamId,
      newState,
      recorded,
      result.nextVersion,
      loaded.snapshotVersion ?? 0n,
      clock,
    );
    return {
      ...base,
      ...snapshot,
      newState,
      newEvents: recorded as unknown as RecordedOf<E>[],
      nextVersion: result.nextVersion,
      position: result.position,
      duplicate: false,
    };
  }
}

function assertCommand(command: unknown, decider: unknown): void {
  const c = command as Partial<Message> | null;
  if (typeof c !== 'object' || c === null || typeof c.type !== 'string') {
    throw new ValidationError(
      `handleCommand expects a command { type, data, metadata? }; got ${c === null ? 'null' : typeof c}.`,
      [{ path: ['command'], message: 'not a command' }],
      {
        code: 'INVALID_COMMAND',
      },
    );
  }
  const commands = (decider as { commands?: unknown }).commands;
  if (Array.isArray(commands)) {
    const types = commands.map((def) => (def as { type?: unknown }).type);
    if (!types.includes(c.type)) {
      throw new ValidationError(
        `This decider does not handle command '${c.type}': it declares [${types.join(', ')}]. Route the command to the decider that declares it.`,
        [{ path: ['command', 'type'], message: 'unknown command' }],
        {
          code: 'UNKNOWN_COMMAND',
        },
      );
    }
  }
}

function eventToAppend<S>(
  event: Message,
  id: string,
  command: Message,
  commandId: string,
  options: HandleCommandOptions<S>,
): EventToAppend {
  const fromCommand = command.metadata ?? {};
  const metadata: Record<string, unknown> = {
    correlationId: fromCommand.correlationId ?? commandId,
    causationId: commandId,
    ...(fromCommand.traceparent === undefined ? {} : { traceparent: fromCommand.traceparent }),
    ...options.metadata,
    ...event.metadata,
  };
  const upcast = options.upcast as Partial<Upcaster> | undefined;
  if (metadata['schemaVersion'] === undefined && typeof upcast?.currentVersion === 'function') {
    const version = upcast.currentVersion(event.type);
    if (version !== 1) metadata['schemaVersion'] = version;
  }
  return { id, type: event.type, data: event.data, metadata };
}

/** Appends, and after an unknown commit outcome re-sends the very same append (same ids, same expected version): the store returns the original result if the first one committed. */
async function appendSurvivingUnknownOutcome(
  store: CommandStore,
  streamId: string,
  events: readonly EventToAppend[],
  expectedVersion: ExpectedVersion,
  canRetry: () => boolean,
  retryAfter: (error: Error) => Promise<void>,
): Promise<AppendResult> {
  for (;;) {
    try {
      return await store.append(streamId, events, { expectedVersion });
    } catch (error) {
      if (!(error instanceof UnknownOutcomeError) || !canRetry()) throw error;
      await retryAfter(error);
    }
  }
}

async function readBack(
  store: CommandStore,
  streamId: string,
  nextVersion: bigint,
  count: number,
  upcast: Upcast | undefined,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, { from: nextVersion - BigInt(count) + 1n, limit: count })) {
    events.push(upcast === undefined ? event : upcast(event));
  }
  return events;
}

async function lastPosition(store: CommandStore, streamId: string): Promise<bigint> {
  for await (const event of store.readStream(streamId, { direction: 'backward', limit: 1 })) return event.position;
  return 0n;
}

function originalResult<S, E extends Message>(
  events: RecordedEvent[],
  state: S,
): Pick<HandleCommandResult<S, E>, 'newState' | 'newEvents' | 'nextVersion' | 'position'> {
  const last = events[events.length - 1]!;
  return {
    newState: state,
    newEvents: events as unknown as RecordedOf<E>[],
    nextVersion: last.version,
    position: last.position,
  };
}

async function maybeSnapshot<S>(
  options: SnapshotOptions<S> | undefined,
  streamId: string,
  state: S,
  events: readonly RecordedEvent[],
  nextVersion: bigint,
  since: bigint,
  clock: Clock,
): Promise<Pick<HandleCommandResult<S, Message>, 'snapshot' | 'snapshotError'>> {
  if (options === undefined || !shouldSnapshot(options, state, events, nextVersion, since)) return { snapshot: 'none' };
  try {
    await options.store.save({
      streamId,
      streamVersion: nextVersion,
      schemaVersion: options.version,
      state,
      takenAt: new Date(clock.now()),
    });
    return { snapshot: 'saved' };
  } catch (error) {
    // The events are committed: a failed snapshot must not turn a successful command into an error.
    const snapshotError = toError(error);
    options.onError?.(snapshotError, streamId);
    return { snapshot: 'failed', snapshotError };
  }
}
