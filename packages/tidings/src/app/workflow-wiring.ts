import { ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { Message } from '../messages/message.js';
import type { Metadata } from '../messages/metadata.js';
import type { Processor } from '../processing/processor-types.js';
import type { EventStore } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import { isWorkflow } from '../workflows/define-workflow.js';
import { workflowOperations } from '../workflows/workflow-operations.js';
import { workflowProcessor } from '../workflows/workflow-runner.js';
import type { WorkflowOperations } from '../workflows/workflow-types.js';
import { NoStoreError } from './app-errors.js';

/** The workflows part of the app: their runner processors and `app.workflows`. */
export interface WorkflowWiring {
  /** One processor per workflow (`workflow:<name>`), run by the app's processor runner. */
  readonly processors: readonly Processor[];
  readonly operations: WorkflowOperations;
}

export interface WorkflowWiringOptions {
  readonly workflows: unknown;
  readonly store: EventStore | undefined;
  readonly clock: Clock;
  readonly send: (command: Message, id: string, metadata: Metadata) => Promise<unknown>;
  /** Told after a committed transition scheduled a retry timer: wakes the app's timer poller. */
  readonly onTimerScheduled: () => void;
}

/**
 * Validates `createTidings({ workflows })` and builds what the app runs for them. Returns
 * `undefined` without workflows. The steps' retry timers are fired by the app's timer poller.
 */
export function workflowWiring(options: WorkflowWiringOptions): WorkflowWiring | undefined {
  const { workflows, store } = options;
  if (workflows === undefined) return undefined;
  if (!Array.isArray(workflows) || !workflows.every(isWorkflow)) {
    throw new ValidationError(
      `createTidings: workflows must be an array of workflows made by defineWorkflow(...), got ${Array.isArray(workflows) ? 'an array with something else in it' : describeValue(workflows)}.`,
      [{ path: ['workflows'], message: 'not workflows' }],
      { code: 'INVALID_OPTION' },
    );
  }
  const names = new Set<string>();
  for (const w of workflows) {
    if (names.has(w.name)) {
      throw new ValidationError(
        `createTidings: two workflows are named '${w.name}'. The name keys the instances' streams and the runner: give each workflow a unique name.`,
        [{ path: ['workflows'], message: 'duplicate name' }],
        { code: 'DUPLICATE_WORKFLOW' },
      );
    }
    names.add(w.name);
  }
  if (store === undefined) throw new NoStoreError('createTidings({ workflows })');
  const runtime = { store, clock: options.clock, send: options.send, onTimerScheduled: options.onTimerScheduled };
  return {
    processors: workflows.map((w) => workflowProcessor(w, runtime)),
    operations: workflowOperations(store, workflows),
  };
}

/** `app.workflows` of an app without a store: every call refuses with NoStoreError. */
export function workflowsWithoutStore(): WorkflowOperations {
  return {
    start: () => Promise.reject(new NoStoreError('app.workflows.start')),
    get: () => Promise.reject(new NoStoreError('app.workflows.get')),
  };
}
