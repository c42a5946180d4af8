import type { Message } from '../messages/message.js';
import type { RecordedEvent } from '../store/types.js';
import type { SerializedError } from '../reliability/serialize-error.js';

/** Which half of a step runs: its `execute`, or its `compensate` while the workflow unwinds. */
export type StepPhase = 'execute' | 'compensate';

/** What a step's `execute` and `compensate` receive beside the workflow's input. */
export interface WorkflowStepContext {
  /** The workflow's name. */
  readonly workflow: string;
  /** The workflow instance's id (`definition.id(input)`). */
  readonly id: string;
  /** This step's name. */
  readonly step: string;
  readonly phase: StepPhase;
  /**
   * The effect's dedupe key: a name-based UUID (v5) of workflow name + id + step name (+
   * `'compensate'`), the same on every attempt and after a restart. Give it to any receiver that
   * can dedupe (an HTTP `Idempotency-Key`, a unique constraint); `send` uses it as the command id.
   */
  readonly key: string;
  /**
   * Sends a command through the app's command bus with `id = key` (the second send of the same
   * attempt gets a key derived from `key` and its index, and so on), so `app.commandHandler`
   * receivers apply it once however often the step runs. Resolves to the handler's result.
   */
  send<R = unknown>(command: Message): Promise<R>;
  /** Results of the steps completed before this one, by step name (JSON, as recorded). */
  readonly results: Readonly<Record<string, unknown>>;
  /** 1 on the first try, then 2, 3… on the retries of the step's policy (and on a parked retry). */
  readonly attempt: number;
  /** Aborts when the runner gives up (stop timed out, lease lost): the outcome is then not recorded. */
  readonly signal: AbortSignal;
}

/** What happens when a step's `execute` (or `compensate`) throws. */
export interface StepFailurePolicy {
  /**
   * Retry after a durable delay: up to `maxAttempts` attempts in all (integer 1..100; 1 = no
   * retry), `delayMs` apart (integer 0..2^31-1, on the app clock, kept in the store as a timer so
   * a restart does not lose it). Default: 1 attempt. A refusal — a `CommandRejectedError` (or an
   * error with `rejected === true`), e.g. insufficient funds — is not retried: it is an answer, and
   * the step goes to `then` at once (the `workflow.step-failed` event carries `rejected: true`).
   */
  readonly retry?: { readonly maxAttempts: number; readonly delayMs: number };
  /**
   * After the last failed attempt of `execute`: `'compensate'` (default) runs the `compensate` of
   * the completed steps in reverse order, then the workflow is `failed`; `'fail'` ends it `failed`
   * at once, compensating nothing.
   */
  readonly then?: 'compensate' | 'fail';
}

/** One step of a workflow. */
export interface WorkflowStep<I> {
  /** Unique within the workflow, stable across deployments: it keys the step's effect and its events. */
  readonly name: string;
  /** Does the step; its result (JSON; `undefined` is stored as `null`) is recorded in `workflow.step-completed`. */
  readonly execute: (input: I, ctx: WorkflowStepContext) => unknown;
  /** Undoes a completed step when a later one fails (optional: a step without it is not undone). */
  readonly compensate?: (input: I, ctx: WorkflowStepContext) => unknown;
  readonly onFailure?: StepFailurePolicy;
}

/** What {@link defineWorkflow} takes. Unknown keys are refused. */
export interface WorkflowSpec<I> {
  /**
   * Stable name: letters, digits, `_` and `.` (no `-`: the stream `workflow.<name>-<id>` takes its
   * category from what precedes the first `-`). Keys the streams, the runner processor
   * `workflow:<name>` and the effect keys.
   */
  readonly name: string;
  /** The instance id for an input: a non-empty string of at most 200 characters; `start` is idempotent by it. */
  readonly id: (input: I) => string;
  /** In order; at least one, names unique. */
  readonly steps: readonly WorkflowStep<I>[];
  /** Instances advanced at the same time by the runner (integer 1..1000; default 8). Each instance's transitions stay in order. */
  readonly concurrency?: number;
}

