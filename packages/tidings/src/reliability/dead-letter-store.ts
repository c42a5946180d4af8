import { TidingsError } from '../errors.js';
import type { MiddlewareKind } from '../bus/middleware.js';
import { uuidv7Generator } from '../messages/ids.js';
import type { WireEnvelope } from '../messages/wire.js';
import { systemClock, type Clock } from '../time/clock.js';
import { clockOption, integerOption, optionsObject, stringOption, type OptionKeys } from './options.js';
import { serializeError, type SerializedError } from './serialize-error.js';
import { rejectWith } from './signals.js';

/** A message that failed for good, with what is needed to understand and retry it. */
export interface DeadLetter {
  /** The dead letter's own id (UUIDv7, time-ordered). */
  readonly id: string;
  /** The message as handled: id, type, data, metadata, occurredAt, streamId. */
  readonly message: WireEnvelope;
  /** Where it failed: handling an event, a command, a query, or publishing. */
  readonly kind: MiddlewareKind;
  /** The subscription or handler that failed, when known. */
  readonly handler: string | undefined;
  /** The last error. */
  readonly error: SerializedError;
  /** Attempts made so far, retries from the dead-letter list included. */
  readonly attempts: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
}

/** What a producer hands to {@link DeadLetterStore.add}; the store assigns the id. */
export type NewDeadLetter = Omit<DeadLetter, 'id'>;

/** Narrows {@link DeadLetterStore.list}. */
export interface DeadLetterFilter {
  readonly handler?: string;
  /** Exact message type. */
  readonly type?: string;
  /** At most this many, oldest first. Integer >= 1. */
  readonly limit?: number;
}

/** How a {@link DeadLetterStore.retry} went. */
export type DeadLetterRetryOutcome =
  | { readonly status: 'succeeded'; readonly result: unknown }
  | { readonly status: 'failed'; readonly error: unknown; readonly letter: DeadLetter };

/**
 * Where dead letters are kept. The memory store is in core; durable stores implement the same
 * interface later. Rules every implementation follows:
 *
 * - `add` is an upsert per (handler, message id): the same message failing again in the same
 *   handler updates its entry (attempts add up, `firstFailedAt` stays, error and `lastFailedAt`
 *   are the latest) instead of creating a second one.
 * - `retry` runs the caller's `redeliver` (the store does not know how to deliver), removes the
 *   entry when it succeeds, and records the new failure when it does not. One retry per entry at
 *   a time (`DEAD_LETTER_BUSY`); an unknown id is `DEAD_LETTER_NOT_FOUND`.
 */
