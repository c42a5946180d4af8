import { TidingsError, ValidationError } from '../errors.js';
import { assertKnownKeys, integerOption, invalidOption } from '../reliability/options.js';
import type {
  StoreCheckpoint,
  StoreSubscription,
  StoreSubscriptionHandler,
  StoreSubscriptionOptions,
  SubscriptionStart,
} from './processing-types.js';
import { assertReadAllFilter } from './stream-rules.js';
import type { EventStore, ReadAllFilter, RecordedEvent } from './types.js';

/** What a subscription needs of a store: every store has it. */
export type SubscribableStore = Pick<EventStore, 'readAll' | 'headPosition' | 'onHeadMoved' | 'info'>;

const OPTION_KEYS = ['from', 'filter', 'signal', 'pageSize', 'pollIntervalMs'] as const;
const COMPONENT = 'store.subscribe';
const MAX_PAGE_SIZE = 10_000;

interface Resolved {
  readonly from: SubscriptionStart;
  readonly filter: ReadAllFilter | undefined;
  readonly signal: AbortSignal | undefined;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function isCheckpoint(value: unknown): value is StoreCheckpoint {
  return typeof value === 'object' && value !== null && (value as { source?: unknown }).source !== undefined;
}

function resolveOptions(options: StoreSubscriptionOptions | undefined): Resolved {
  assertKnownKeys(COMPONENT, options, OPTION_KEYS);
  const from = options?.from ?? 'start';
  if (typeof from === 'bigint') {
    if (from < 0n) {
      throw new ValidationError(`${COMPONENT}: 'from' must be a position >= 0n, got ${from}n.`, [
        { path: ['from'], message: 'negative position' },
      ]);
    }
  } else if (from !== 'start' && from !== 'end' && !isCheckpoint(from)) {
    throw new ValidationError(
      `${COMPONENT}: 'from' must be a position (bigint), 'start', 'end' or a checkpoint read from this store.`,
      [{ path: ['from'], message: 'invalid start' }],
    );
  }
  assertReadAllFilter(options?.filter);
  const signal = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ValidationError(`${COMPONENT}: 'signal' must be an AbortSignal.`, [
      { path: ['signal'], message: 'not an AbortSignal' },
    ]);
  }
  const pageSize = integerOption(COMPONENT, 'pageSize', options?.pageSize ?? 500, 1);
  if (pageSize > MAX_PAGE_SIZE) throw invalidOption(COMPONENT, 'pageSize', pageSize, `an integer 1..${MAX_PAGE_SIZE}`);
  const pollIntervalMs = integerOption(COMPONENT, 'pollIntervalMs', options?.pollIntervalMs ?? 1000, 10);
  return { from, filter: options?.filter, signal, pageSize, pollIntervalMs };
}

/**
 * The first position to read, checked against the store: a checkpoint must come from this store
 * and not be ahead of its head (a restored database reusing positions); a position may be at most
 * `head + 1`.
 */
export async function startPosition(store: SubscribableStore, from: SubscriptionStart): Promise<bigint> {
  if (from === 'start') return 0n;
  const head = await store.headPosition();
  if (from === 'end') return head + 1n;
  if (typeof from === 'bigint') {
    if (from > head + 1n) {
      throw new TidingsError(
        'FROM_BEYOND_HEAD',
        `${COMPONENT}: 'from' is ${from}n but the store's head is ${head}n, so the events before it do not exist yet. Subscribe from at most head + 1 (or 'end' for only new events); a position from another store or an older copy of this one does not belong here.`,
      );
    }
    return from;
  }
  if (from.source !== 'store') {
    throw new TidingsError(
      'CHECKPOINT_FOREIGN_SOURCE',
      `${COMPONENT}: the checkpoint comes from source '${String(from.source)}', not from an event store. A broker checkpoint cannot position a store subscription.`,
    );
  }
  const { storeId } = await store.info();
  if (from.storeId !== storeId) {
    throw new TidingsError(
      'CHECKPOINT_FOREIGN_STORE',
      `${COMPONENT}: checkpoint of processor '${from.processor}' was written by store ${from.storeId}, not by this store (${storeId}). Positions of another store mean nothing here: delete the checkpoint to start again, or point the processor at the store it came from.`,
    );
  }
  if (from.position > head) {
    throw new TidingsError(
      'CHECKPOINT_AHEAD_OF_STORE',
      `${COMPONENT}: checkpoint of processor '${from.processor}' is at position ${from.position}n but this store's head is ${head}n. The database was probably restored from an older backup, and new events would reuse positions the processor already handled. Decide how to recover (rebuild the processor, or reset its checkpoint) before resuming.`,
    );
  }
  return from.position + 1n;
}

