import { TidingsError } from '../errors.js';
import { serializeError } from '../reliability/serialize-error.js';
import type { ParkedEvent } from '../store/processing-types.js';
import type { RecordedEvent } from '../store/types.js';
import { heldMarker, isHeldMarker, nextHeld, pick, readParked } from './blocked-streams.js';
import { handleOnce, handleWithRetries, HandlerFailure, type TxStep } from './effects.js';
import { ProcessorNotRunningError, UnknownParkedEventError } from './errors.js';
import type { ParkedResolution } from './processor-types.js';
import type { Session } from './session.js';

interface ReplayResult {
  readonly replayed: number;
  readonly blockedAt?: ParkedEvent;
}

/**
 * Handles the held events of `streamId` in order, from `first` up to position `upTo`, each in its
 * own delivery (with retries) whose transaction also moves the durable marker to the next held
 * event, so a crash or stop resumes exactly there. A held event that still fails is parked and
 * blocks the stream again; when all are done the stream flows again.
 */
async function replayHeld(
  session: Session,
  streamId: string,
  first: RecordedEvent | undefined,
  firstMarker: string | undefined,
  upTo: bigint,
  doneVersion: bigint,
): Promise<ReplayResult> {
  const { store, processor, partition, epoch } = session.scope;
  let current = first;
  let marker = firstMarker;
  let replayed = 0;
  let version = doneVersion;
  while (current !== undefined) {
    if (session.closing) return { replayed };
    const event: RecordedEvent = current;
    const next = await nextHeld(store, processor.filter, streamId, event.version, upTo);
    let nextMarker: string | undefined;
    const step = (): TxStep => async (tx) => {
      if (marker !== undefined) await tx.processing.unpark(marker, { epoch });
      nextMarker =
        next === undefined
          ? undefined
          : (await tx.processing.park(heldMarker(processor.name, partition, next, epoch))).id;
      return undefined;
    };
    const outcome = await handleWithRetries(session.scope, [event], 'replay', step);
    if (outcome.kind === 'abandoned') return { replayed };
    if (outcome.kind === 'failed') {
      const held = marker;
      const parked = await store.transaction(async (tx) => {
        if (held !== undefined) await tx.processing.unpark(held, { epoch });
        return tx.processing.park({
          processor: processor.name,
          partition,
          event: pick(event),
          error: serializeError(outcome.error),
          attempts: outcome.attempts,
          blocking: true,
          epoch,
        });
      });
      session.parkedEntry(parked);
      session.reblock(streamId, event.version, upTo);
      return { replayed, blockedAt: parked };
    }
    replayed++;
    session.handledOne();
    version = event.version;
    current = next;
    marker = nextMarker;
  }
  session.release(streamId, version);
  return { replayed };
}

/** Resumes a replay interrupted by a stop or a crash: its marker is the next held event. */
export async function resumeReplay(session: Session, marker: ParkedEvent): Promise<void> {
  const { store, processor, partition, epoch } = session.scope;
  const s = marker.streamId;
  try {
    await session.streamLock(s).run(async () => {
      const upTo = session.blocked.get(s)?.heldUpTo ?? session.start;
      const event = await readParked(store, marker);
      if (event !== undefined) {
        await replayHeld(session, s, event, marker.id, upTo, marker.version - 1n);
        return;
      }
      // The held event was deleted since: move on to the next one.
      const next = await nextHeld(store, processor.filter, s, marker.version, upTo);
      let nextMarker: string | undefined;
      await store.transaction(async (tx) => {
        await tx.processing.unpark(marker.id, { epoch });
        if (next !== undefined) {
          nextMarker = (await tx.processing.park(heldMarker(processor.name, partition, next, epoch))).id;
        }
      });
      await replayHeld(session, s, next, nextMarker, upTo, marker.version);
    });
  } catch (error) {
    session.fail(error);
  }
}

/**
 * Retries (one attempt) or skips a parked entry. On success the entry is removed in the effect's
 * transaction; for a blocking entry the stream's held events are replayed before it flows again.
 */
export async function resolveParked(session: Session, id: string, action: 'retry' | 'skip'): Promise<ParkedResolution> {
  const { store, processor, partition, epoch } = session.scope;
  const found = await store.processing.getParked(id);
  if (found === undefined || found.processor !== processor.name || found.partition !== partition) {
    throw new UnknownParkedEventError(id);
  }
  const work = async (): Promise<ParkedResolution> => {
    if (session.closing) throw new ProcessorNotRunningError(processor.name, 'stopping');
    const entry = await store.processing.getParked(id);
    if (entry === undefined) throw new UnknownParkedEventError(id);
    const s = entry.streamId;
    const event = await readParked(store, entry);
    if (event === undefined && action === 'retry') {
      throw new TidingsError(
        'PARKED_EVENT_UNAVAILABLE',
        `Parked event ${entry.eventId} (stream '${s}', version ${entry.version}) can no longer be read: its stream was deleted or truncated. Nothing was changed; skip it with runner.parked.skip('${id}').`,
      );
    }
    const base = { id: entry.id, processor: processor.name, eventId: entry.eventId };
    let upTo = session.start;
    if (entry.blocking) {
      upTo = session.blocked.get(s)?.heldUpTo ?? session.start;
      // From here newly received events of the stream wait instead of being held.
      session.blocked.set(s, { mode: 'replaying', version: entry.version, heldUpTo: upTo });
    }
    try {
      const next = entry.blocking ? await nextHeld(store, processor.filter, s, entry.version, upTo) : undefined;
      let marker: string | undefined;
      const swap: TxStep = async (tx) => {
        await tx.processing.unpark(entry.id, { epoch });
        if (next !== undefined) {
          marker = (await tx.processing.park(heldMarker(processor.name, partition, next, epoch))).id;
        }
        return undefined;
      };
      let outcome: 'handled' | 'skipped' = 'skipped';
      if (action === 'skip' || event === undefined) {
        await store.transaction(swap);
      } else {
        try {
          await handleOnce(session.scope, [event], 1, 'retry', swap);
          session.handledOne();
          outcome = 'handled';
        } catch (error) {
          if (!(error instanceof HandlerFailure)) throw error;
          session.scope.report(error.error, event);
          const parked = await store.transaction(async (tx) => {
            // A marker never failed: it becomes a real parked entry with its own history.
            if (isHeldMarker(entry)) await tx.processing.unpark(entry.id, { epoch });
            return tx.processing.park({
              processor: processor.name,
              partition,
              event: pick(event),
              error: serializeError(error.error),
              attempts: 1,
              blocking: entry.blocking,
              epoch,
            });
          });
          if (entry.blocking) session.reblock(s, entry.version, upTo);
          return {
            ...base,
            id: parked.id,
            outcome: 'failed',
            error: parked.error,
            replayed: 0,
            ...(entry.blocking ? { blockedAt: parked } : {}),
          };
        }
      }
      if (!entry.blocking) return { ...base, outcome, replayed: 0 };
      const replay = await replayHeld(session, s, next, marker, upTo, entry.version);
      return { ...base, outcome, ...replay };
    } catch (error) {
      // The store failed midway: the durable entries are the truth, a new session reloads them.
      session.fail(error);
      throw error;
    }
  };
  return session.track(session.streamLock(found.streamId).run(work));
}
