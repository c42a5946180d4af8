import type { SerializedError } from '../reliability/serialize-error.js';
import type { RecordedEvent } from '../store/types.js';
import type { WorkflowEventData } from './workflow-events.js';
import type { AnyWorkflow, StepPhase, WorkflowStatus, WorkflowStepView } from './workflow-types.js';

interface Failure {
  readonly step: string;
  readonly phase: StepPhase;
  readonly error: SerializedError;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An instance folded from its transitions: what the runner decides from and what `get` shows. */
export interface WorkflowState {
  status: WorkflowStatus;
  input: unknown;
  results: Record<string, unknown>;
  /** Names of the completed steps, in execution order. */
  completed: string[];
  /** Index of the next step to execute (while running). */
  next: number;
  /** Steps still to compensate, the current one first (while compensating). */
  toCompensate: string[];
  /** The attempt the next action is (1 unless a retry is due). */
  attempt: number;
  /** A retry timer is pending: nothing to do until `workflow.step-retry-due` arrives. */
  waiting: boolean;
  /** A compensation failed for good; its event is parked until retried. */
  parked: boolean;
  /** The execute failure that ended or is unwinding the instance. */
  stepFailure: Failure | undefined;
  /** The compensation that failed for good (while parked). */
  compensationFailure: Failure | undefined;
  steps: Map<string, Mutable<WorkflowStepView>>;
}

/** Folds the stream of an instance. Unknown event types are ignored (a later version may add some). */
export function foldWorkflow(workflow: AnyWorkflow, events: readonly RecordedEvent[]): WorkflowState {
  const state: WorkflowState = {
    status: 'running',
    input: undefined,
    results: {},
    completed: [],
    next: 0,
    toCompensate: [],
    attempt: 1,
    waiting: false,
    parked: false,
    stepFailure: undefined,
    compensationFailure: undefined,
    steps: new Map(workflow.steps.map((s) => [s.name, { name: s.name, status: 'pending', attempts: 0 }])),
  };
  for (const event of events) apply(state, event);
  return state;
}

function apply(state: WorkflowState, event: RecordedEvent): void {
  const view = (name: string) => state.steps.get(name);
  switch (event.type) {
    case 'workflow.started': {
      state.input = (event.data as WorkflowEventData['workflow.started']).input;
      return;
    }
    case 'workflow.step-completed': {
      const d = event.data as WorkflowEventData['workflow.step-completed'];
      state.results[d.step] = d.result;
      state.completed.push(d.step);
      state.next++;
      state.attempt = 1;
      state.waiting = false;
      Object.assign(view(d.step) ?? {}, { status: 'completed', attempts: d.attempt, result: d.result });
      delete view(d.step)?.error;
      delete view(d.step)?.retryAt;
      return;
    }
    case 'workflow.step-failed': {
      const d = event.data as WorkflowEventData['workflow.step-failed'];
      const v = view(d.step);
      if (v !== undefined) {
        v.attempts = d.attempt;
        v.error = d.error;
        if (d.retryAt === undefined) {
          v.status = d.phase === 'execute' ? 'failed' : 'compensation-failed';
          delete v.retryAt;
        } else {
          v.status = d.phase === 'execute' ? 'retrying' : 'compensating';
          v.retryAt = d.retryAt;
        }
      }
      state.waiting = d.retryAt !== undefined;
      state.attempt = d.attempt + 1;
      if (d.retryAt === undefined && d.phase === 'execute')
        state.stepFailure = { step: d.step, phase: d.phase, error: d.error };
      return;
    }
    case 'workflow.step-retry-due': {
      const d = event.data as WorkflowEventData['workflow.step-retry-due'];
      state.waiting = false;
      state.attempt = d.attempt;
      const v = view(d.step);
      if (v !== undefined) delete v.retryAt;
      return;
    }
    case 'workflow.compensating': {
      const d = event.data as WorkflowEventData['workflow.compensating'];
      state.status = 'compensating';
      state.toCompensate = [...d.steps];
      state.stepFailure = { step: d.step, phase: 'execute', error: d.error };
      state.attempt = 1;
      state.waiting = false;
      for (const name of d.steps) {
        const v = view(name);
        if (v !== undefined) Object.assign(v, { status: 'compensating', attempts: 0 });
      }
      return;
    }
    case 'workflow.compensated': {
      const d = event.data as WorkflowEventData['workflow.compensated'];
      state.toCompensate = state.toCompensate.filter((s) => s !== d.step);
      state.status = 'compensating';
      state.parked = false;
      state.compensationFailure = undefined;
      state.attempt = 1;
      state.waiting = false;
      const v = view(d.step);
      if (v !== undefined) {
        Object.assign(v, { status: 'compensated', attempts: d.attempt });
        delete v.error;
        delete v.retryAt;
      }
      return;
    }
    case 'workflow.compensation-failed': {
      const d = event.data as WorkflowEventData['workflow.compensation-failed'];
      state.status = 'failed';
      state.parked = true;
      state.waiting = false;
      state.attempt = d.attempts + 1;
      state.compensationFailure = { step: d.step, phase: 'compensate', error: d.error };
      const v = view(d.step);
      if (v !== undefined) Object.assign(v, { status: 'compensation-failed', attempts: d.attempts, error: d.error });
      return;
    }
    case 'workflow.failed': {
      state.status = 'failed';
      state.waiting = false;
      return;
    }
    case 'workflow.completed': {
      state.status = 'completed';
      return;
    }
    default:
      return;
  }
}