/** The step policy with its defaults applied. */
export interface ResolvedPolicy {
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly then: 'compensate' | 'fail';
}

/** A validated workflow, given to `createTidings({ workflows })`. */
export interface Workflow<I = unknown> {
  readonly kind: 'workflow';
  readonly name: string;
  readonly id: (input: I) => string;
  readonly steps: readonly (WorkflowStep<I> & { readonly policy: ResolvedPolicy })[];
  readonly concurrency: number;
  /** `workflow.<name>`: the category of the instances' streams. */
  readonly category: string;
  /** `workflow:<name>`: the processor that advances the instances. */
  readonly processor: string;
}

/** A workflow of any input type (what the runtime handles). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any input type
export type AnyWorkflow = Workflow<any>;

/** The state of a workflow instance. */
export type WorkflowStatus = 'running' | 'compensating' | 'completed' | 'failed';

/** One step as seen by `app.workflows.get`. */
export interface WorkflowStepView {
  readonly name: string;
  readonly status:
    'pending' | 'retrying' | 'completed' | 'failed' | 'compensating' | 'compensated' | 'compensation-failed';
  /** Attempts of the phase the step is in (execute, or compensate once it compensates). */
  readonly attempts: number;
  readonly result?: unknown;
  readonly error?: SerializedError;
  /** While `retrying`: when the next attempt is due (ISO time). */
  readonly retryAt?: string;
}

/** What `app.workflows.get` returns: the instance folded from its stream, and the stream itself. */
export interface WorkflowInstance<I = unknown> {
  readonly workflow: string;
  readonly id: string;
  readonly streamId: string;
  readonly status: WorkflowStatus;
  readonly input: I;
  readonly steps: readonly WorkflowStepView[];
  /** Results of the completed steps, by name. */
  readonly results: Readonly<Record<string, unknown>>;
  /** Why it failed (or is compensating): the step, the phase and the error. */
  readonly failure?: { readonly step: string; readonly phase: StepPhase; readonly error: SerializedError };
  /**
   * True while a compensation failed for good: the instance is `failed`, its
   * `workflow.compensation-failed` event is parked (see `app.parked`); retrying that entry runs the
   * compensation again and, when it succeeds, the unwinding goes on.
   */
  readonly parked: boolean;
  /** The stream's version (the number of transitions). */
  readonly version: bigint;
  /** Every transition, oldest first: the audit trail. */
  readonly history: readonly RecordedEvent[];
}

/** What `app.workflows.start` returns. */
export interface WorkflowStarted {
  readonly workflow: string;
  readonly id: string;
  readonly streamId: string;
  /** False when an instance with this id had already been started (with the same input): nothing was written. */
  readonly created: boolean;
}

/**
 * `app.workflows`: start instances and read them back. Needs a store.
 *
 * @example
 * const app = createTidings({ store, commands: [Withdraw, Deposit], workflows: [transfer] });
 * await app.start();
 * await app.workflows.start(transfer, { transferId: 't-1', from: 'alice', to: 'bob', amount: 30_00 });
 * const instance = await app.workflows.get(transfer, 't-1');
 * console.log(instance?.status, instance?.steps.map((s) => s.status), instance?.history.length);
 */
export interface WorkflowOperations {
  /**
   * Records `workflow.started` for `input` (idempotent by the workflow's id: starting again with
   * the same input writes nothing; with another input it is refused with `WORKFLOW_ID_TAKEN`). The
   * runner performs the steps once the app is started.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any workflow's input type
  start<I>(workflow: Workflow<I> | Workflow<any>, input: I): Promise<WorkflowStarted>;
  /** The instance folded from its stream, or `undefined` when it was never started. */
  get<I = unknown>(workflow: string | Workflow<I>, id: string): Promise<WorkflowInstance<I> | undefined>;
}