export interface DeadLetterStore {
  add(letter: NewDeadLetter): Promise<DeadLetter>;
  /** Oldest first. */
  list(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  retry(id: string, redeliver: (letter: DeadLetter) => unknown): Promise<DeadLetterRetryOutcome>;
  /** Removes the entry; returns whether it existed. */
  discard(id: string): Promise<boolean>;
}

/** Options of {@link createDeadLetterStore}. */
export interface MemoryDeadLetterStoreOptions {
  readonly clock?: Clock;
  /** Entries kept at most; past it `add` fails with `DEAD_LETTER_STORE_FULL` (never drops a letter). Integer >= 1; default 10 000. */
  readonly maxEntries?: number;
}

/** The in-memory {@link DeadLetterStore}. */
export interface MemoryDeadLetterStore extends DeadLetterStore {
  readonly size: number;
}

interface Slot {
  letter: DeadLetter;
  /** Bumped by every write, so a retry can tell whether a redelivery already recorded its failure. */
  revision: number;
  retrying: boolean;
}

const STORE_KEYS = { clock: true, maxEntries: true } satisfies OptionKeys<MemoryDeadLetterStoreOptions>;
const FILTER_KEYS = { handler: true, type: true, limit: true } satisfies OptionKeys<DeadLetterFilter>;

const slotKey = (handler: string | undefined, messageId: string): string => `${handler ?? ''}\u0000${messageId}`;

/**
 * Creates an in-memory dead-letter store. Entries are frozen; listing returns them oldest first.
 *
 * @example
 * const deadLetters = createDeadLetterStore();
 * for (const letter of await deadLetters.list({ handler: 'email-receipt' })) {
 *   await deadLetters.retry(letter.id, (l) => redeliverToHandler(l));
 * }
 */
export function createDeadLetterStore(input?: MemoryDeadLetterStoreOptions): MemoryDeadLetterStore {
  const options = optionsObject('createDeadLetterStore', input, STORE_KEYS);
  clockOption('createDeadLetterStore', 'clock', options.clock);
  const clock = options.clock ?? systemClock;
  const maxEntries = integerOption('createDeadLetterStore', 'maxEntries', options.maxEntries ?? 10_000, 1);
  const nextId = uuidv7Generator({ now: () => clock.now() });
  const byId = new Map<string, Slot>();
  const byMessage = new Map<string, string>();

  const notFound = (id: string): TidingsError =>
    new TidingsError(
      'DEAD_LETTER_NOT_FOUND',
      `No dead letter has id '${id}'. It may have been retried or discarded; list() shows what is left.`,
    );

  const store: MemoryDeadLetterStore = {
    get size() {
      return byId.size;
    },
    add(input) {
      const key = slotKey(input.handler, input.message.id);
      const existingId = byMessage.get(key);
      const slot = existingId === undefined ? undefined : byId.get(existingId);
      if (slot !== undefined) {
        const previous = slot.letter;
        slot.letter = Object.freeze({
          ...input,
          id: previous.id,
          attempts: previous.attempts + input.attempts,
          firstFailedAt: previous.firstFailedAt,
        });
        slot.revision += 1;
        return Promise.resolve(slot.letter);
      }
      if (byId.size >= maxEntries) {
        return Promise.reject(
          new TidingsError(
            'DEAD_LETTER_STORE_FULL',
            `The in-memory dead-letter store holds ${maxEntries} entries (its maxEntries); refusing to drop any. Retry or discard entries, or raise maxEntries.`,
          ),
        );
      }
      const letter = Object.freeze({ ...input, id: nextId() });
      byId.set(letter.id, { letter, revision: 0, retrying: false });
      byMessage.set(key, letter.id);
      return Promise.resolve(letter);
    },
    list(input) {
      let limit: number;
      let filter: DeadLetterFilter;
      try {
        filter = optionsObject('DeadLetterStore.list', input, FILTER_KEYS, 'filter');
        stringOption('DeadLetterStore.list', 'handler', filter.handler, 1_000);
        stringOption('DeadLetterStore.list', 'type', filter.type);
        limit = integerOption('DeadLetterStore.list', 'limit', filter.limit ?? Number.POSITIVE_INFINITY, 1, true);
      } catch (error) {
        return rejectWith(error);
      }
      const out: DeadLetter[] = [];
      for (const { letter } of byId.values()) {
        if (out.length >= limit) break;
        if (filter.handler !== undefined && letter.handler !== filter.handler) continue;
        if (filter.type !== undefined && letter.message.type !== filter.type) continue;
        out.push(letter);
      }
      return Promise.resolve(out);
    },
    get(id) {
      return Promise.resolve(byId.get(id)?.letter);
    },
    async retry(id, redeliver) {
      const slot = byId.get(id);
      if (slot === undefined) throw notFound(id);
      if (slot.retrying) {
        throw new TidingsError(
          'DEAD_LETTER_BUSY',
          `Dead letter '${id}' is being retried already; wait for that retry to finish.`,
        );
      }
      slot.retrying = true;
      const revision = slot.revision;
      try {
        const result: unknown = await redeliver(slot.letter);
        remove(id);
        return { status: 'succeeded', result };
      } catch (error) {
        // If the redelivery went through a dead-letter middleware, it already recorded this
        // failure (the revision moved); counting it again would double the attempts.
        if (byId.get(id) === slot && slot.revision === revision) {
          slot.letter = Object.freeze({
            ...slot.letter,
            error: serializeError(error),
            attempts: slot.letter.attempts + 1,
            lastFailedAt: new Date(clock.now()),
          });
          slot.revision += 1;
        }
        return { status: 'failed', error, letter: slot.letter };
      } finally {
        slot.retrying = false;
      }
    },
    discard(id) {
      return Promise.resolve(remove(id));
    },
  };

  function remove(id: string): boolean {
    const slot = byId.get(id);
    if (slot === undefined) return false;
    byId.delete(id);
    byMessage.delete(slotKey(slot.letter.handler, slot.letter.message.id));
    return true;
  }

  return store;
}
