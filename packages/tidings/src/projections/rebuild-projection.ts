import { TidingsError, TimeoutError, toError } from '../errors.js';
import { LeaseKeeper } from '../processing/lease-keeper.js';
import { assertKnownKeys, functionOption, integerOption } from '../reliability/options.js';
import { type LeaseLostError } from '../store/errors.js';
import type { Lease } from '../store/processing-types.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { Projection } from './define-projection.js';
import type { ReadModelShadow } from './read-model.js';

/** A rebuild's progress, reported after each committed batch and once at the swap. */
export interface RebuildProgress {
  readonly projection: string;
  /** Global position the rebuild has read up to (positions are dense: this is "done"). */
  readonly done: bigint;
  /** The store's head when the rebuild started, or later if it went past it ("total"). */
  readonly total: bigint;
  /** Events applied to the shadow so far (those the projection selects). */
  readonly events: number;
  /** Events applied per second since the start. */
  readonly eventsPerSecond: number;
  /** Positions per second since the start (what the ETA is computed from). */
  readonly positionsPerSecond: number;
  /** Estimated ms until caught up; undefined before the first batch. */
  readonly etaMs: number | undefined;
  /** `'copying'` while batches are applied, `'swapped'` once the shadow replaced the live model. */
  readonly phase: 'copying' | 'swapped';
}

