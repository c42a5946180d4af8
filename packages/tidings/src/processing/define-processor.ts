import { ValidationError } from '../errors.js';
import {
  assertKnownKeys,
  functionOption,
  integerOption,
  invalidOption,
  positiveOption,
} from '../reliability/options.js';
import { assertProcessorName } from '../store/processing-validation.js';
import { assertReadAllFilter } from '../store/stream-rules.js';
import type { ReadAllFilter, RecordedEvent } from '../store/types.js';
import type {
  EffectMode,
  EventSelector,
  FailurePolicy,
  Processor,
  ProcessorContext,
  ProcessorRetryPolicy,
  ProcessorSpec,
} from './processor-types.js';

const COMPONENT = 'defineProcessor';
const SPEC_KEYS = [
  'name',
  'events',
  'filter',
  'effects',
  'handle',
  'handleBatch',
  'concurrency',
  'batch',
  'onFailure',
  'retry',
  'startFrom',
] as const;
const EFFECTS: readonly EffectMode[] = ['transactional', 'inbox', 'external'];
const POLICIES: readonly FailurePolicy[] = ['park-and-continue', 'block-stream'];

/** The handlers of a processor, kept out of its public shape. Internal to the runner. */
export interface ProcessorHandlers {
  /** Handles a unit of events in position order (one `handle` per event when the spec gave `handle`). */
  readonly run: (events: readonly RecordedEvent[], context: ProcessorContext, concurrency: number) => Promise<void>;
  /** The spec gave `handle` (one event per call), not `handleBatch`. */
  readonly perEvent: boolean;
}

const handlersOf = new WeakMap<object, ProcessorHandlers>();

/** Internal: the handlers of a processor made by {@link defineProcessor}; throws for anything else. */
export function processorHandlers(processor: Processor<never>): ProcessorHandlers {
  const handlers = handlersOf.get(processor);
  if (handlers === undefined) {
    throw new ValidationError(
      `createProcessorRunner: every processor must come from defineProcessor(), got ${describe(processor)}.`,
      [{ path: ['processors'], message: 'not a processor' }],
      { code: 'INVALID_PROCESSOR' },
    );
  }
  return handlers;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string') {
    return `an object named '${(value as { name: string }).name}'`;
  }
  return value === null ? 'null' : typeof value;
}

function selectorType(selector: unknown, index: number): string {
  if (typeof selector === 'string' && selector.length > 0) return selector;
  if (
    typeof selector === 'function' &&
    (selector as { kind?: unknown }).kind === 'event' &&
    typeof (selector as { type?: unknown }).type === 'string'
  ) {
    return (selector as unknown as { type: string }).type;
  }
  throw new ValidationError(
    `${COMPONENT}: events[${index}] must be an event type name or an event definition (defineEvent), got ${describe(selector)}.`,
    [{ path: ['events', index], message: 'not an event selector' }],
    { code: 'INVALID_PROCESSOR' },
  );
}

function resolveFilter(events: unknown, filter: ReadAllFilter | undefined): ReadAllFilter | undefined {
  if (events !== undefined && filter !== undefined) {
    throw new ValidationError(
      `${COMPONENT}: give either 'events' or 'filter', not both. Put the types into filter.types to combine them with categories.`,
      [{ path: ['events'], message: 'both events and filter' }],
      { code: 'INVALID_PROCESSOR' },
    );
  }
  if (events !== undefined) {
    if (!Array.isArray(events) || events.length === 0) {
      throw new ValidationError(
        `${COMPONENT}: 'events' must be a non-empty array of event types or definitions (omit it to receive every event).`,
        [{ path: ['events'], message: 'not a non-empty array' }],
        { code: 'INVALID_PROCESSOR' },
      );
    }
    return { types: [...new Set(events.map(selectorType))] };
  }
  if (filter !== undefined) {
    assertKnownKeys(`${COMPONENT} filter`, filter, ['types', 'categories']);
    assertReadAllFilter(filter);
    return {
      ...(filter.types === undefined ? {} : { types: [...filter.types] }),
      ...(filter.categories === undefined ? {} : { categories: [...filter.categories] }),
    };
  }
  return undefined;
}

function resolveRetry(retry: ProcessorRetryPolicy | undefined): ProcessorRetryPolicy {
  assertKnownKeys(`${COMPONENT} retry`, retry, ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'factor', 'retryable']);
  const maxAttempts = integerOption(COMPONENT, 'retry.maxAttempts', retry?.maxAttempts ?? 3, 1);
  const baseDelayMs = positiveOption(COMPONENT, 'retry.baseDelayMs', retry?.baseDelayMs ?? 100);
  const maxDelayMs = positiveOption(COMPONENT, 'retry.maxDelayMs', retry?.maxDelayMs ?? Math.max(30_000, baseDelayMs));
  if (maxDelayMs < baseDelayMs)
    throw invalidOption(COMPONENT, 'retry.maxDelayMs', maxDelayMs, `>= retry.baseDelayMs (${baseDelayMs})`);
  const factor = retry?.factor ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw invalidOption(COMPONENT, 'retry.factor', factor, 'a finite number >= 1');
  }
  functionOption(COMPONENT, 'retry.retryable', retry?.retryable);
  return {
    maxAttempts,
    baseDelayMs,
    maxDelayMs,
    factor,
    ...(retry?.retryable === undefined ? {} : { retryable: retry.retryable }),
  };
}

