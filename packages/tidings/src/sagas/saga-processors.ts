import { isCommandRejection, ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import { categoryOf } from '../messages/names.js';
import { defineProcessor } from '../processing/define-processor.js';
import type { Processor, ProcessorRetryPolicy, TransactionalProcessorContext } from '../processing/processor-types.js';
import { serializeError, type SerializedError } from '../reliability/serialize-error.js';
import { DuplicateEventError } from '../store/errors.js';
import type { AppendResult, EventStore, EventToAppend, RecordedEvent, StoreTransaction } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import { sagaBehaviour, type SagaBehaviour } from './define-saga.js';
import { openRecorder, type RecordedEffect } from './recorder.js';
import {
  SagaCommandNotHandledError,
  SagaCorrelationError,
  SagaSendRejectedError,
  TimerNotHandledError,
} from './saga-errors.js';
import {
  instanceOfStream,
  rejectionId,
  REJECTION_TYPE,
  sagaCategory,
  sagaStreamId,
  sagaTimerId,
  sendId,
  transitionId,
  TRANSITION_TYPE,
} from './saga-ids.js';
import { hasTransitionFor, loadInstance } from './saga-stream.js';
import type {
  RecordedSend,
  RecordedTimerOp,
  RejectionData,
  Saga,
  SagaIgnoredReason,
  SagaRejection,
  TransitionData,
} from './saga-types.js';

/** What a saga's processors need from the app. */
export interface SagaRuntimeOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  /** Whether the app has a handler for a command type. */
  readonly hasHandler: (type: string) => boolean;
  /** Sends a command through the app's command bus with `id` as its envelope id (the dedupe key). */
  readonly send: (command: Message, id: string) => Promise<unknown>;
  /** Called after a transition that scheduled timers committed (wakes the app's timer poller). */
  readonly onScheduled?: () => void;
}

const MAX_INSTANCE_ID = 400;

/** The processor that runs a saga's reactions: `saga:<name>`. */
export const transitionProcessorName = (saga: string): string => `saga:${saga}`;
/** The processor that delivers a saga's sends: `saga:<name>:outbox`. */
export const outboxProcessorName = (saga: string): string => `saga:${saga}:outbox`;

function withoutStacks(error: SerializedError): SerializedError {
  const { stack: _stack, cause, ...rest } = error;
  return { ...rest, ...(cause === undefined ? {} : { cause: withoutStacks(cause) }) };
}

function retryPolicy(
  policy: ProcessorRetryPolicy | undefined,
  retryable: (error: unknown) => boolean,
): ProcessorRetryPolicy {
  const user = policy?.retryable;
  return {
    ...policy,
    retryable: (error, attempt) => retryable(error) && (user === undefined || user(error, attempt)),
  };
}

/** Deterministic errors: retrying a reaction cannot change them, so the event is parked at once. */
const reactionRetryable = (error: unknown): boolean =>
  !(error instanceof ValidationError) &&
  !(error instanceof SagaCommandNotHandledError) &&
  !(error instanceof TimerNotHandledError);

/** The two processors that run a saga: its transitions (transactional) and its outbox (external). */
export function sagaProcessors(saga: Saga, options: SagaRuntimeOptions): Processor[] {
  const behaviour = sagaBehaviour(saga);
  const types = [...saga.startedBy, ...saga.handles];
  const transitions = defineProcessor({
    name: transitionProcessorName(saga.name),
    events: behaviour.onRejected === undefined ? types : [...types, REJECTION_TYPE],
    effects: 'transactional',
    retry: retryPolicy(behaviour.spec.retry, reactionRetryable),
    handle: (event: RecordedEvent, ctx: TransactionalProcessorContext) =>
      transition(saga, behaviour, options, event, ctx),
  });
  const outbox = defineProcessor({
    name: outboxProcessorName(saga.name),
    filter: { types: [TRANSITION_TYPE], categories: [sagaCategory(saga.name)] },
    retry: retryPolicy(behaviour.spec.retry, (error) => !(error instanceof SagaSendRejectedError)),
    handle: (event: RecordedEvent) => deliver(saga, behaviour, options, event as RecordedEvent<string, TransitionData>),
  });
  return [transitions, outbox];
}

