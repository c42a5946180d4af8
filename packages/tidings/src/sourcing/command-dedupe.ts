import type { Message } from '../messages/message.js';
import type { EventReader, RecordedEvent, Upcast } from '../store/types.js';
import { commandEventIds } from './command-event-ids.js';
import { initialStateOf, type Decider } from './decider.js';
import type { OriginalLookup } from './load-state.js';

/** Recognises the events a command appended to a stream, by the ids derived from its id. */
export function originalLookup(commandId: string, streamId: string, firstId: string): OriginalLookup {
  const cache = new Map<number, Promise<string>>([[0, Promise.resolve(firstId)]]);
  return {
    firstId,
    idAt(index) {
      let id = cache.get(index);
      if (id === undefined) {
        id = commandEventIds(commandId, streamId, 1, index).then((ids) => ids[0]!);
        cache.set(index, id);
      }
      return id;
    },
  };
}

/**
 * Finds the events a command appended earlier, anywhere in the stream (newest first, since a
 * retried command is usually recent). Used when the store reports the derived ids as duplicates
 * but the load did not see them (they lie before the snapshot). Undefined when they are not in
 * this stream.
 */
export async function findOriginalEvents(
  store: EventReader,
  streamId: string,
  lookup: OriginalLookup,
  upcast: Upcast | undefined,
): Promise<RecordedEvent[] | undefined> {
  let start: bigint | undefined;
  for await (const event of store.readStream(streamId, { direction: 'backward' })) {
    if (event.id.toLowerCase() === lookup.firstId) {
      start = event.version;
      break;
    }
  }
  if (start === undefined) return undefined;
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, { from: start })) {
    if (event.id.toLowerCase() !== (await lookup.idAt(events.length))) break;
    events.push(upcast === undefined ? event : upcast(event));
  }
  return events;
}

/** The state of a stream right after `version`, by replaying from its first readable event (no snapshot). */
export async function stateAtVersion<S, E extends Message>(
  store: EventReader,
  streamId: string,
  decider: Decider<S, Message, E>,
  version: bigint,
  upcast: Upcast | undefined,
): Promise<S> {
  let state = initialStateOf(decider);
  for await (const raw of store.readStream(streamId)) {
    if (raw.version > version) break;
    state = decider.evolve(state, (upcast === undefined ? raw : upcast(raw)) as unknown as E);
  }
  return state;
}
