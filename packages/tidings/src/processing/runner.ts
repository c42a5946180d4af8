import { TimeoutError, ValidationError } from '../errors.js';
import { assertKnownKeys, integerOption } from '../reliability/options.js';
import type { ParkedEvent, ParkedFilter } from '../store/processing-types.js';
import { assertParkedFilter, DEFAULT_PARKED_LIMIT } from '../store/processing-validation.js';
import type { EventStore } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import { ProcessorNotRunningError, UnknownParkedEventError, UnknownProcessorError } from './errors.js';
import { resolveParked } from './parked-work.js';
import { ProcessorWorker } from './processor-worker.js';
import type {
  CatchUpOptions,
  ParkedEventOperations,
  ParkedResolution,
  ProcessorRunner,
  ProcessorRunnerOptions,
  ProcessorStatus,
  RunnerWaitOptions,
} from './processor-types.js';
import { resolveRunnerOptions, timeoutOption, type ResolvedRunnerOptions } from './runner-options.js';

/** Settles like `work`, or rejects with `TimeoutError(message)` after `ms` on `clock`. */
function bounded<T>(work: Promise<T>, ms: number, clock: Clock, message: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new TimeoutError(message(), ms)), ms);
    work.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}

/**
 * Creates a runner for durable processors on `store`: each processor runs in one process at a
 * time (a lease in the store, fenced by its epoch), catches up from its checkpoint then follows
 * live, retries failures with backoff and parks what still fails. Nothing runs until `start()`.
 *
 * @example
 * const runner = createProcessorRunner(store, { processors: [totals, receipts], owner: `web-${process.pid}` });
 * await runner.start();
 * // … on shutdown: in-flight handlers finish, checkpoints are written, leases released.
 * await runner.stop({ timeoutMs: 10_000 });
 */
export function createProcessorRunner<Connection>(
  store: EventStore<Connection>,
  options: ProcessorRunnerOptions<Connection>,
): ProcessorRunner {
  return new Runner(store, resolveRunnerOptions(store, options));
}

class Runner implements ProcessorRunner {
  readonly parked: ParkedEventOperations;
  readonly #o: ResolvedRunnerOptions;
  readonly #store: EventStore;
  readonly #workers = new Map<string, ProcessorWorker>();
  readonly #listeners = new Set<() => void>();

  constructor(store: EventStore, o: ResolvedRunnerOptions) {
    this.#store = store;
    this.#o = o;
    for (const { processor, handlers } of o.processors) {
      this.#workers.set(
        processor.name,
        new ProcessorWorker({
          store,
          processor,
          handlers,
          owner: o.owner,
          clock: o.clock,
          random: o.random,
          leaseTtlMs: o.leaseTtlMs,
          renewIntervalMs: o.renewIntervalMs,
          acquireIntervalMs: o.acquireIntervalMs,
          pageSize: o.pageSize,
          pollIntervalMs: o.pollIntervalMs,
          onError: o.onError,
          onParked: o.onParked,
          progress: () => {
            for (const listener of this.#listeners) listener();
          },
        }),
      );
    }
    this.parked = this.#parkedOperations();
  }

  get owner(): string {
    return this.#o.owner;
  }

