import type { RecordedEvent } from '../store/types.js';

/** Where an event the runner received stands. */
export type EntryState = 'pending' | 'running' | 'done';

/** One received event. */
export interface Entry {
  readonly event: RecordedEvent;
  /** Clock time it arrived (for `batch.maxWaitMs`). */
  readonly receivedAt: number;
  state: EntryState;
}

/**
 * The events a processor session received and has not finished, in position order, and the
 * watermark they imply: every received event at or below it is done (handled, parked or held).
 * Done entries leave the front; the log holds at most what the session lets in (its capacity).
 */
export class ReceivedLog {
  #entries: Entry[] = [];
  #head = 0;
  #open = 0;
  #last: bigint;

  /** `start` is the watermark before anything arrives: the position the session resumed after. */
  constructor(start: bigint) {
    this.#last = start;
  }

  /** Entries received and not done. */
  get open(): number {
    return this.#open;
  }

  /** Position of the last event received (or the start). */
  get lastReceived(): bigint {
    return this.#last;
  }

  add(event: RecordedEvent, now: number): Entry {
    const entry: Entry = { event, receivedAt: now, state: 'pending' };
    this.#entries.push(entry);
    this.#open++;
    this.#last = event.position;
    return entry;
  }

  done(entry: Entry): void {
    if (entry.state === 'done') return;
    entry.state = 'done';
    this.#open--;
    while (this.#head < this.#entries.length && this.#entries[this.#head]?.state === 'done') this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Every received event at or below this position is done. */
  watermark(): bigint {
    const first = this.#entries[this.#head];
    return first === undefined ? this.#last : first.event.position - 1n;
  }

  /** The watermark once `also` are done too (they are about to commit with the checkpoint). */
  watermarkIfDone(also: ReadonlySet<Entry>): bigint {
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i] as Entry;
      if (entry.state !== 'done' && !also.has(entry)) return entry.event.position - 1n;
    }
    return this.#last;
  }

  /** Not-done entries in position order (a live view: do not add while iterating). */
  *openEntries(): Generator<Entry> {
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i] as Entry;
      if (entry.state !== 'done') yield entry;
    }
  }
}
