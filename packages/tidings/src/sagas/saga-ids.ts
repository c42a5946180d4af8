import { hexBytes, uuidv5 } from '../sourcing/command-event-ids.js';
import { timerId } from '../timers/timer-id.js';

// Fixed namespace for saga ids (chosen once; changing it would let redelivered events transition twice).
const NAMESPACE = hexBytes('5b0e9c1a-7d24-4f36-8e8b-2a61c0d93f47');

/** Type of the transition events in a saga's stream. */
export const TRANSITION_TYPE = 'saga.transitioned';
/** Type of the rejection events the outbox appends to a saga's stream. */
export const REJECTION_TYPE = 'saga.command-rejected';

/** The category of a saga's streams. */
export const sagaCategory = (saga: string): string => `saga.${saga}`;

/** The stream of one instance: `saga.<name>-<instanceId>`. */
export const sagaStreamId = (saga: string, instanceId: string): string => `${sagaCategory(saga)}-${instanceId}`;

/** The instance id of a stream of this saga, or undefined when the stream is not one. */
export function instanceOfStream(saga: string, streamId: string): string | undefined {
  const prefix = `${sagaCategory(saga)}-`;
  return streamId.startsWith(prefix) && streamId.length > prefix.length ? streamId.slice(prefix.length) : undefined;
}

/** The transition caused by `inputEventId`: the same input always gives the same id. */
export const transitionId = (saga: string, instanceId: string, inputEventId: string): Promise<string> =>
  uuidv5(NAMESPACE, JSON.stringify(['transition', saga, instanceId, inputEventId]));

/** The dedupe id of the `index`-th send of a transition: the id the command is sent with. */
export const sendId = (saga: string, instanceId: string, transition: string, index: number): Promise<string> =>
  uuidv5(NAMESPACE, JSON.stringify(['send', saga, instanceId, transition, index]));

/** The id of the rejection event of a send. */
export const rejectionId = (saga: string, instanceId: string, send: string): Promise<string> =>
  uuidv5(NAMESPACE, JSON.stringify(['rejected', saga, instanceId, send]));

/** The id of a saga timer: `timerId('<saga>:<instanceId>', name)`. */
export const sagaTimerId = (saga: string, instanceId: string, name: string): Promise<string> =>
  timerId(`${saga}:${instanceId}`, name);
