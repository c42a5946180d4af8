import { AbortedError, toError } from '../errors.js';
import { UnrecoverableError } from '../reliability/errors.js';
import { retry } from '../reliability/retry.js';
import { LeaseLostError } from '../store/errors.js';
import type { EventStore, RecordedEvent, StoreTransaction } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import type { AsyncLock } from './async-lock.js';
import type { ProcessorHandlers } from './define-processor.js';
import type { Processor, ProcessorContext, TransactionalProcessorContext } from './processor-types.js';

/** A handler threw (anything: a non-Error is wrapped into a readable TidingsError NON_ERROR_THROWN). */
export class HandlerFailure extends Error {
  readonly error: Error;
  constructor(error: Error) {
    super(error.message, { cause: error });
    this.error = error;
  }
}

/** Writes that join the effect's transaction; the returned callback runs once it committed. */
export type TxStep = (tx: StoreTransaction) => Promise<(() => void) | undefined>;

/** Everything an effect needs from its session. */
export interface EffectScope {
  readonly store: EventStore;
  readonly processor: Processor<never>;
  readonly handlers: ProcessorHandlers;
  readonly partition: number;
  readonly epoch: bigint;
  /** Aborted when handlers must give up (lease lost, stop timed out): the handlers' `ctx.signal`. */
  readonly hard: AbortSignal;
  /** Aborted by a graceful stop: no new attempt, no further backoff; running attempts finish. */
  readonly drain: AbortSignal;
  readonly clock: Clock;
  readonly random: () => number;
  readonly report: (error: Error, event: RecordedEvent | undefined) => void;
}

async function invokeHandler(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    // A fenced write inside the handler means this process lost the processor: not the event's fault.
    if (error instanceof LeaseLostError) throw error;
    throw new HandlerFailure(toError(error));
  }
}

function context(
  scope: EffectScope,
  attempt: number,
  delivery: ProcessorContext['delivery'],
  tx: StoreTransaction | undefined,
): ProcessorContext | TransactionalProcessorContext {
  const base: ProcessorContext = {
    processor: scope.processor.name,
    partition: scope.partition,
    epoch: scope.epoch,
    attempt,
    signal: scope.hard,
    delivery,
  };
  return tx === undefined ? base : { ...base, tx };
}

/**
 * Handles `events` once, in the processor's effect mode: `transactional` in one transaction with
 * `also` (which saves the checkpoint for live units); `inbox` in one transaction that first claims
 * each event id and hands only the claimed ones to the handler; `external` without a transaction
 * (then `also`, if any, commits on its own). Handler errors become {@link HandlerFailure}.
 */
export async function handleOnce(
  scope: EffectScope,
  events: readonly RecordedEvent[],
  attempt: number,
  delivery: ProcessorContext['delivery'],
  also?: TxStep,
  lock?: AsyncLock,
): Promise<void> {
  const { store, processor, handlers } = scope;
  const within = (concurrency: number) => (list: readonly RecordedEvent[], tx: StoreTransaction | undefined) =>
    invokeHandler(() => handlers.run(list, context(scope, attempt, delivery, tx), concurrency));
  if (processor.effects === 'external') {
    await within(1)(events, undefined);
    if (also !== undefined) {
      const committed = await store.transaction(also);
      committed?.();
    }
    return;
  }
  const work = async (): Promise<void> => {
    const committed = await store.transaction(async (tx) => {
      let todo = events;
      if (processor.effects === 'inbox') {
        const claimed: RecordedEvent[] = [];
        for (const event of events) {
          if (
            await tx.processing.claimInbox(processor.name, event, { epoch: scope.epoch, partition: scope.partition })
          ) {
            claimed.push(event);
          }
        }
        todo = claimed;
      }
      if (todo.length > 0) await within(processor.effects === 'transactional' ? processor.concurrency : 1)(todo, tx);
      return also === undefined ? undefined : await also(tx);
    });
    committed?.();
  };
  await (lock === undefined ? work() : lock.run(work));
}

/** How a delivery with retries ended. */
export type RetryOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'failed'; readonly error: Error; readonly attempts: number }
  /** A stop or a lost lease ended it first: the events are not done (they are delivered again later). */
  | { readonly kind: 'abandoned' };

/**
 * {@link handleOnce} under the processor's retry policy (the existing `retry`, full-jitter
 * backoff). Every failed attempt is reported. A graceful stop lets a running attempt finish but
 * starts no other; a hard abort gives up at once (the epoch fence refuses what the abandoned
 * attempt may still write). Errors other than handler failures (store, lease) propagate.
 */
export async function handleWithRetries(
  scope: EffectScope,
  events: readonly RecordedEvent[],
  delivery: ProcessorContext['delivery'],
  also?: () => TxStep | undefined,
  lock?: AsyncLock,
): Promise<RetryOutcome> {
  const policy = scope.processor.retry;
  const controller = new AbortController();
  let running = false;
  let attempts = 0;
  const onDrain = (): void => {
    if (!running) controller.abort();
  };
  const onHard = (): void => controller.abort();
  scope.drain.addEventListener('abort', onDrain);
  scope.hard.addEventListener('abort', onHard);
  if (scope.drain.aborted) onDrain();
  if (scope.hard.aborted) onHard();
  try {
    await retry(
      async ({ attempt }) => {
        attempts = attempt;
        running = true;
        try {
          await handleOnce(scope, events, attempt, delivery, also?.(), lock);
        } catch (error) {
          if (error instanceof HandlerFailure) scope.report(error.error, events[0]);
          // A stop arrived during this attempt: no backoff, no further attempt.
          if (scope.drain.aborted) controller.abort();
          throw error;
        } finally {
          running = false;
        }
      },
      {
        ...(policy.maxAttempts === undefined ? {} : { maxAttempts: policy.maxAttempts }),
        ...(policy.baseDelayMs === undefined ? {} : { baseDelayMs: policy.baseDelayMs }),
        ...(policy.maxDelayMs === undefined ? {} : { maxDelayMs: policy.maxDelayMs }),
        ...(policy.factor === undefined ? {} : { factor: policy.factor }),
        retryable: (error, attempt) =>
          error instanceof HandlerFailure &&
          !(error.error instanceof UnrecoverableError) &&
          (policy.retryable === undefined || policy.retryable(error.error, attempt)),
        signal: controller.signal,
        clock: scope.clock,
        random: scope.random,
      },
    );
    return { kind: 'ok' };
  } catch (error) {
    if (error instanceof AbortedError && controller.signal.aborted) return { kind: 'abandoned' };
    if (error instanceof HandlerFailure) return { kind: 'failed', error: error.error, attempts };
    throw error;
  } finally {
    scope.drain.removeEventListener('abort', onDrain);
    scope.hard.removeEventListener('abort', onHard);
  }
}
