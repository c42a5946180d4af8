import { TidingsError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { clockOption, integerOption, oneOfOption, optionsObject, type OptionKeys } from './options.js';
import { copyResult, snapshotResult } from './result-copy.js';

/** A key's state in an {@link IdempotencyStore}. */
export type IdempotencyRecord =
  | {
      readonly status: 'in-progress';
      readonly key: string;
      /** The token of the run that holds the claim. */
      readonly owner: string;
      /** Until then nobody else may claim the key; after it the run is presumed dead. Epoch ms. */
      readonly leaseExpiresAt: number;
    }
  | {
      readonly status: 'completed';
      readonly key: string;
      /**
       * What the first run returned. Every read gets its own copy: durable stores keep it as JSON;
       * the memory store keeps a structured clone and clones it again per read (a result that
       * cannot be cloned is deep-frozen and shared instead).
       */
      readonly result: unknown;
      readonly completedAt: number;
      /** When the key is forgotten and a repeat runs again. Epoch ms. */
      readonly expiresAt: number;
    };

/** What {@link IdempotencyStore.begin} answers: the claim is yours, or here is who has the key. */
export type IdempotencyClaim =
  { readonly claimed: true; readonly owner: string } | { readonly claimed: false; readonly record: IdempotencyRecord };

/**
 * Where idempotency keys live. The memory store is in core; durable stores (SQLite, PostgreSQL)
 * implement the same four operations, each as one atomic statement:
 *
 * - `begin`: claim the key if it is absent, its completed record expired, or its in-progress
 *   lease expired (`INSERT … ON CONFLICT (key) DO UPDATE … WHERE expired RETURNING owner`);
 *   otherwise return the existing record. Exactly one concurrent caller gets `claimed: true`.
 * - `complete` / `fail`: conditional on `owner` still holding the claim
 *   (`UPDATE/DELETE … WHERE key = $1 AND owner = $2 AND status = 'in-progress'`), so a run whose
 *   lease expired and was taken over cannot overwrite its successor. They return whether they did.
 * - A failed run deletes its claim: the key is free again and the next attempt runs.
 */
export interface IdempotencyStore {
  get(key: string): Promise<IdempotencyRecord | undefined>;
  begin(key: string, options: { readonly leaseMs: number }): Promise<IdempotencyClaim>;
  complete(key: string, owner: string, result: unknown, options: { readonly ttlMs: number }): Promise<boolean>;
  fail(key: string, owner: string): Promise<boolean>;
}

/** Options of {@link createIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  readonly clock?: Clock;
  /**
   * Keys kept at most. A `begin` for a new key beyond it first drops expired records, then applies
   * `onFull`. Integer >= 1; default 100 000.
   */
  readonly maxEntries?: number;
  /**
   * What a full store does with a new key. `'evict-oldest'` (default) forgets the oldest completed
   * record: memory stays bounded and the dedupe window shrinks to the newest `maxEntries` keys under
   * load. `'refuse'` rejects the new key with `IDEMPOTENCY_STORE_FULL` rather than forget any live
   * record. Keys still in progress are never evicted.
   */
  readonly onFull?: 'evict-oldest' | 'refuse';
}

/** The in-memory {@link IdempotencyStore}, plus housekeeping. */
export interface MemoryIdempotencyStore extends IdempotencyStore {
  /** Records held, expired ones not yet dropped included. */
  readonly size: number;
  /** Drops expired records now; returns how many. */
  prune(): number;
}

type Entry = IdempotencyRecord;

function expiryOf(entry: Entry): number {
  return entry.status === 'in-progress' ? entry.leaseExpiresAt : entry.expiresAt;
}

const STORE_KEYS = { clock: true, maxEntries: true, onFull: true } satisfies OptionKeys<MemoryIdempotencyStoreOptions>;

/**
 * Creates an in-memory idempotency store: a map with TTLs read from the clock. Good for one
 * process and for tests; a key does not survive a restart, so use a durable store when the
 * effect must be guarded across restarts or processes.
 *
 * @example
 * const store = createIdempotencyStore();
 * const receipt = await idempotent(() => charge(order), { store, key: `charge:${order.id}` });
 */
