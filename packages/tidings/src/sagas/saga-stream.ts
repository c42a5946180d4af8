import type { EventReader, RecordedEvent } from '../store/types.js';
import { TRANSITION_TYPE } from './saga-ids.js';
import type { TransitionData } from './saga-types.js';

/** An instance as loaded from its stream: the last transition is its snapshot. */
export interface LoadedInstance {
  /** The stream's version (the expected version of the next transition). */
  readonly streamVersion: bigint;
  /** The last transition, undefined when the instance does not exist yet. */
  readonly last: RecordedEvent<string, TransitionData> | undefined;
}

/** Reads the instance's stream backward to its last transition (timers and rejections may follow it). */
export async function loadInstance(reader: EventReader, streamId: string): Promise<LoadedInstance> {
  let streamVersion: bigint | undefined;
  for await (const event of reader.readStream<string, TransitionData>(streamId, { direction: 'backward' })) {
    streamVersion ??= event.version;
    if (event.type === TRANSITION_TYPE) return { streamVersion, last: event };
  }
  return { streamVersion: streamVersion ?? (await reader.streamInfo(streamId)).version, last: undefined };
}

/** Whether the stream holds a transition caused by `inputEventId` (a redelivery of a parked retry). */
export async function hasTransitionFor(reader: EventReader, streamId: string, inputEventId: string): Promise<boolean> {
  for await (const event of reader.readStream<string, TransitionData>(streamId, { direction: 'backward' })) {
    if (event.type === TRANSITION_TYPE && event.data.input.eventId === inputEventId) return true;
  }
  return false;
}
