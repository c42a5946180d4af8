import type { SerializedError } from '../reliability/serialize-error.js';
import type { StepPhase } from './workflow-types.js';

/**
 * The transition event types of every workflow, in the stream `workflow.<name>-<id>`.
 *
 * @example
 * const failures = await app.history({ type: [WorkflowEventType.stepFailed, WorkflowEventType.compensationFailed] });
 */
export const WorkflowEventType = {
  started: 'workflow.started',
  stepCompleted: 'workflow.step-completed',
  stepFailed: 'workflow.step-failed',
  stepRetryDue: 'workflow.step-retry-due',
  compensating: 'workflow.compensating',
  compensated: 'workflow.compensated',
  compensationFailed: 'workflow.compensation-failed',
  failed: 'workflow.failed',
  completed: 'workflow.completed',
} as const;

/** The data of each transition event. */
export interface WorkflowEventData {
  'workflow.started': { workflow: string; id: string; input: unknown };
  'workflow.step-completed': { step: string; attempt: number; result: unknown };
  /** `retryAt` (ISO) when a durable timer will append `workflow.step-retry-due`; absent on the last attempt. */
  'workflow.step-failed': {
    step: string;
    phase: StepPhase;
    attempt: number;
    error: SerializedError;
    retryAt?: string;
    /** The receiver refused the effect (`CommandRejectedError`): not retried. */
    rejected?: boolean;
  };
  /** Appended by the retry timer: run `attempt` of the step's `phase`. */
  'workflow.step-retry-due': { step: string; phase: StepPhase; attempt: number };
  /** `steps`: the completed steps to undo, in the order they are undone (reverse of execution). */
  'workflow.compensating': { step: string; error: SerializedError; steps: string[] };
  'workflow.compensated': { step: string; attempt: number };
  'workflow.compensation-failed': { step: string; attempts: number; error: SerializedError };
  /** `reason`: `'step-failed'` (policy `then: 'fail'`) or `'compensated'` (unwound). */
  'workflow.failed': { step: string; reason: 'step-failed' | 'compensated'; error: SerializedError };
  'workflow.completed': { results: Record<string, unknown> };
}

export type WorkflowEventName = keyof WorkflowEventData;

/** An event to append, typed by its name. */
export interface WorkflowTransition<T extends WorkflowEventName = WorkflowEventName> {
  readonly type: T;
  readonly data: WorkflowEventData[T];
}

export function transition<T extends WorkflowEventName>(type: T, data: WorkflowEventData[T]): WorkflowTransition<T> {
  return { type, data };
}

/** An error as stored in a transition: name, message and code, without the stack (events are an audit trail). */
export function storedError(error: SerializedError): SerializedError {
  return {
    name: error.name,
    message: error.message,
    ...(error.code === undefined ? {} : { code: error.code }),
    ...(error.cause === undefined ? {} : { cause: storedError(error.cause) }),
  };
}
