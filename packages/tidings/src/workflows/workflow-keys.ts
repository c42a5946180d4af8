import { hexBytes, uuidv5 } from '../sourcing/command-event-ids.js';
import type { StepPhase } from './workflow-types.js';

// Fixed namespace of workflow keys (chosen once; changing it would make a restarted workflow's
// effects look new to their receivers, which would then apply them twice).
const NAMESPACE = hexBytes('5b0e8c1a-7d24-4f63-9a8e-2c61f0d4b7e5');

/** The dedupe key of a step's effect: the same for every attempt and every process. */
export function stepKey(workflow: string, id: string, step: string, phase: StepPhase): Promise<string> {
  return uuidv5(
    NAMESPACE,
    JSON.stringify(phase === 'execute' ? [workflow, id, step] : [workflow, id, step, 'compensate']),
  );
}

/** The key of the `index`-th send of one step attempt (the first one is the step key itself). */
export function sendKey(key: string, index: number): Promise<string> {
  return index === 0 ? Promise.resolve(key) : uuidv5(NAMESPACE, JSON.stringify([key, index]));
}

/** The id of the `workflow.started` event of an instance: `start` is idempotent by it. */
export function startedEventId(workflow: string, id: string): Promise<string> {
  return uuidv5(NAMESPACE, JSON.stringify([workflow, id, 'started']));
}
