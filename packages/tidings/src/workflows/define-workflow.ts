import { ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { assertKnownKeys } from '../reliability/options.js';
import type { ResolvedPolicy, StepFailurePolicy, Workflow, WorkflowSpec, WorkflowStep } from './workflow-types.js';

const COMPONENT = 'defineWorkflow';
const SPEC_KEYS = ['name', 'id', 'steps', 'concurrency'];
const STEP_KEYS = ['name', 'execute', 'compensate', 'onFailure'];
const POLICY_KEYS = ['retry', 'then'];
const RETRY_KEYS = ['maxAttempts', 'delayMs'];
const NAME = /^[A-Za-z0-9_.]{1,100}$/;
const STEP_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const MAX_ATTEMPTS = 100;
const MAX_DELAY_MS = 2 ** 31 - 1;

function invalid(code: string, path: readonly PropertyKey[], message: string): never {
  throw new ValidationError(`${COMPONENT}: ${message} Nothing was defined.`, [{ path, message: code.toLowerCase() }], {
    code,
  });
}

function integerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function resolvePolicy(policy: StepFailurePolicy | undefined, at: string, path: PropertyKey[]): ResolvedPolicy {
  if (policy === undefined) return { maxAttempts: 1, delayMs: 0, then: 'compensate' };
  if (typeof policy !== 'object' || (policy as unknown) === null || Array.isArray(policy)) {
    invalid(
      'INVALID_POLICY',
      path,
      `${at}.onFailure must be an object { retry?, then? }, got ${describeValue(policy)}.`,
    );
  }
  assertKnownKeys(`${COMPONENT} ${at}.onFailure`, policy, POLICY_KEYS);
  const then = policy.then ?? 'compensate';
  if (then !== 'compensate' && then !== 'fail') {
    invalid(
      'INVALID_POLICY',
      [...path, 'then'],
      `${at}.onFailure.then must be 'compensate' or 'fail', got ${describeValue(then)}.`,
    );
  }
  const retry = policy.retry;
  if (retry === undefined) return { maxAttempts: 1, delayMs: 0, then };
  if (typeof retry !== 'object' || (retry as unknown) === null || Array.isArray(retry)) {
    invalid(
      'INVALID_POLICY',
      [...path, 'retry'],
      `${at}.onFailure.retry must be { maxAttempts, delayMs }, got ${describeValue(retry)}.`,
    );
  }
  assertKnownKeys(`${COMPONENT} ${at}.onFailure.retry`, retry, RETRY_KEYS);
  if (!integerIn(retry.maxAttempts, 1, MAX_ATTEMPTS)) {
    invalid(
      'INVALID_POLICY',
      [...path, 'retry', 'maxAttempts'],
      `${at}.onFailure.retry.maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS} (attempts in all, 1 = no retry), got ${describeValue(retry.maxAttempts)}.`,
    );
  }
  if (!integerIn(retry.delayMs, 0, MAX_DELAY_MS)) {
    invalid(
      'INVALID_POLICY',
      [...path, 'retry', 'delayMs'],
      `${at}.onFailure.retry.delayMs must be an integer number of milliseconds from 0 to ${MAX_DELAY_MS}, got ${describeValue(retry.delayMs)}.`,
    );
  }
  return { maxAttempts: retry.maxAttempts, delayMs: retry.delayMs, then };
}

function checkStep<I>(
  step: WorkflowStep<I>,
  index: number,
  seen: Set<string>,
): WorkflowStep<I> & { policy: ResolvedPolicy } {
  const path = ['steps', index];
  if (typeof step !== 'object' || (step as unknown) === null || Array.isArray(step)) {
    invalid(
      'INVALID_STEP',
      path,
      `steps[${index}] must be an object { name, execute, compensate?, onFailure? }, got ${describeValue(step)}.`,
    );
  }
  assertKnownKeys(`${COMPONENT} steps[${index}]`, step, STEP_KEYS);
  if (typeof step.name !== 'string' || !STEP_NAME.test(step.name)) {
    invalid(
      'INVALID_STEP',
      [...path, 'name'],
      `steps[${index}].name must be 1-100 letters, digits, '_', '.', ':' or '-', got ${describeValue(step.name)}.`,
    );
  }
  if (seen.has(step.name)) {
    invalid(
      'DUPLICATE_STEP',
      [...path, 'name'],
      `two steps are named '${step.name}'. A step's name keys its effect and its events: give each step a unique name.`,
    );
  }
  seen.add(step.name);
  const at = `step '${step.name}'`;
  if (typeof step.execute !== 'function') {
    invalid(
      'INVALID_STEP',
      [...path, 'execute'],
      `${at}: execute must be a function (input, ctx) => result, got ${describeValue(step.execute)}.`,
    );
  }
  if (step.compensate !== undefined && typeof step.compensate !== 'function') {
    invalid(
      'INVALID_STEP',
      [...path, 'compensate'],
      `${at}: compensate must be a function (input, ctx) => unknown when given, got ${describeValue(step.compensate)}.`,
    );
  }
  return { ...step, policy: resolvePolicy(step.onFailure, at, [...path, 'onFailure']) };
}

/**
 * Defines a workflow: steps run in order, each with `execute` and an optional `compensate`, and a
 * failure policy (retry after a durable delay up to N attempts, then compensate the completed steps
 * in reverse order, or fail). Every transition is an event in the stream `workflow.<name>-<id>`,
 * and a runner (the processor `workflow:<name>`, run by `createTidings({ workflows })`) performs the
 * next action after each one, so an instance killed mid-way goes on after a restart from its last
 * recorded transition. Refuses (ValidationError) an empty or malformed name, no steps, duplicate
 * step names, bad policy values and unknown keys.
 *
 * @example
 * const Withdraw = defineCommand('account.withdraw', payload<{ accountId: string; amount: number }>());
 * const Deposit = defineCommand('account.deposit', payload<{ accountId: string; amount: number }>());
 * const transfer = defineWorkflow({
 *   name: 'transfer',
 *   id: (input: { transferId: string; from: string; to: string; amount: number }) => input.transferId,
 *   steps: [
 *     {
 *       name: 'withdraw',
 *       execute: (input, ctx) => ctx.send(Withdraw({ accountId: input.from, amount: input.amount })),
 *       compensate: (input, ctx) => ctx.send(Deposit({ accountId: input.from, amount: input.amount })),
 *     },
 *     {
 *       name: 'deposit',
 *       execute: (input, ctx) => ctx.send(Deposit({ accountId: input.to, amount: input.amount })),
 *       onFailure: { retry: { maxAttempts: 3, delayMs: 1_000 }, then: 'compensate' },
 *     },
 *   ],
 * });
 */
export function defineWorkflow<I>(spec: WorkflowSpec<I>): Workflow<I> {
  if (typeof spec !== 'object' || (spec as unknown) === null || Array.isArray(spec)) {
    invalid('INVALID_WORKFLOW', [], `expected { name, id, steps }, got ${describeValue(spec)}.`);
  }
  assertKnownKeys(COMPONENT, spec, SPEC_KEYS);
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    invalid(
      'INVALID_WORKFLOW_NAME',
      ['name'],
      `name must be 1-100 letters, digits, '_' or '.' (no '-': it would change the streams' category), got ${describeValue(spec.name)}.`,
    );
  }
  if (typeof spec.id !== 'function') {
    invalid(
      'INVALID_WORKFLOW',
      ['id'],
      `id must be a function (input) => string naming the instance, got ${describeValue(spec.id)}.`,
    );
  }
  if (!Array.isArray(spec.steps) || spec.steps.length === 0) {
    invalid(
      'NO_STEPS',
      ['steps'],
      `steps must be a non-empty array of { name, execute, compensate?, onFailure? }, got ${describeValue(spec.steps)}.`,
    );
  }
  const concurrency = spec.concurrency ?? 8;
  if (!integerIn(concurrency, 1, 1000)) {
    invalid(
      'INVALID_WORKFLOW',
      ['concurrency'],
      `concurrency must be an integer from 1 to 1000, got ${describeValue(spec.concurrency)}.`,
    );
  }
  const seen = new Set<string>();
  const steps = (spec.steps as readonly WorkflowStep<I>[]).map((step, i) => checkStep(step, i, seen));
  return Object.freeze({
    kind: 'workflow',
    name: spec.name,
    id: spec.id,
    steps: Object.freeze(steps),
    concurrency,
    category: `workflow.${spec.name}`,
    processor: `workflow:${spec.name}`,
  });
}

/** True for what {@link defineWorkflow} returned. */
export function isWorkflow(value: unknown): value is Workflow {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'workflow' &&
    typeof (value as { name?: unknown }).name === 'string' &&
    Array.isArray((value as { steps?: unknown }).steps)
  );
}
