import { ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { ConcurrencyError, DuplicateEventError } from '../store/errors.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import { isWorkflow } from './define-workflow.js';
import type { WorkflowEventData } from './workflow-events.js';
import { startedEventId } from './workflow-keys.js';
import { readInstance } from './workflow-runner.js';
import { foldWorkflow } from './workflow-state.js';
import type { AnyWorkflow, Workflow, WorkflowInstance, WorkflowOperations, WorkflowStarted } from './workflow-types.js';

const MAX_ID_LENGTH = 200;

function refuse(code: string, message: string, path: string): never {
  throw new ValidationError(message, [{ path: [path], message: code.toLowerCase() }], { code });
}

/** JSON text with object keys sorted, so inputs compare equal whatever order a store (jsonb) keeps them in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** `app.workflows` over a store, for the workflows given to the app. */
export function workflowOperations(store: EventStore, workflows: readonly AnyWorkflow[]): WorkflowOperations {
  const byName = new Map(workflows.map((w) => [w.name, w] as const));
  const known = (): string => [...byName.keys()].map((n) => `'${n}'`).join(', ') || '(none)';
  const registered = (what: string, workflow: unknown): AnyWorkflow => {
    const name = typeof workflow === 'string' ? workflow : isWorkflow(workflow) ? workflow.name : undefined;
    const found = name === undefined ? undefined : byName.get(name);
    if (found === undefined) {
      refuse(
        'UNKNOWN_WORKFLOW',
        `${what}: ${name === undefined ? `expected a workflow (defineWorkflow) or its name, got ${describeValue(workflow)}` : `no workflow named '${name}' was given to createTidings({ workflows })`}. Known: ${known()}.`,
        'workflow',
      );
    }
    return found;
  };
  const checkId = (what: string, id: unknown): string => {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      refuse(
        'INVALID_WORKFLOW_ID',
        `${what}: the workflow id must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${describeValue(id)}. Nothing was written.`,
        'id',
      );
    }
    return id;
  };
  const streamOf = (workflow: AnyWorkflow, id: string): string => `${workflow.category}-${id}`;

  const startedOf = async (streamId: string): Promise<RecordedEvent | undefined> => {
    for await (const e of store.readStream(streamId, { limit: 1 })) return e;
    return undefined;
  };

  return {
    async start(workflowArg, input) {
      const workflow = registered('app.workflows.start', workflowArg);
      let rawId: unknown;
      try {
        rawId = workflow.id(input);
      } catch (error) {
        throw new ValidationError(
          `app.workflows.start('${workflow.name}'): its id function threw for this input (${error instanceof Error ? error.message : describeValue(error)}). Check the input's shape. Nothing was written.`,
          [{ path: ['input'], message: 'id function threw' }],
          { code: 'INVALID_WORKFLOW_INPUT', cause: error },
        );
      }
      const id = checkId(`app.workflows.start('${workflow.name}')`, rawId);
      const streamId = streamOf(workflow, id);
      const data: WorkflowEventData['workflow.started'] = { workflow: workflow.name, id, input };
      const answer = (created: boolean): WorkflowStarted => ({ workflow: workflow.name, id, streamId, created });
      const compare = async (): Promise<WorkflowStarted> => {
        const first = await startedOf(streamId);
        const stored = (first?.data as WorkflowEventData['workflow.started'] | undefined)?.input;
        if (first === undefined || canonical(stored) !== canonical(JSON.parse(JSON.stringify(input ?? null)))) {
          refuse(
            'WORKFLOW_ID_TAKEN',
            `app.workflows.start('${workflow.name}'): an instance with id '${id}' was already started with another input. Starting is idempotent by id: use a new id for a new instance. Nothing was written.`,
            'input',
          );
        }
        return answer(false);
      };
      if ((await startedOf(streamId)) !== undefined) return compare();
      try {
        await store.append(
          streamId,
          [{ id: await startedEventId(workflow.name, id), type: 'workflow.started', data }],
          { expectedVersion: 'no-stream' },
        );
        return answer(true);
      } catch (error) {
        // Started concurrently by someone else (or this call's earlier attempt).
        if (error instanceof ConcurrencyError || error instanceof DuplicateEventError) return compare();
        throw error;
      }
    },

    async get<I>(workflowArg: string | Workflow<I>, idArg: string): Promise<WorkflowInstance<I> | undefined> {
      const workflow = registered('app.workflows.get', workflowArg);
      const id = checkId(`app.workflows.get('${workflow.name}')`, idArg);
      const streamId = streamOf(workflow, id);
      const history = await readInstance(store, streamId);
      if (history.length === 0) return undefined;
      const state = foldWorkflow(workflow, history);
      const failure = state.parked ? state.compensationFailure : state.stepFailure;
      return {
        workflow: workflow.name,
        id,
        streamId,
        status: state.status,
        input: state.input as I,
        steps: workflow.steps.map((s) => ({ ...state.steps.get(s.name)! })),
        results: { ...state.results },
        ...(failure === undefined ? {} : { failure }),
        parked: state.parked,
        version: history.at(-1)!.version,
        history,
      };
    },
  };
}
