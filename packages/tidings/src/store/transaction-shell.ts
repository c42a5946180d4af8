import { TidingsError, ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { TransactionTimers } from '../timers/timer-types.js';
import type { TransactionProcessing } from './processing-types.js';
import type { StoreErrorHandler } from './store-options.js';
import type {
  AppendOptions,
  AppendResult,
  EventToAppend,
  ReadStreamOptions,
  RecordedEvent,
  StoreTransaction,
  StreamInfo,
} from './types.js';

/** What a store does for `tx` while its transaction is open; the shell adds everything else. */
export interface TransactionParts<Connection> {
  readonly connection: Connection;
  append(streamId: string, events: readonly EventToAppend[], options: AppendOptions | undefined): Promise<AppendResult>;
  readStream(streamId: string, options: ReadStreamOptions | undefined): AsyncIterable<RecordedEvent>;
  streamInfo(streamId: string): Promise<StreamInfo>;
  /** Processing state in this transaction (checkpoints, inbox, parked events). */
  readonly processing: TransactionProcessing;
  /** Timers in this transaction. */
  readonly timers: TransactionTimers;
}

type Work<Connection, R> = (tx: StoreTransaction<Connection>) => Promise<R>;

/**
 * The part of `store.transaction(work)` every store shares (decision 0111): the check that
 * `work` is a function; the `tx` handed to it, which refuses every call once `work` has settled
 * (`TRANSACTION_FINISHED`, reads included) or once the store marked it aborted
 * (`TRANSACTION_ABORTED`); `afterCommit` callbacks, run in order after a successful commit with
 * their errors sent to `onError`; and the in-process detection of a store call made from inside
 * `work` (`NESTED_TRANSACTION`).
 *
 * That detection is exact but partial: it sees calls made while `work` runs synchronously (its
 * first statements, up to its first `await`). A call after an `await` cannot be told from a
 * concurrent caller's without async context tracking, which would tax every promise of the
 * process; there the store's bounded lock wait answers (`StoreBusyError` after `lockTimeoutMs`).
 *
 * @example
 * const shell = new TransactionShell('SQLite', onError);
 * // store.append: shell.assertNotInWork('append'); …
 * // store.transaction(work):
 * shell.assertWork(work);
 * const open = shell.open({ connection, append, readStream, streamInfo, processing, timers });
 * const result = await open.run(work); // then COMMIT
 * open.committed();
 */
export class TransactionShell {
  #inWork = 0;

  /** @param kind The store's name in messages ('SQLite', 'PostgreSQL', 'in-memory'). */
  constructor(
    readonly kind: string,
    private readonly onError: StoreErrorHandler,
  ) {}

  /** Refuses anything but a function as `work` (ValidationError `INVALID_ARGUMENT`). */
  assertWork(work: unknown): void {
    if (typeof work !== 'function') {
      throw new ValidationError(
        `transaction(work) expects an async function receiving the transaction, got ${describeValue(work)}.`,
        [{ path: ['work'], message: 'not a function' }],
        { code: 'INVALID_ARGUMENT' },
      );
    }
  }

  /**
   * Called first by every store method that takes the write lock (`append`, `transaction`,
   * `setStreamMetadata`, `truncateBefore`, `deleteStream`). Made while a `work` of this store runs
   * synchronously, such a call would wait for the lock its own transaction holds: it fails at
   * once with `NESTED_TRANSACTION` instead.
   */
  assertNotInWork(what: string): void {
    if (this.#inWork > 0) throw nestedError(this.kind, what);
  }

  /** Starts the shared half of one transaction around the store's `parts`. */
  open<Connection>(parts: TransactionParts<Connection>): OpenTransaction<Connection> {
    return new OpenTransaction(parts, this.onError, (delta) => (this.#inWork += delta));
  }
}

/** One transaction's shared state: its `tx`, whether it is still usable, its afterCommit callbacks. */
export class OpenTransaction<Connection> {
  readonly tx: StoreTransaction<Connection>;
  #state: 'open' | 'finished' | 'aborted' = 'open';
  #abortCause: unknown;
  readonly #callbacks: (() => void)[] = [];

  constructor(
    parts: TransactionParts<Connection>,
    private readonly onError: StoreErrorHandler,
    private readonly inWork: (delta: number) => void,
  ) {
    const usable = (what: string): void => this.assertUsable(what);
    this.tx = {
      connection: parts.connection,
      async append(streamId, events, options) {
        usable('append');
        return parts.append(streamId, events, options);
      },
      readStream<T extends string = string, D = unknown>(streamId: string, options?: ReadStreamOptions) {
        return guardedRead(parts.readStream(streamId, options), usable) as AsyncIterable<RecordedEvent<T, D>>;
      },
      async streamInfo(streamId) {
        usable('streamInfo');
        return parts.streamInfo(streamId);
      },
      afterCommit: (callback) => {
        usable('afterCommit');
        if (typeof callback !== 'function') {
          throw new ValidationError(
            `tx.afterCommit(callback) expects a function, got ${describeValue(callback)}.`,
            [{ path: ['callback'], message: 'not a function' }],
            { code: 'INVALID_ARGUMENT' },
          );
        }
        this.#callbacks.push(callback);
      },
      processing: guardedProcessing(parts.processing, usable),
      timers: guardedTimers(parts.timers, usable),
    };
  }

  /** True until `work` settles or the store aborts the transaction. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /**
   * Runs `work(tx)`. While it runs synchronously, store calls that take the write lock fail with
   * `NESTED_TRANSACTION`; once it settles, `tx` refuses every call.
   */
  async run<R>(work: Work<Connection, R>): Promise<R> {
    let pending: Promise<R>;
    this.inWork(1);
    try {
      pending = work(this.tx);
    } catch (error) {
      pending = Promise.reject(error);
    } finally {
      this.inWork(-1);
    }
    try {
      return await pending;
    } finally {
      if (this.#state === 'open') this.#state = 'finished';
    }
  }

  /**
   * The store can no longer continue this transaction (PostgreSQL after a failed statement):
   * every later `tx` call fails with `TRANSACTION_ABORTED` carrying `cause`.
   */
  abort(cause: unknown): void {
    if (this.#state !== 'open') return;
    this.#state = 'aborted';
    this.#abortCause = cause;
  }

  /** The cause given to {@link abort}, if the transaction was aborted. */
  get abortCause(): unknown {
    return this.#abortCause;
  }

  /** After a successful commit: runs the afterCommit callbacks in order; their errors go to `onError`. */
  committed(): void {
    this.#state = 'finished';
    for (const callback of this.#callbacks) {
      try {
        const result: unknown = callback();
        if (result instanceof Promise) result.catch((error: unknown) => this.onError(error, 'afterCommit callback'));
      } catch (error) {
        this.onError(error, 'afterCommit callback');
      }
    }
  }

  /** Throws `TRANSACTION_FINISHED` or `TRANSACTION_ABORTED` unless the transaction is open. */
  assertUsable(what: string): void {
    if (this.#state === 'finished') {
      throw new TidingsError(
        'TRANSACTION_FINISHED',
        `tx.${what}() was called after the transaction finished (committed or rolled back). Use tx only inside work, and await every call before work returns.`,
      );
    }
    if (this.#state === 'aborted') throw abortedError(what, this.#abortCause);
  }
}

/** `tx.processing`, refusing every call once the transaction finished or was aborted, like the rest of `tx`. */
function guardedProcessing(target: TransactionProcessing, usable: (what: string) => void): TransactionProcessing {
  return {
    async getCheckpoint(...args) {
      usable('processing.getCheckpoint');
      return target.getCheckpoint(...args);
    },
    async saveCheckpoint(...args) {
      usable('processing.saveCheckpoint');
      return target.saveCheckpoint(...args);
    },
    async claimInbox(...args) {
      usable('processing.claimInbox');
      return target.claimInbox(...args);
    },
    async park(...args) {
      usable('processing.park');
      return target.park(...args);
    },
    async unpark(...args) {
      usable('processing.unpark');
      return target.unpark(...args);
    },
  };
}

/** `tx.timers`, refusing every call once the transaction finished or was aborted. */
function guardedTimers(target: TransactionTimers, usable: (what: string) => void): TransactionTimers {
  return {
    async schedule(...args) {
      usable('timers.schedule');
      return target.schedule(...args);
    },
    async cancel(...args) {
      usable('timers.cancel');
      return target.cancel(...args);
    },
    async get(...args) {
      usable('timers.get');
      return target.get(...args);
    },
    async claimDue(...args) {
      usable('timers.claimDue');
      return target.claimDue(...args);
    },
    async nextDueAt() {
      usable('timers.nextDueAt');
      return target.nextDueAt();
    },
    async count() {
      usable('timers.count');
      return target.count();
    },
    async appendFired(...args) {
      usable('timers.appendFired');
      return target.appendFired(...args);
    },
    async park(...args) {
      usable('timers.park');
      return target.park(...args);
    },
    async listParked(...args) {
      usable('timers.listParked');
      return target.listParked(...args);
    },
    async retryParked(...args) {
      usable('timers.retryParked');
      return target.retryParked(...args);
    },
    async skipParked(...args) {
      usable('timers.skipParked');
      return target.skipParked(...args);
    },
  };
}

/**
 * Refuses a read of a finished transaction when it starts and before each step, so a read begun
 * inside work and resumed after it never touches the connection again (it may be back in a pool).
 */
async function* guardedRead(
  source: AsyncIterable<RecordedEvent>,
  usable: (what: string) => void,
): AsyncGenerator<RecordedEvent> {
  usable('readStream');
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      usable('readStream');
      const step = await iterator.next();
      if (step.done === true) return;
      yield step.value;
    }
  } finally {
    await iterator.return?.();
  }
}

function nestedError(kind: string, what: string): TidingsError {
  return new TidingsError(
    'NESTED_TRANSACTION',
    `store.${what}() was called inside the work of a transaction of the same ${kind} store. It needs the write lock that transaction holds, so each would wait for the other. Inside work use tx.append / tx.readStream / tx.streamInfo; call store.${what}() before or after the transaction. Nothing was done.`,
  );
}

/** The error of every `tx` call after the store aborted the transaction, and of its COMMIT. */
export function abortedError(what: string, cause: unknown): TidingsError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new TidingsError(
    'TRANSACTION_ABORTED',
    `${what === 'commit' ? 'The transaction' : `tx.${what}()`} cannot continue: an earlier statement of this transaction failed in the database (${why}), which rolled the whole transaction back. Nothing of it was stored; let the error propagate out of work and retry the whole unit of work.`,
    { cause },
  );
}