/** Runs `fn` over `items` with at most `limit` running at once; resolves when all settled, rejects with the first error. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
}

/**
 * Per-event handlers of one unit: events of one stream in order, different streams concurrently
 * (at most `concurrency` streams at once).
 */
function perEvent(handle: (event: RecordedEvent, context: ProcessorContext) => unknown): ProcessorHandlers['run'] {
  return async (events, context, concurrency) => {
    if (concurrency <= 1 || events.length <= 1) {
      for (const event of events) await handle(event, context);
      return;
    }
    const byStream = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const list = byStream.get(event.streamId);
      if (list === undefined) byStream.set(event.streamId, [event]);
      else list.push(event);
    }
    await eachLimited([...byStream.values()], concurrency, async (list) => {
      for (const event of list) await handle(event, context);
    });
  };
}

/**
 * Defines a durable processor: what it handles, where its effects live, how it fails. Run it with
 * `createProcessorRunner(store, { processors: [...] })`.
 *
 * @example
 * // A read model in the same database: exactly once, the checkpoint commits with the rows.
 * const totals = defineProcessor({
 *   name: 'order-totals',
 *   events: [OrderPaid],
 *   effects: 'transactional',
 *   concurrency: 4,
 *   handle: (event, { tx }) => upsertTotal(tx, event.data.orderId, event.data.amount),
 * });
 *
 * // An external effect: at least once, the event id is the idempotency key.
 * const receipts = defineProcessor({
 *   name: 'receipts',
 *   events: ['order.paid'],
 *   onFailure: 'block-stream',
 *   retry: { maxAttempts: 5, baseDelayMs: 200 },
 *   handle: (event, { signal }) => mailer.send({ idempotencyKey: event.id, orderId: event.streamId }, { signal }),
 * });
 */
export function defineProcessor<
  const S extends EventSelector = string,
  M extends EffectMode = 'external',
  Connection = unknown,
>(spec: ProcessorSpec<S, M, Connection>): Processor<Connection> {
  if (typeof spec !== 'object' || spec === null) {
    throw new ValidationError(`${COMPONENT}: expected a spec object { name, events | filter, handle, ... }.`, [], {
      code: 'INVALID_PROCESSOR',
    });
  }
  assertKnownKeys(COMPONENT, spec, SPEC_KEYS);
  assertProcessorName(spec.name);
  const effects: EffectMode = spec.effects ?? 'external';
  if (!EFFECTS.includes(effects)) {
    throw invalidOption(COMPONENT, 'effects', effects, `one of ${EFFECTS.map((e) => `'${e}'`).join(', ')}`);
  }
  const onFailure: FailurePolicy = spec.onFailure ?? 'park-and-continue';
  if (!POLICIES.includes(onFailure)) {
    throw invalidOption(COMPONENT, 'onFailure', onFailure, `one of ${POLICIES.map((e) => `'${e}'`).join(', ')}`);
  }
  const startFrom = spec.startFrom ?? 'start';
  if (startFrom !== 'start' && startFrom !== 'end')
    throw invalidOption(COMPONENT, 'startFrom', startFrom, "'start' or 'end'");
  const hasHandle = spec.handle !== undefined;
  const hasBatch = spec.handleBatch !== undefined;
  if (hasHandle === hasBatch) {
    throw new ValidationError(
      `${COMPONENT} '${spec.name}': give exactly one of 'handle' (one event) and 'handleBatch' (a unit of events), got ${
        hasHandle ? 'both' : 'neither'
      }.`,
      [{ path: [hasHandle ? 'handleBatch' : 'handle'], message: hasHandle ? 'both handlers' : 'no handler' }],
      { code: 'INVALID_PROCESSOR' },
    );
  }
  functionOption(COMPONENT, 'handle', spec.handle);
  functionOption(COMPONENT, 'handleBatch', spec.handleBatch);
  const concurrency = integerOption(COMPONENT, 'concurrency', spec.concurrency ?? 1, 1);
  if (concurrency > 1000) throw invalidOption(COMPONENT, 'concurrency', concurrency, 'an integer from 1 to 1000');
  assertKnownKeys(`${COMPONENT} batch`, spec.batch, ['maxEvents', 'maxWaitMs']);
  const maxEvents = integerOption(COMPONENT, 'batch.maxEvents', spec.batch?.maxEvents ?? 100, 1);
  if (maxEvents > 10_000) throw invalidOption(COMPONENT, 'batch.maxEvents', maxEvents, 'an integer from 1 to 10000');
  const maxWaitMs = integerOption(COMPONENT, 'batch.maxWaitMs', spec.batch?.maxWaitMs ?? 0, 0);
  const filter = resolveFilter(spec.events, spec.filter);
  const retry = resolveRetry(spec.retry);

  const run: ProcessorHandlers['run'] =
    spec.handle !== undefined
      ? perEvent(spec.handle as (event: RecordedEvent, context: ProcessorContext) => unknown)
      : async (events, context) => {
          await (spec.handleBatch as (events: readonly RecordedEvent[], context: ProcessorContext) => unknown)(
            events,
            context,
          );
        };
  const processor: Processor<Connection> = Object.freeze({
    name: spec.name,
    effects,
    filter,
    concurrency,
    batch: Object.freeze({ maxEvents, maxWaitMs }),
    onFailure,
    retry: Object.freeze(retry),
    startFrom,
  });
  handlersOf.set(processor, { run, perEvent: spec.handle !== undefined });
  return processor;
}
