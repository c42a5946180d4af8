import { ValidationError } from '../errors.js';
import { categoryOf } from '../messages/names.js';
import { defineProcessor } from '../processing/define-processor.js';
import type {
  EventSelector,
  FailurePolicy,
  Processor,
  ProcessorBatchOptions,
  ProcessorRetryPolicy,
  SelectedEvent,
} from '../processing/processor-types.js';
import { assertKnownKeys, invalidOption } from '../reliability/options.js';
import type { ReadAllFilter, RecordedEvent, StoreTransaction } from '../store/types.js';
import type { ReadModel } from './read-model.js';

/**
 * - `'async'` (default): a processor run by the runner (the app's `start()`), exactly once: each
 *   unit of events and the checkpoint commit in one transaction. Queries may lag the append a little.
 * - `'inline'`: applied in the append's own transaction by the app's `publish` and command
 *   handlers: the read model is never behind what they appended. Appends made around the app
 *   (`store.append` directly) are not seen; use `'async'` when there are such writers.
 */
export type ProjectionMode = 'async' | 'inline';

/** What a projection's handler receives beside its events. */
export interface ProjectionContext<Target, Connection = unknown> {
  /** The transaction of this unit: the checkpoint (async) or the append (inline) commits with it. */
  readonly tx: StoreTransaction<Connection>;
  /** The read model to write: the live one, or the shadow during a rebuild. Write only through it. */
  readonly target: Target;
}

/** What {@link defineProjection} takes. */
export interface ProjectionDefinition<S extends EventSelector, Target, Connection> {
  /** Unique and stable: names the checkpoint and the lease. */
  readonly name: string;
  /** The event types it reads (names or definitions). Give `events` or `filter`. */
  readonly events?: readonly S[];
  readonly filter?: ReadAllFilter;
  /** Where the state lives; see {@link ReadModel} and the helpers `memoryCollection`, `sqliteTable`, `postgresTable`. */
  readonly readModel: ReadModel<Target, Connection>;
  /**
   * Applies a unit of events (position order) to `target`. Keep it deterministic and free of other
   * effects: a rebuild runs it again over every event.
   */
  readonly handle: (events: readonly SelectedEvent<S>[], context: ProjectionContext<Target, Connection>) => unknown;
  /** Default `'async'`; see {@link ProjectionMode}. */
  readonly mode?: ProjectionMode;
  /** Async mode: events per transaction during a catch-up (default 100, as processors). */
  readonly batch?: ProcessorBatchOptions;
  readonly retry?: ProcessorRetryPolicy;
  /** Async mode; default `'block-stream'`: a read model that skipped an event would be wrong. */
  readonly onFailure?: FailurePolicy;
}

/** A validated projection: give it to `createTidings({ projections })`, run its `processor`, or rebuild it. */
export interface Projection<Target = unknown, Connection = unknown> {
  readonly name: string;
  readonly mode: ProjectionMode;
  readonly readModel: ReadModel<Target, Connection>;
  /** The event filter; undefined for every event. */
  readonly filter: ReadAllFilter | undefined;
  /** The async processor (effects `'transactional'`) that keeps the live model up to date. */
  readonly processor: Processor<Connection>;
  /** Whether the projection reads this event (its type and stream category against the filter). */
  selects(event: Pick<RecordedEvent, 'type' | 'streamId'>): boolean;
  /** Applies the selected ones of `events` to `target` inside `tx` (inline use and rebuilds). */
  apply(events: readonly RecordedEvent[], tx: StoreTransaction<Connection>, target?: Target): Promise<void>;
}

const KEYS = ['name', 'events', 'filter', 'readModel', 'handle', 'mode', 'batch', 'retry', 'onFailure'] as const;

function isReadModel(value: unknown): value is ReadModel<unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { target?: unknown }).target === 'function' &&
    typeof (value as { createShadow?: unknown }).createShadow === 'function'
  );
}

/**
 * Defines a projection: events folded into a read model, exactly once (the model and the
 * checkpoint commit together), rebuildable from position 0 into a shadow that is swapped in when
 * caught up (`rebuildProjection`).
 *
 * @example
 * const users = memoryCollection<{ id: string; status: string }>('users');
 * const directory = defineProjection({
 *   name: 'user-directory',
 *   events: [UserCreated, UserDeactivated],
 *   readModel: users,
 *   handle: (events, { target }) => {
 *     for (const e of events) {
 *       if (UserCreated.is(e)) target.set(e.data.userId, { id: e.data.userId, status: 'active' });
 *       else target.set(e.data.userId, { id: e.data.userId, status: 'inactive' });
 *     }
 *   },
 * });
 */
export function defineProjection<const S extends EventSelector, Target, Connection = unknown>(
  spec: ProjectionDefinition<S, Target, Connection>,
): Projection<Target, Connection> {
  if (typeof spec !== 'object' || spec === null) {
    throw new ValidationError('defineProjection: expected a spec object { name, events, readModel, handle }.', [], {
      code: 'INVALID_PROJECTION',
    });
  }
  assertKnownKeys('defineProjection', spec, KEYS);
  if (!isReadModel(spec.readModel)) {
    throw new ValidationError(
      `defineProjection '${String(spec.name)}': 'readModel' must be a read model ({ name, target, createShadow }), e.g. memoryCollection('name'), sqliteTable({...}) or postgresTable({...}).`,
      [{ path: ['readModel'], message: 'not a read model' }],
      { code: 'INVALID_PROJECTION' },
    );
  }
  const mode = spec.mode ?? 'async';
  if (mode !== 'async' && mode !== 'inline')
    throw invalidOption('defineProjection', 'mode', mode, "'async' or 'inline'");
  if (typeof spec.handle !== 'function') throw invalidOption('defineProjection', 'handle', spec.handle, 'a function');
  const { readModel } = spec;
  const handle = spec.handle as (
    events: readonly RecordedEvent[],
    context: ProjectionContext<Target, Connection>,
  ) => unknown;
  // defineProcessor validates the name, events/filter, batch, retry and policy.
  const processor: Processor<Connection> = defineProcessor<EventSelector, 'transactional', Connection>({
    name: spec.name,
    ...(spec.events === undefined ? {} : { events: spec.events }),
    ...(spec.filter === undefined ? {} : { filter: spec.filter }),
    effects: 'transactional',
    ...(spec.batch === undefined ? {} : { batch: spec.batch }),
    ...(spec.retry === undefined ? {} : { retry: spec.retry }),
    onFailure: spec.onFailure ?? 'block-stream',
    handleBatch: async (events: readonly RecordedEvent[], { tx }: { tx: StoreTransaction<Connection> }) => {
      await handle(events, { tx, target: await readModel.target(tx) });
    },
  });
  const filter = processor.filter;
  const types = filter?.types === undefined ? undefined : new Set(filter.types);
  const categories = filter?.categories === undefined ? undefined : new Set(filter.categories);
  const selects = (event: Pick<RecordedEvent, 'type' | 'streamId'>): boolean =>
    (types === undefined || types.has(event.type)) &&
    (categories === undefined || categories.has(categoryOf(event.streamId)));
  return Object.freeze({
    name: spec.name,
    mode,
    readModel,
    filter,
    processor,
    selects,
    async apply(events: readonly RecordedEvent[], tx: StoreTransaction<Connection>, target?: Target): Promise<void> {
      const selected = events.filter(selects);
      if (selected.length === 0) return;
      await handle(selected, { tx, target: target ?? (await readModel.target(tx)) });
    },
  });
}
