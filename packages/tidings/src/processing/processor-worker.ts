import { toError } from '../errors.js';
import { serializeError, type SerializedError } from '../reliability/serialize-error.js';
import { LeaseLostError } from '../store/errors.js';
import type { Lease, ParkedEvent } from '../store/processing-types.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import type { ProcessorHandlers } from './define-processor.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { Processor, ProcessorErrorInfo, ProcessorState, ProcessorStatus } from './processor-types.js';
import { Session } from './session.js';

export interface WorkerOptions {
  readonly store: EventStore;
  readonly processor: Processor<never>;
  readonly handlers: ProcessorHandlers;
  readonly owner: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly leaseTtlMs: number;
  readonly renewIntervalMs: number;
  readonly acquireIntervalMs: number;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
  readonly onError: ((error: Error, info: ProcessorErrorInfo) => void) | undefined;
  readonly onParked: ((entry: ParkedEvent) => void) | undefined;
  readonly progress: () => void;
}

const PARTITION = 0;
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;

interface FirstSettle {
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * One processor in a runner: takes its lease (or waits in standby), runs sessions while it holds
 * it, goes back to standby when it loses it, and recovers from store errors with a backoff.
 */
export class ProcessorWorker {
  state: ProcessorState = 'stopped';
  session: Session | undefined;
  readonly counters = { handled: 0, parked: 0 };
  lastError: SerializedError | undefined;
  readonly #o: WorkerOptions;
  readonly #keeper: LeaseKeeper;
  #loop: Promise<void> | undefined;
  #stop: AbortController | undefined;
  #epoch: bigint | undefined;
  #checkpoint: bigint | undefined;

  constructor(options: WorkerOptions) {
    this.#o = options;
    this.#keeper = new LeaseKeeper({
      processing: options.store.processing,
      processor: options.processor.name,
      partition: PARTITION,
      owner: options.owner,
      ttlMs: options.leaseTtlMs,
      renewIntervalMs: options.renewIntervalMs,
      clock: options.clock,
      onLost: (error) => this.session?.fail(error),
      onError: (error) => this.#report(error, 'lease'),
    });
  }

  get name(): string {
    return this.#o.processor.name;
  }

  /** Resolves once the processor runs or waits in standby; rejects with what kept it from starting. */
  start(): Promise<void> {
    if (this.#loop !== undefined) return Promise.resolve();
    const stop = new AbortController();
    this.#stop = stop;
    return new Promise<void>((resolve, reject) => {
      const first: FirstSettle = {
        settled: false,
        resolve: () => {
          if (first.settled) return;
          first.settled = true;
          resolve();
        },
        reject: (error) => {
          if (first.settled) return;
          first.settled = true;
          reject(error);
        },
      };
      const loop = this.#run(stop.signal, first).finally(() => {
        if (this.#loop === loop) this.#loop = undefined;
        first.resolve();
      });
      this.#loop = loop;
    });
  }

  /** Graceful: the session drains and writes its checkpoint, the lease is released. */
  async stop(): Promise<void> {
    this.#stop?.abort();
    void this.session?.stop();
    await this.#loop;
  }

  /** After a stop timed out: abort the handlers' signals (the session still ends and releases). */
  abort(): void {
    this.session?.abort();
  }

  status(): ProcessorStatus {
    const s = this.session;
    if (s !== undefined) this.#checkpoint = s.lastWritten ?? this.#checkpoint;
    return {
      processor: this.name,
      partition: PARTITION,
      state: this.state,
      epoch: this.state === 'running' ? this.#epoch : undefined,
      checkpoint: this.#checkpoint,
      watermark: s?.log.watermark() ?? this.#checkpoint ?? 0n,
      pending: s?.log.open ?? 0,
      blockedStreams: s?.blocked.size ?? 0,
      handled: this.counters.handled,
      parked: this.counters.parked,
      lastError: this.lastError,
    };
  }

  #report(error: Error, kind: ProcessorErrorInfo['kind'], event?: RecordedEvent): void {
    this.lastError = serializeError(error);
    try {
      this.#o.onError?.(error, {
        processor: this.name,
        partition: PARTITION,
        kind,
        ...(event === undefined ? {} : { event }),
      });
    } catch {
      // A failing error hook must not stop the processor.
    }
  }

  #pause(signal: AbortSignal, ms: number): Promise<void> {
    return this.#o.clock.sleep(ms, signal).catch(() => undefined);
  }

  async #run(stop: AbortSignal, first: FirstSettle): Promise<void> {
    const o = this.#o;
    let backoff = 0;
    const recover = async (error: unknown): Promise<void> => {
      this.#report(toError(error), 'store');
      this.state = 'recovering';
      backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? MIN_BACKOFF_MS : backoff * 2);
      await this.#pause(stop, backoff);
    };
    while (!stop.aborted) {
      let lease: Lease | undefined;
      try {
        lease = await this.#keeper.acquire();
      } catch (error) {
        if (!first.settled) {
          first.reject(error);
          break;
        }
        await recover(error);
        continue;
      }
      if (lease === undefined) {
        this.state = 'standby';
        first.resolve();
        await this.#pause(stop, o.acquireIntervalMs);
        continue;
      }
      if (stop.aborted) {
        await this.#keeper.release();
        break;
      }
      this.#epoch = lease.epoch;
      const session = new Session({
        store: o.store,
        processor: o.processor,
        handlers: o.handlers,
        partition: PARTITION,
        epoch: lease.epoch,
        clock: o.clock,
        random: o.random,
        pageSize: o.pageSize,
        pollIntervalMs: o.pollIntervalMs,
        report: (error, kind, event) => this.#report(error, kind, event),
        onParked: (entry) => {
          try {
            o.onParked?.(entry);
          } catch {
            // A failing hook must not stop the processor.
          }
        },
        progress: o.progress,
        counters: this.counters,
        leaseFresh: () => this.#keeper.fresh(),
        confirmLease: () => this.#keeper.confirm(),
      });
      this.session = session;
      try {
        await session.open();
      } catch (error) {
        session.fail(error);
        await session.ended;
        this.session = undefined;
        await this.#keeper.release();
        if (!first.settled) {
          first.reject(error);
          break;
        }
        await recover(error);
        continue;
      }
      this.#checkpoint = session.lastWritten;
      this.state = 'running';
      first.resolve();
      o.progress();
      if (stop.aborted) void session.stop();
      const end = await session.ended;
      this.#checkpoint = session.lastWritten ?? this.#checkpoint;
      this.session = undefined;
      if (end.error === undefined) {
        await this.#keeper.release();
        break;
      }
      if (end.error instanceof LeaseLostError) {
        this.#keeper.forget();
        this.#report(end.error, 'lease');
        this.state = 'standby';
        o.progress();
        await this.#pause(stop, o.acquireIntervalMs);
        continue;
      }
      // Release, so whatever the failed session left running is fenced by the next epoch.
      await this.#keeper.release();
      await recover(end.error);
    }
    this.state = 'stopped';
    o.progress();
  }
}
