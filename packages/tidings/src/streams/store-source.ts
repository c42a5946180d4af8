import { TidingsError } from '../errors.js';
import type { StoreSubscription } from '../store/processing-types.js';
import type { EventStore, ReadAllFilter, RecordedEvent } from '../store/types.js';
import { assertOptions, enumOption, integerOption, invalidOption } from './options.js';

export interface StoreSourceOptions {
  /** The processor's name: its checkpoint is kept under it in the store (`store.processing`). */
  readonly processor: string;
  /** Only these event types / stream categories (as `readAll`). */
  readonly filter?: ReadAllFilter;
  /**
   * `pulled` (default): an event counts as done once the pipeline asks for the next one — it has
   * passed every stage up to the first buffer, and with `pipeTo` its sink write has completed —
   * and the checkpoint is saved every `checkpointEvery` events and when the source closes.
   * `manual`: nothing is saved until you call `commit(position)` (e.g. after a window's result
   * was written).
   */
  readonly checkpoint?: 'pulled' | 'manual';
  /** `pulled` only: save after this many done events (and on close). Default 100. */
  readonly checkpointEvery?: number;
  /** Catch-up page size, as `store.subscribe`. */
  readonly pageSize?: number;
  /** Poll interval of the live phase, as `store.subscribe`. */
  readonly pollIntervalMs?: number;
}

export interface StoreSourceStats {
  readonly processor: string;
  /** The checkpoint the current (or last) iteration resumed after; undefined when it started from the beginning. */
  readonly resumedFrom: bigint | undefined;
  readonly delivered: number;
  /** Position of the last event delivered. */
  readonly position: bigint | undefined;
  /** Position of the last event done (see `checkpoint`). */
  readonly done: bigint | undefined;
  /** Position of the last checkpoint saved. */
  readonly checkpointed: bigint | undefined;
}

/** A store subscription that resumes from its processor's checkpoint: a pipeline source. */
export interface StoreSource extends AsyncIterable<RecordedEvent> {
  readonly processor: string;
  stats(): StoreSourceStats;
  /** Saves the checkpoint at `position` now (every event at or below it is done). */
  commit(position: bigint): Promise<void>;
  /** Ends the running iteration, saving the checkpoint of what is done (`pulled`). Idempotent. */
  close(): Promise<void>;
}

type Store = Pick<EventStore, 'subscribe' | 'processing' | 'transaction'>;

const KEYS = ['processor', 'filter', 'checkpoint', 'checkpointEvery', 'pageSize', 'pollIntervalMs'];

/**
 * Reads a store as a pipeline source: catch-up then live (`store.subscribe`), starting after the
 * processor's checkpoint, so a restarted pipeline resumes where the previous one stopped. Delivery
 * is at least once: events after the last saved checkpoint are delivered again after a restart.
 * Events a window, batch or buffer still held when the process stopped are not replayed under
 * `pulled` checkpoints (they counted as done when the pipeline pulled on); checkpoint `manual`ly
 * after writing a window's result to replay them.
 *
 * @example
 * const source = storeSource(store, { processor: 'alert-counts', filter: { types: ['alert.raised'] } });
 * await pipe(source, map((e) => e.data)).start({ signal }).pipeTo(sink);
 * await source.close(); // saves the checkpoint
 */
export function storeSource(store: Store, options: StoreSourceOptions): StoreSource {
  assertOptions('storeSource', options, KEYS);
  if (typeof options.processor !== 'string' || options.processor.trim() === '') {
    throw invalidOption('storeSource', 'processor', options.processor, 'a non-empty string (the processor name)');
  }
  const mode = enumOption('storeSource', 'checkpoint', options.checkpoint, ['pulled', 'manual'] as const, 'pulled');
  const every =
    options.checkpointEvery === undefined
      ? 100
      : integerOption('storeSource', 'checkpointEvery', options.checkpointEvery, 1);
  const subscribeOptions = {
    ...(options.filter === undefined ? {} : { filter: options.filter }),
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  };
  // The store's own check of its options, now rather than at the first pull: an aborted
  // subscription from the start does no I/O.
  void store.subscribe({ ...subscribeOptions, from: 'start', signal: AbortSignal.abort() }).close();

  const { processor } = options;
  let resumedFrom: bigint | undefined;
  let delivered = 0;
  let position: bigint | undefined;
  let done: bigint | undefined;
  let checkpointed: bigint | undefined;
  let sinceSave = 0;
  let active: { close(): Promise<void> } | undefined;

  const save = async (at: bigint): Promise<void> => {
    await store.transaction((tx) => tx.processing.saveCheckpoint({ processor, position: at }));
    if (checkpointed === undefined || at > checkpointed) checkpointed = at;
    sinceSave = 0;
  };
  const flush = async (): Promise<void> => {
    if (mode === 'pulled' && done !== undefined && done !== checkpointed) await save(done);
  };

  const source: StoreSource = {
    processor,
    stats: () => ({ processor, resumedFrom, delivered, position, done, checkpointed }),
    commit: save,
    async close() {
      await active?.close();
    },
    [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
      if (active !== undefined) {
        throw new TidingsError(
          'STORE_SOURCE_BUSY',
          `storeSource('${processor}') is already being read; one reader at a time keeps its checkpoint meaningful. Close it first, or use another processor name.`,
        );
      }
      let subscription: StoreSubscription | undefined;
      let events: AsyncIterator<RecordedEvent> | undefined;
      let closing: Promise<void> | undefined;
      const close = (): Promise<void> => {
        closing ??= (async () => {
          try {
            await flush();
          } finally {
            await subscription?.close();
            active = undefined;
          }
        })();
        return closing;
      };
      active = { close };
      return {
        async next() {
          if (closing !== undefined) return { value: undefined, done: true };
          if (events === undefined) {
            const checkpoint = await store.processing.getCheckpoint(processor);
            resumedFrom = checkpoint?.position;
            subscription = store.subscribe({ ...subscribeOptions, from: checkpoint ?? 'start' });
            events = subscription[Symbol.asyncIterator]();
          }
          if (mode === 'pulled' && position !== undefined && done !== position) {
            done = position; // asked for the next one: the previous event went through
            if (++sinceSave >= every) await save(done);
          }
          const step = await events.next();
          if (step.done === true) {
            await close();
            return step;
          }
          delivered++;
          position = step.value.position;
          return step;
        },
        async return() {
          await close();
          return { value: undefined, done: true };
        },
      };
    },
  };
  return source;
}