  async start(options?: RunnerWaitOptions): Promise<void> {
    const ms = timeoutOption('runner.start', options, this.#o.startTimeoutMs);
    const workers = [...this.#workers.values()];
    try {
      await bounded(
        Promise.all(workers.map((w) => w.start())),
        ms,
        this.#o.clock,
        () =>
          `runner.start: not every processor started within ${ms} ms (${workers
            .filter((w) => w.state === 'stopped')
            .map((w) => `'${w.name}'`)
            .join(
              ', ',
            )} did not; is the store reachable?). Raise startTimeoutMs or check the store. The runner was stopped again.`,
      );
    } catch (error) {
      await this.stop().catch(() => undefined);
      throw error;
    }
  }

  async stop(options?: RunnerWaitOptions): Promise<void> {
    const ms = timeoutOption('runner.stop', options, this.#o.stopTimeoutMs);
    const workers = [...this.#workers.values()];
    try {
      await bounded(
        Promise.all(workers.map((w) => w.stop())),
        ms,
        this.#o.clock,
        () =>
          `runner.stop: the drain did not finish within ${ms} ms (still busy: ${workers
            .filter((w) => w.state !== 'stopped')
            .map((w) => `'${w.name}'`)
            .join(
              ', ',
            )}). Their handlers' signals were aborted and their leases are released as they end, so late writes are fenced; raise stopTimeoutMs if handlers need longer.`,
      );
    } catch (error) {
      if (error instanceof TimeoutError) for (const w of workers) w.abort();
      throw error;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  status(): ProcessorStatus[];
  status(processor: string): ProcessorStatus;
  status(processor?: string): ProcessorStatus | ProcessorStatus[] {
    if (processor === undefined) return [...this.#workers.values()].map((w) => w.status());
    return this.#worker(processor).status();
  }

  async catchUp(options?: CatchUpOptions): Promise<void> {
    assertKnownKeys('runner.catchUp', options, ['processors', 'position', 'timeoutMs']);
    const ms = integerOption('runner.catchUp', 'timeoutMs', options?.timeoutMs ?? 30_000, 1);
    const names = options?.processors ?? [...this.#workers.keys()];
    if (!Array.isArray(names)) {
      throw new ValidationError("runner.catchUp: 'processors' must be an array of processor names.", [
        { path: ['processors'], message: 'not an array' },
      ]);
    }
    const workers = (names as readonly string[]).map((name) => this.#worker(name));
    const position = options?.position;
    if (position !== undefined && (typeof position !== 'bigint' || position < 0n)) {
      throw new ValidationError(`runner.catchUp: 'position' must be a bigint >= 0n, got ${String(position)}.`, [
        { path: ['position'], message: 'not a position' },
      ]);
    }
    const target = position ?? (await this.#store.headPosition());
    await new Promise<void>((resolve, reject) => {
      let checking = false;
      let again = false;
      let finished = false;
      const finish = (error?: unknown): void => {
        if (finished) return;
        finished = true;
        this.#listeners.delete(check);
        timer.cancel();
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = (): void => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        void (async () => {
          try {
            do {
              again = false;
              const done = await Promise.all(
                workers.map(
                  async (w) => w.state === 'running' && w.session !== undefined && (await w.session.caughtUp(target)),
                ),
              );
              if (done.every(Boolean)) return finish();
            } while (again && !finished);
          } catch (error) {
            finish(error);
          } finally {
            checking = false;
          }
        })();
      };
      const timer = this.#o.clock.setTimeout(
        () =>
          finish(
            new TimeoutError(
              `runner.catchUp: not caught up with position ${target}n within ${ms} ms (${workers
                .map((w) => {
                  const s = w.status();
                  return `'${s.processor}' ${s.state} at watermark ${s.watermark}n`;
                })
                .join('; ')}). A processor in standby runs in another process; raise timeoutMs for long catch-ups.`,
              ms,
            ),
          ),
        ms,
      );
      this.#listeners.add(check);
      check();
    });
  }

  #worker(name: string): ProcessorWorker {
    const worker = typeof name === 'string' ? this.#workers.get(name) : undefined;
    if (worker === undefined) throw new UnknownProcessorError(String(name), [...this.#workers.keys()]);
    return worker;
  }

  async #entry(id: string): Promise<ParkedEvent> {
    if (typeof id !== 'string' || id.length === 0) {
      throw new ValidationError(`runner.parked: expected a parked entry's id (a non-empty string), got ${typeof id}.`, [
        { path: ['id'], message: 'not an id' },
      ]);
    }
    const entry = await this.#store.processing.getParked(id);
    if (entry === undefined || !this.#workers.has(entry.processor)) throw new UnknownParkedEventError(id);
    return entry;
  }

  async #resolve(id: string, action: 'retry' | 'skip'): Promise<ParkedResolution> {
    const entry = await this.#entry(id);
    const worker = this.#worker(entry.processor);
    const session = worker.session;
    if (worker.state !== 'running' || session === undefined || session.closing) {
      throw new ProcessorNotRunningError(entry.processor, worker.state);
    }
    return resolveParked(session, id, action);
  }

  async #list(filter: ParkedFilter | undefined): Promise<ParkedEvent[]> {
    assertParkedFilter(filter);
    if (filter?.processor !== undefined) {
      this.#worker(filter.processor);
      return this.#store.processing.listParked(filter);
    }
    const limit = filter?.limit ?? DEFAULT_PARKED_LIMIT;
    const lists = await Promise.all(
      [...this.#workers.keys()].map((processor) => this.#store.processing.listParked({ ...filter, processor, limit })),
    );
    return lists
      .flat()
      .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))
      .slice(0, limit);
  }

  #parkedOperations(): ParkedEventOperations {
    return {
      list: (filter) => this.#list(filter),
      get: (id) => this.#entry(id),
      retry: (id) => this.#resolve(id, 'retry'),
      skip: (id) => this.#resolve(id, 'skip'),
      retryAll: async (filter) => {
        assertKnownKeys('runner.parked.retryAll', filter, ['processor', 'streamId']);
        const entries = await this.#list({ ...filter, limit: 10_000 });
        const results: ParkedResolution[] = [];
        for (const entry of entries) {
          try {
            results.push(await this.#resolve(entry.id, 'retry'));
          } catch (error) {
            // Resolved meanwhile (a replay handled a held event): nothing to retry.
            if (error instanceof UnknownParkedEventError) continue;
            throw error;
          }
        }
        return results;
      },
    };
  }
}