/** Options of {@link rebuildProjection}. Unknown keys are refused. */
export interface RebuildOptions {
  /** Told after each committed batch and at the swap. Errors it throws are ignored. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Events read and applied per transaction. Integer 1..10 000; default 1000. */
  readonly batchSize?: number;
  /** Lease holder id; default a random one. */
  readonly owner?: string;
  /** Lease TTL while rebuilding, in ms (renewed every third of it). Integer >= 100; default 30 000. */
  readonly leaseTtlMs?: number;
  /**
   * How long to wait for the projection's lease (held by a runner that projects live), in ms.
   * Integer >= 0; default 0: fail at once with `ProjectionBusyError`. Stop the projection's runner
   * first, or use the app's `rebuild(name)`, which pauses it for you.
   */
  readonly leaseWaitMs?: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

/** What {@link rebuildProjection} did. */
export interface RebuildResult {
  readonly projection: string;
  /** Events applied to the new read model. */
  readonly events: number;
  /** The checkpoint saved with the swap: the live processor continues after it. */
  readonly position: bigint;
  readonly durationMs: number;
}

/** The projection's lease is held by someone else (a runner projecting live). Nothing was changed. */
export class ProjectionBusyError extends TidingsError {
  readonly projection: string;
  constructor(projection: string, holder: string | undefined, waitedMs: number) {
    super(
      'PROJECTION_BUSY',
      `Cannot rebuild projection '${projection}': its lease is held by ${holder === undefined ? 'another owner' : `'${holder}'`} (a runner projecting it live) and was not free within ${waitedMs} ms (leaseWaitMs). Stop that runner, rebuild through the app (app.rebuild('${projection}')), or raise leaseWaitMs.`,
    );
    this.projection = projection;
  }
}

/**
 * Rebuilds a projection from position 0 into a shadow of its read model, then swaps the shadow in
 * and saves the checkpoint in one transaction: queries read the old model until that commit. It
 * holds the projection's lease meanwhile (the live processor waits in standby, the swap is fenced
 * by the lease epoch) and continues live from the swapped checkpoint once it gets the lease back.
 * An interrupted rebuild leaves the live model as it was; the next one drops the stale shadow.
 *
 * @example
 * await rebuildProjection(store, directory, {
 *   onProgress: (p) => console.log(`${p.done}/${p.total} ${Math.round(p.eventsPerSecond)} ev/s eta ${p.etaMs} ms`),
 * });
 */
export async function rebuildProjection<Target, Connection>(
  store: EventStore<Connection>,
  projection: Projection<Target, Connection>,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const C = 'rebuildProjection';
  assertKnownKeys(C, options, ['onProgress', 'batchSize', 'owner', 'leaseTtlMs', 'leaseWaitMs', 'signal', 'clock']);
  functionOption(C, 'onProgress', options.onProgress);
  const batchSize = integerOption(C, 'batchSize', options.batchSize ?? 1000, 1);
  if (batchSize > 10_000)
    throw new TidingsError('INVALID_OPTION', `${C}: batchSize must be 1..10000, got ${batchSize}.`);
  const leaseTtlMs = integerOption(C, 'leaseTtlMs', options.leaseTtlMs ?? 30_000, 100);
  const leaseWaitMs = integerOption(C, 'leaseWaitMs', options.leaseWaitMs ?? 0, 0);
  const clock = options.clock ?? systemClock;
  const owner = options.owner ?? `rebuild-${Math.random().toString(36).slice(2, 10)}`;
  const { signal } = options;
  const name = projection.name;

  let lost: LeaseLostError | undefined;
  const keeper = new LeaseKeeper({
    processing: store.processing,
    processor: name,
    partition: 0,
    owner,
    ttlMs: leaseTtlMs,
    renewIntervalMs: Math.max(10, Math.floor(leaseTtlMs / 3)),
    clock,
    onLost: (error) => {
      lost = error;
    },
    onError: () => undefined,
  });
  const started = clock.now();
  let lease: Lease | undefined = await keeper.acquire();
  while (lease === undefined) {
    const waited = clock.now() - started;
    if (waited >= leaseWaitMs) {
      const holder = await store.processing.getLease(name);
      throw new ProjectionBusyError(name, holder?.owner, leaseWaitMs);
    }
    await clock.sleep(Math.min(100, leaseWaitMs - waited), signal);
    lease = await keeper.acquire();
  }
  const epoch = lease.epoch;
  const check = (): void => {
    if (lost !== undefined) throw lost;
    signal?.throwIfAborted();
  };

  let shadow: ReadModelShadow<Target, Connection> | undefined;
  try {
    shadow = await store.transaction((tx) => projection.readModel.createShadow(tx));
    const copyStart = clock.now();
    const total0 = await store.headPosition();
    let total = total0;
    let done = 0n;
    let events = 0;
    const report = (phase: RebuildProgress['phase']): void => {
      if (options.onProgress === undefined) return;
      const seconds = Math.max(1, clock.now() - copyStart) / 1000;
      const positionsPerSecond = Number(done) / seconds;
      const remaining = total > done ? Number(total - done) : 0;
      try {
        options.onProgress({
          projection: name,
          done,
          total,
          events,
          eventsPerSecond: events / seconds,
          positionsPerSecond,
          etaMs: positionsPerSecond > 0 ? Math.round((remaining / positionsPerSecond) * 1000) : undefined,
          phase,
        });
      } catch {
        // Progress reporting must not fail the rebuild.
      }
    };
    const current = shadow;
    for (;;) {
      check();
      // Everything at or below the head read before a page is visible to that read (the store's
      // global order never skips), so a short page means the shadow has all of it.
      const head = await store.headPosition();
      if (head > total) total = head;
      const page: RecordedEvent[] = [];
      for await (const event of store.readAll({
        from: done + 1n,
        limit: batchSize,
        ...(projection.filter === undefined ? {} : { filter: projection.filter }),
      })) {
        page.push(event);
      }
      if (page.length > 0) {
        check();
        await store.transaction(async (tx) => projection.apply(page, tx, await current.target(tx)));
        events += page.length;
        done = (page[page.length - 1] as RecordedEvent).position;
      }
      if (page.length < batchSize) {
        if (head > done) done = head;
        break;
      }
      report('copying');
    }
    check();
    const position = done;
    await store.transaction(async (tx) => {
      await current.swap(tx);
      // Fenced by the epoch: if another owner took the lease meanwhile, the swap rolls back.
      await tx.processing.saveCheckpoint({ processor: name, position, epoch });
    });
    shadow = undefined;
    report('swapped');
    return { projection: name, events, position, durationMs: clock.now() - started };
  } catch (error) {
    if (shadow !== undefined) {
      const leftover = shadow;
      await store.transaction((tx) => leftover.drop(tx)).catch(() => undefined);
    }
    if (error instanceof TimeoutError) throw error;
    throw toError(error);
  } finally {
    await keeper.release();
  }
}