function ignore(behaviour: SagaBehaviour, event: RecordedEvent, reason: SagaIgnoredReason): void {
  behaviour.onIgnored?.(event, reason);
}

function correlateEvent(saga: Saga, behaviour: SagaBehaviour, event: RecordedEvent): string {
  const id = behaviour.correlate(event);
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_INSTANCE_ID) {
    throw new SagaCorrelationError(saga.name, event.type, describeValue(id));
  }
  return id;
}

async function transition(
  saga: Saga,
  behaviour: SagaBehaviour,
  options: SagaRuntimeOptions,
  event: RecordedEvent,
  ctx: TransactionalProcessorContext,
): Promise<void> {
  const { tx } = ctx;
  const own = instanceOfStream(saga.name, event.streamId);
  const rejection = event.type === REJECTION_TYPE;
  if (own === undefined && (rejection || categoryOf(event.streamId).startsWith('saga.'))) {
    return ignore(behaviour, event, 'foreign-stream');
  }
  const instanceId = own ?? correlateEvent(saga, behaviour, event);
  const streamId = sagaStreamId(saga.name, instanceId);
  const { streamVersion, last } = await loadInstance(tx, streamId);
  if (last === undefined) {
    if (rejection || !saga.startedBy.includes(event.type)) return ignore(behaviour, event, 'not-started');
  } else {
    // Live delivery runs in position order (concurrency 1), so an input at or below the last
    // transition's input was handled already. A parked retry may be older: look for it.
    const duplicate =
      ctx.delivery === 'live'
        ? BigInt(last.data.input.position) >= event.position
        : await hasTransitionFor(tx, streamId, event.id);
    if (duplicate) return ignore(behaviour, event, 'duplicate');
    if (last.data.completed && !rejection) return ignore(behaviour, event, 'completed');
  }
  const state = last === undefined ? behaviour.initialState() : last.data.state;
  const opened = openRecorder({
    saga: saga.name,
    instanceId,
    now: options.clock.now(),
    eventTypes: new Set([...saga.startedBy, ...saga.handles]),
    sends: saga.sends === undefined ? undefined : new Set(saga.sends),
    hasHandler: options.hasHandler,
  });
  let next: unknown;
  try {
    if (rejection) {
      const data = event.data as RejectionData;
      const input: SagaRejection = { command: { ...data.send.command, id: data.send.id }, error: data.error };
      next = behaviour.onRejected?.(state, input, opened.recorder);
    } else {
      next = behaviour.react(state, event, opened.recorder);
    }
  } finally {
    opened.seal();
  }
  const id = await transitionId(saga.name, instanceId, event.id);
  const { sends, timerWork } = await recordEffects(saga.name, instanceId, id, opened.effects);
  const correlationId = event.metadata.correlationId ?? event.id;
  const data: TransitionData = {
    saga: saga.name,
    instanceId,
    input: { eventId: event.id, type: event.type, streamId: event.streamId, position: event.position.toString() },
    state: next === undefined ? state : next,
    sends,
    timers: timerWork.map((t) => t.op),
    completed: (last?.data.completed ?? false) || opened.completed(),
  };
  const metadata: Metadata = { correlationId, causationId: event.id };
  // 'any', not the loaded version: the poller may append a fired timer to this stream meanwhile
  // (it does not change the state, which is the last transition's). Transitions of one instance
  // never race: one runner holds the lease, handles one event at a time, and a zombie's
  // transaction fails at its fenced checkpoint.
  const appended = await appendTransition(tx, streamId, { id, type: TRANSITION_TYPE, data, metadata });
  // The transition of this very input is already in the stream: a redelivery. Nothing changes.
  if (appended === 'duplicate' || appended.nextVersion <= streamVersion) return ignore(behaviour, event, 'duplicate');
  let scheduled = false;
  for (const work of timerWork) {
    if (work.kind === 'cancel') {
      await tx.timers.cancel(work.op.id);
      continue;
    }
    const message = work.event;
    await tx.timers.schedule({
      id: work.op.id,
      streamId,
      at: work.dueAt,
      message: {
        type: message.type,
        data: message.data,
        metadata: { correlationId, causationId: id, ...message.metadata },
      },
    });
    scheduled = true;
  }
  if (scheduled && options.onScheduled !== undefined) tx.afterCommit(options.onScheduled);
}

