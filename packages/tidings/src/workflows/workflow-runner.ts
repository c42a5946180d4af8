import { AbortedError, isCommandRejection, toError } from '../errors.js';
import type { Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import { assertSerializable } from '../messages/serializable.js';
import { defineProcessor } from '../processing/define-processor.js';
import type { Processor, ProcessorContext } from '../processing/processor-types.js';
import { serializeError, type SerializedError } from '../reliability/serialize-error.js';
import { ConcurrencyError } from '../store/errors.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import { timerId } from '../timers/timer-id.js';
import { CompensationFailedError } from './workflow-errors.js';
import { storedError, transition, type WorkflowEventData, type WorkflowTransition } from './workflow-events.js';
import { sendKey, stepKey } from './workflow-keys.js';
import { foldWorkflow, type WorkflowState } from './workflow-state.js';
import type { AnyWorkflow, StepPhase, WorkflowStepContext } from './workflow-types.js';

/** What the runner needs from the app. */
export interface WorkflowRuntime {
  readonly store: EventStore;
  readonly clock: Clock;
  /** Sends a command through the app's command bus with this id and metadata; resolves to its result. */
  readonly send: (command: Message, id: string, metadata: Metadata) => Promise<unknown>;
  /** Told after a committed transition scheduled a retry timer (e.g. to wake a timer poller). */
  readonly onTimerScheduled?: () => void;
  /**
   * Internal, for the negative control only: append transitions without the expected-version
   * check, as a naive runner would. Two runners handling the same transition then both record it.
   */
  readonly unsafeSkipVersionCheck?: boolean;
}

type Outcome =
  | { readonly ok: true; readonly result: unknown }
  /** `rejected`: the effect was refused by its receiver (`CommandRejectedError`): retrying cannot help. */
  | { readonly ok: false; readonly error: SerializedError; readonly rejected: boolean };

interface Action {
  readonly step: string;
  readonly phase: StepPhase;
  readonly attempt: number;
  /** A one-attempt retry of a parked compensation: a failure is thrown (the entry stays parked), not recorded. */
  readonly parkedRetry: boolean;
}

/**
 * The processor `workflow:<name>` that advances the instances of `workflow`: after each transition
 * it performs the next action and appends the next transition(s) with the expected version of the
 * transition it acted on, so a redelivered event or a second process records nothing twice.
 */
export function workflowProcessor(workflow: AnyWorkflow, runtime: WorkflowRuntime): Processor {
  return defineProcessor({
    name: workflow.processor,
    filter: { categories: [workflow.category] },
    concurrency: workflow.concurrency,
    // Store errors are retried; a compensation that failed for good is parked at once.
    retry: { retryable: (error) => !(error instanceof CompensationFailedError) },
    handle: (event: RecordedEvent, ctx: ProcessorContext) => advanceWorkflow(workflow, runtime, event, ctx),
  });
}

/** Reads the instance's stream (short: one event per transition). */
export async function readInstance(store: Pick<EventStore, 'readStream'>, streamId: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of store.readStream(streamId)) events.push(e);
  return events;
}

/** Handles one transition event: decides the next action from the instance's state and records its outcome. */
export async function advanceWorkflow(
  workflow: AnyWorkflow,
  runtime: WorkflowRuntime,
  event: RecordedEvent,
  ctx: Pick<ProcessorContext, 'signal' | 'delivery'>,
): Promise<void> {
  const events = await readInstance(runtime.store, event.streamId);
  const last = events.at(-1);
  // A later transition exists: this event was already acted on (a redelivery); that one drives.
  if (last === undefined || last.version !== event.version) return;
  const first = events[0]!;
  if (first.type !== 'workflow.started') return;
  const id = (first.data as WorkflowEventData['workflow.started']).id;
  const state = foldWorkflow(workflow, events);
  const action = nextAction(workflow, state, last, id, ctx.delivery);
  if (action === undefined) return;
  const step = workflow.steps.find((s) => s.name === action.step);
  if (step === undefined) return;
  const run = action.phase === 'execute' ? step.execute : step.compensate;
  if (run === undefined) return;
  const metadata: Metadata = { correlationId: first.metadata.correlationId ?? first.id, causationId: last.id };
  const key = await stepKey(workflow.name, id, step.name, action.phase);
  let sends = 0;
  const stepContext: WorkflowStepContext = {
    workflow: workflow.name,
    id,
    step: step.name,
    phase: action.phase,
    key,
    send: async <R>(command: Message): Promise<R> =>
      (await untilAborted(
        runtime.send(command, await sendKey(key, sends++), metadata),
        ctx.signal,
        `workflow '${workflow.name}' step '${step.name}'`,
      )) as R,
    results: { ...state.results },
    attempt: action.attempt,
    signal: ctx.signal,
  };
  let outcome: Outcome;
  try {
    const result: unknown = await untilAborted(
      Promise.resolve().then(() => run(state.input, stepContext)),
      ctx.signal,
      `workflow '${workflow.name}' step '${step.name}'`,
    );
    const recorded = result === undefined ? null : result;
    assertSerializable(recorded, 'workflow.step-completed', 'result');
    outcome = { ok: true, result: recorded };
  } catch (error) {
    outcome = { ok: false, error: storedError(serializeError(error)), rejected: isCommandRejection(error) };
  }
  // The runner gave up meanwhile (stop timed out, lease lost): like a killed process, record
  // nothing; the transition is delivered again and the step runs again with the same key.
  if (ctx.signal.aborted) throw new AbortedError(`workflow '${workflow.name}' step '${step.name}'`, ctx.signal.reason);
  if (action.parkedRetry && !outcome.ok) {
    throw new CompensationFailedError(workflow.name, id, step.name, outcome.error);
  }
  const retryAt = runtime.clock.now() + step.policy.delayMs;
  const { transitions, retry } = outcomeTransitions(workflow, state, action, outcome, retryAt);
  const timer: RetryTimer | undefined = retry
    ? {
        id: await timerId(`workflow:${workflow.name}:${id}`, `${action.phase}:${action.step}:${action.attempt}`),
        at: retryAt,
        data: { step: action.step, phase: action.phase, attempt: action.attempt + 1 },
      }
    : undefined;
  await record(runtime, event.streamId, last.version, transitions, metadata, timer);
}