/**
 * Subscribes to a store: catch-up in pages through `readAll`, then live, in one loop. After a page
 * shorter than the page size everything up to the head read before the page was seen, so the
 * cursor jumps there (a sparse filter is not rescanned). The loop sleeps until the store reports a
 * head move (local commits at once; other processes' commits by the store's own mechanism) or the
 * poll interval passes. Every store's `subscribe` is this function.
 */
export function subscribeToStore(
  store: SubscribableStore,
  options?: StoreSubscriptionOptions,
  handler?: StoreSubscriptionHandler,
): StoreSubscription {
  const o = resolveOptions(options);
  if (handler !== undefined && typeof handler !== 'function') {
    throw new ValidationError(`${COMPONENT}: the handler must be a function.`, [
      { path: ['handler'], message: 'not a function' },
    ]);
  }
  return new Subscription(store, o, handler);
}

class Subscription implements StoreSubscription {
  position = 0n;
  readonly done: Promise<void>;
  #closed = false;
  #wake: (() => void) | undefined;
  #iterated = false;
  #handled = false;
  readonly #start: Promise<bigint>;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  readonly #onAbort = (): void => void this.close();

  constructor(
    private readonly store: SubscribableStore,
    private readonly o: Resolved,
    handler: StoreSubscriptionHandler | undefined,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // Reported through next() or `done`; never an unhandled rejection of its own.
    this.done.catch(() => undefined);
    // Resolved now, so 'end' means "after subscribe() was called", not "after the first next()".
    this.#start = startPosition(store, o.from);
    this.#start.catch(() => undefined);
    if (o.signal?.aborted) this.#closed = true;
    o.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (handler !== undefined) void this.#drive(handler);
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.#iterated) {
      throw new TidingsError(
        'SUBSCRIPTION_ALREADY_ITERATED',
        'A store subscription can be iterated once (or given a handler). Call store.subscribe again for a second reader.',
      );
    }
    this.#iterated = true;
    const inner = this.#events();
    return {
      next: async () => {
        try {
          const r = await inner.next();
          if (r.done === true) this.#finish();
          return r;
        } catch (error) {
          this.#finish(error);
          throw error;
        }
      },
      return: async () => {
        await this.close();
        const r = await inner.return(undefined);
        this.#finish();
        return r;
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.o.signal?.removeEventListener('abort', this.#onAbort);
    this.#wake?.();
    // An iterator parked at `yield` ends at its next next(); only a running handler is awaited.
    if (!this.#handled) this.#finish();
    await this.done.catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #drive(handler: StoreSubscriptionHandler): Promise<void> {
    this.#iterated = true;
    this.#handled = true;
    try {
      for await (const event of this.#events()) {
        // Only a returned promise is awaited: a synchronous handler (the processor session's, on a
        // catch-up) costs no microtask per event (decision 1180).
        const pending = handler(event);
        if (isThenable(pending)) await pending;
        this.position = event.position;
      }
      this.#finish();
    } catch (error) {
      this.#finish(error);
    }
  }

  #finish(error?: unknown): void {
    this.o.signal?.removeEventListener('abort', this.#onAbort);
    if (error === undefined) this.#resolveDone();
    else this.#rejectDone(error);
  }

  async *#events(): AsyncGenerator<RecordedEvent> {
    if (this.#closed) return;
    let next = await this.#start;
    let woken = false;
    let notified = -1n;
    // Registered before the first read, so a commit during any read is never missed.
    using _listener = this.store.onHeadMoved((head) => {
      if (head > notified) notified = head;
      if (head >= next) {
        woken = true;
        this.#wake?.();
      }
    });
    while (!this.#closed) {
      woken = false;
      // A head the store reported after its commit is as good as one read now (everything at or
      // below it is committed and visible), and saves a round trip on every live wake-up.
      const head = notified >= next ? notified : await this.store.headPosition();
      let count = 0;
      for await (const event of this.store.readAll({ from: next, limit: this.o.pageSize, filter: this.o.filter })) {
        count++;
        next = event.position + 1n;
        if (this.#closed) return;
        if (!this.#handled) this.position = event.position;
        yield event;
        if (this.#closed) return;
      }
      if (count === this.o.pageSize) continue;
      if (head + 1n > next) next = head + 1n;
      if (!woken && !this.#closed) await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, this.o.pollIntervalMs);
      // A liveness poll, not domain time: it must never keep the process alive on its own.
      (timer as { unref?: () => void }).unref?.();
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