export function createIdempotencyStore(input?: MemoryIdempotencyStoreOptions): MemoryIdempotencyStore {
  const options = optionsObject('createIdempotencyStore', input, STORE_KEYS);
  clockOption('createIdempotencyStore', 'clock', options.clock);
  const clock = options.clock ?? systemClock;
  const maxEntries = integerOption('createIdempotencyStore', 'maxEntries', options.maxEntries ?? 100_000, 1);
  oneOfOption('createIdempotencyStore', 'onFull', options.onFull, ['evict-oldest', 'refuse']);
  const onFull = options.onFull ?? 'evict-oldest';
  // When full, an exhaustive prune runs at most once per clock tick that could have expired something:
  // `nextExpiry` is the earliest expiry seen by the last one, so a full store of live keys costs O(1).
  let nextExpiry = Number.NEGATIVE_INFINITY;
  // Insertion order is (re)write order; with similar TTLs that is close to expiry order, so the
  // cheap sweep below stops at the first live entry. prune() is the exhaustive one.
  const entries = new Map<string, Entry>();
  let tokens = 0;

  const live = (key: string, now: number): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (expiryOf(entry) <= now) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  /** A record as handed to a caller: a completed one carries its own copy of the result. */
  const handOut = (entry: Entry): Entry =>
    entry.status === 'completed' ? { ...entry, result: copyResult(entry.result) } : entry;
  const sweep = (now: number): void => {
    for (const [key, entry] of entries) {
      if (expiryOf(entry) > now) return;
      entries.delete(key);
    }
  };
  const prune = (): number => {
    const now = clock.now();
    let dropped = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, entry] of entries) {
      const expiry = expiryOf(entry);
      if (expiry <= now) {
        entries.delete(key);
        dropped += 1;
      } else if (expiry < earliest) {
        earliest = expiry;
      }
    }
    nextExpiry = earliest;
    return dropped;
  };
  /** Forgets the oldest-written completed record; false when every record is in progress. */
  const evictOldest = (): boolean => {
    for (const [key, entry] of entries) {
      if (entry.status === 'completed') {
        entries.delete(key);
        return true;
      }
    }
    return false;
  };
  /** Makes room for one new key, or explains why there is none. */
  const makeRoom = (now: number, key: string): TidingsError | undefined => {
    if (entries.size < maxEntries) return undefined;
    if (now >= nextExpiry && prune() > 0) return undefined;
    if (onFull === 'evict-oldest' && evictOldest()) return undefined;
    return new TidingsError(
      'IDEMPOTENCY_STORE_FULL',
      onFull === 'refuse'
        ? `The in-memory idempotency store holds ${maxEntries} live keys (its maxEntries) and cannot claim '${key}'. Raise maxEntries, shorten ttlMs, use onFull: 'evict-oldest', or use a durable store.`
        : `The in-memory idempotency store holds ${maxEntries} keys, all still in progress, and cannot claim '${key}'. Raise maxEntries or bound the concurrency of the guarded work.`,
    );
  };
  const write = (key: string, entry: Entry): void => {
    entries.delete(key);
    entries.set(key, entry);
    // Keep nextExpiry a lower bound of every record's expiry, so skipping a prune is always safe.
    const expiry = expiryOf(entry);
    if (expiry < nextExpiry) nextExpiry = expiry;
  };

  return {
    get size() {
      return entries.size;
    },
    prune,
    get(key) {
      const entry = live(key, clock.now());
      return Promise.resolve(entry === undefined ? undefined : handOut(entry));
    },
    begin(key, { leaseMs }) {
      const now = clock.now();
      sweep(now);
      const existing = live(key, now);
      if (existing !== undefined) return Promise.resolve({ claimed: false, record: handOut(existing) });
      const full = makeRoom(now, key);
      if (full !== undefined) return Promise.reject(full);
      tokens += 1;
      const owner = `memory-${tokens}`;
      write(key, { status: 'in-progress', key, owner, leaseExpiresAt: now + leaseMs });
      return Promise.resolve({ claimed: true, owner });
    },
    complete(key, owner, result, { ttlMs }) {
      const now = clock.now();
      const entry = entries.get(key);
      if (entry?.status !== 'in-progress' || entry.owner !== owner) return Promise.resolve(false);
      const stored = snapshotResult(result);
      write(key, { status: 'completed', key, result: stored, completedAt: now, expiresAt: now + ttlMs });
      return Promise.resolve(true);
    },
    fail(key, owner) {
      const entry = entries.get(key);
      if (entry?.status !== 'in-progress' || entry.owner !== owner) return Promise.resolve(false);
      entries.delete(key);
      return Promise.resolve(true);
    },
  };
}