function nextAction(
  workflow: AnyWorkflow,
  state: WorkflowState,
  last: RecordedEvent,
  id: string,
  delivery: ProcessorContext['delivery'],
): Action | undefined {
  if (last.type === 'workflow.compensation-failed' && state.parked) {
    const failed = state.compensationFailure;
    if (failed === undefined) return undefined;
    if (delivery !== 'retry') throw new CompensationFailedError(workflow.name, id, failed.step, failed.error);
    return { step: failed.step, phase: 'compensate', attempt: state.attempt, parkedRetry: true };
  }
  if (state.waiting) return undefined;
  if (state.status === 'running') {
    const step = workflow.steps[state.next];
    return step === undefined
      ? undefined
      : { step: step.name, phase: 'execute', attempt: state.attempt, parkedRetry: false };
  }
  if (state.status === 'compensating') {
    const step = state.toCompensate[0];
    return step === undefined ? undefined : { step, phase: 'compensate', attempt: state.attempt, parkedRetry: false };
  }
  return undefined;
}

/** The transitions that record an outcome, and whether a retry timer goes with them. */
function outcomeTransitions(
  workflow: AnyWorkflow,
  state: WorkflowState,
  action: Action,
  outcome: Outcome,
  retryAt: number,
): { transitions: WorkflowTransition[]; retry: boolean } {
  const { step, phase, attempt } = action;
  const policy = workflow.steps.find((s) => s.name === step)!.policy;
  if (outcome.ok) {
    if (phase === 'execute') {
      const completed = transition('workflow.step-completed', { step, attempt, result: outcome.result });
      const isLast = state.next === workflow.steps.length - 1;
      return {
        transitions: isLast
          ? [completed, transition('workflow.completed', { results: { ...state.results, [step]: outcome.result } })]
          : [completed],
        retry: false,
      };
    }
    const compensated = transition('workflow.compensated', { step, attempt });
    const rest = state.toCompensate.filter((s) => s !== step);
    const cause = state.stepFailure;
    return {
      transitions:
        rest.length === 0 && cause !== undefined
          ? [
              compensated,
              transition('workflow.failed', { step: cause.step, reason: 'compensated', error: cause.error }),
            ]
          : [compensated],
      retry: false,
    };
  }
  const { error, rejected } = outcome;
  // A refusal (insufficient funds, a closed account) is an answer, not a fault: it goes to the
  // step's `then` at once instead of being retried.
  if (attempt < policy.maxAttempts && !rejected) {
    const due = new Date(retryAt).toISOString();
    return {
      transitions: [transition('workflow.step-failed', { step, phase, attempt, error, retryAt: due })],
      retry: true,
    };
  }
  const failed = transition('workflow.step-failed', { step, phase, attempt, error, ...(rejected ? { rejected } : {}) });
  if (phase === 'compensate') {
    return {
      transitions: [failed, transition('workflow.compensation-failed', { step, attempts: attempt, error })],
      retry: false,
    };
  }
  if (policy.then === 'fail') {
    return {
      transitions: [failed, transition('workflow.failed', { step, reason: 'step-failed', error })],
      retry: false,
    };
  }
  const toUndo = [...state.completed]
    .reverse()
    .filter((name) => workflow.steps.find((s) => s.name === name)?.compensate !== undefined);
  const compensating = transition('workflow.compensating', { step, error, steps: toUndo });
  return {
    transitions:
      toUndo.length === 0
        ? [failed, compensating, transition('workflow.failed', { step, reason: 'compensated', error })]
        : [failed, compensating],
    retry: false,
  };
}

interface RetryTimer {
  readonly id: string;
  /** Due time, epoch ms on the app clock. */
  readonly at: number;
  readonly data: WorkflowEventData['workflow.step-retry-due'];
}

/**
 * Appends the transitions at `expectedVersion` (with the retry timer in the same transaction). A
 * conflict means another process recorded this transition first: nothing to do.
 */
async function record(
  runtime: WorkflowRuntime,
  streamId: string,
  expectedVersion: bigint,
  transitions: WorkflowTransition[],
  metadata: Metadata,
  timer: RetryTimer | undefined,
): Promise<void> {
  const options = { expectedVersion: runtime.unsafeSkipVersionCheck === true ? ('any' as const) : expectedVersion };
  const events = transitions.map((t) => ({ ...t, metadata }));
  try {
    if (timer === undefined) {
      await runtime.store.append(streamId, events, options);
      return;
    }
    await runtime.store.transaction(async (tx) => {
      await tx.append(streamId, events, options);
      await tx.timers.schedule({
        id: timer.id,
        streamId,
        at: timer.at,
        message: { type: 'workflow.step-retry-due', data: timer.data, metadata },
      });
      if (runtime.onTimerScheduled !== undefined) tx.afterCommit(runtime.onTimerScheduled);
    });
  } catch (error) {
    if (error instanceof ConcurrencyError) return;
    throw error;
  }
}

/** `promise`, or an AbortedError as soon as `signal` aborts (the promise is left to settle on its own). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError(what, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError(what, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toError(error));
      },
    );
  });
}