async function appendTransition(
  tx: StoreTransaction,
  streamId: string,
  event: EventToAppend,
): Promise<AppendResult | 'duplicate'> {
  try {
    return await tx.append(streamId, [event], { expectedVersion: 'any' });
  } catch (error) {
    if (error instanceof DuplicateEventError) return 'duplicate';
    throw error;
  }
}

/** A timer operation to apply in the transition's transaction. */
type TimerWork =
  | { readonly kind: 'cancel'; readonly op: RecordedTimerOp }
  | { readonly kind: 'schedule'; readonly op: RecordedTimerOp; readonly event: Message; readonly dueAt: number };

async function recordEffects(
  saga: string,
  instanceId: string,
  transition: string,
  effects: readonly RecordedEffect[],
): Promise<{ sends: RecordedSend[]; timerWork: TimerWork[] }> {
  const sends: RecordedSend[] = [];
  const timerWork: TimerWork[] = [];
  for (const effect of effects) {
    if (effect.kind === 'send') {
      const { type, data, metadata } = effect.command;
      sends.push({
        id: await sendId(saga, instanceId, transition, sends.length),
        command: { type, data, ...(metadata === undefined ? {} : { metadata: { ...metadata } }) },
      });
    } else {
      const timerId = await sagaTimerId(saga, instanceId, effect.name);
      timerWork.push(
        effect.kind === 'cancel'
          ? { kind: 'cancel', op: { op: 'cancel', name: effect.name, id: timerId } }
          : {
              kind: 'schedule',
              op: {
                op: 'schedule',
                name: effect.name,
                id: timerId,
                type: effect.event.type,
                dueAt: new Date(effect.dueAt).toISOString(),
              },
              event: effect.event,
              dueAt: effect.dueAt,
            },
      );
    }
  }
  return { sends, timerWork };
}

async function deliver(
  saga: Saga,
  behaviour: SagaBehaviour,
  options: SagaRuntimeOptions,
  event: RecordedEvent<string, TransitionData>,
): Promise<void> {
  const data = event.data;
  if (data.saga !== saga.name) return;
  const correlationId = event.metadata.correlationId ?? event.id;
  for (const send of data.sends) {
    const metadata: Metadata = { correlationId, causationId: event.id, ...send.command.metadata };
    try {
      await options.send({ type: send.command.type, data: send.command.data, metadata }, send.id);
    } catch (error) {
      if (!isCommandRejection(error)) throw error;
      if (behaviour.onRejected === undefined) {
        throw new SagaSendRejectedError(saga.name, data.instanceId, send.command.type, send.id, error);
      }
      const rejectionData: RejectionData = {
        saga: saga.name,
        instanceId: data.instanceId,
        transitionId: event.id,
        send,
        error: withoutStacks(serializeError(error)),
      };
      // Idempotent: a redelivered transition that is refused again finds its rejection stored.
      await options.store.append(
        event.streamId,
        [
          {
            id: await rejectionId(saga.name, data.instanceId, send.id),
            type: REJECTION_TYPE,
            data: rejectionData,
            metadata: { correlationId, causationId: event.id },
          },
        ],
        { expectedVersion: 'any' },
      );
    }
  }
}
