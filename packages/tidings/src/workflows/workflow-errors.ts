import { TidingsError } from '../errors.js';
import type { SerializedError } from '../reliability/serialize-error.js';

/**
 * A workflow's compensation failed after its step's retries. Thrown by the runner for the
 * `workflow.compensation-failed` event so the event is parked (not retried by the processor):
 * `app.parked` lists it, and retrying the entry runs the compensation again.
 *
 * @example
 * for (const entry of await app.parked.list({ processor: 'workflow:transfer' })) {
 *   if (entry.error.code === 'COMPENSATION_FAILED') await app.parked.retry(entry.id); // runs the compensation again
 * }
 */
export class CompensationFailedError extends TidingsError {
  readonly workflow: string;
  readonly instanceId: string;
  readonly step: string;
  constructor(workflow: string, instanceId: string, step: string, error: SerializedError) {
    super(
      'COMPENSATION_FAILED',
      `Workflow '${workflow}' instance '${instanceId}': the compensation of step '${step}' failed after its retries (${error.message}). The instance is failed and this event is parked; fix the cause, then retry it from app.parked to run the compensation again.`,
    );
    this.workflow = workflow;
    this.instanceId = instanceId;
    this.step = step;
  }
}
