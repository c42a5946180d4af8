/** A run of sequence numbers of one producer that never arrived (as far as the source knows). */
export interface MqttLoss {
  /** The producer's id (`tidings-producer` user property). */
  readonly producer: string;
  /** First and last missing sequence numbers, inclusive. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
  /** When the gap was noticed: the arrival of a later sequence number. */
  readonly detectedAt: Date;
}

/** What one sequence number means for its producer's stream. */
export type SequenceVerdict = 'next' | 'gap' | 'duplicate' | 'recovered';

interface ProducerState {
  /** Highest sequence number seen. */
  last: number;
  /** Missing numbers below `last` that may still arrive (bounded). */
  missing: Set<number>;
}

/** At most this many missing numbers are remembered per producer (a huge gap is still counted whole). */
const MAX_REMEMBERED_MISSING = 10_000;
/** At most this many producers are tracked; the least recently heard from is forgotten first. */
const MAX_PRODUCERS = 10_000;

/**
 * Follows the sequence numbers each producer stamps on its messages (1, 2, 3, …) and tells
 * duplicates (QoS 1 redelivery) from gaps (messages lost). A gap is counted as lost when it is
 * noticed; if a missing number arrives later after all (out of order), it is counted as
 * recovered and taken off the lost count. A producer id names one incarnation of a producer
 * (the sink makes a fresh one per instance): numbers never restart under the same id.
 */
export class SequenceTracker {
  readonly #producers = new Map<string, ProducerState>();
  lost = 0;
  recovered = 0;
  duplicates = 0;

  observe(producer: string, seq: number, onLoss: (loss: Omit<MqttLoss, 'detectedAt'>) => void): SequenceVerdict {
    const state = this.#producers.get(producer);
    if (state !== undefined) {
      // Least recently heard from goes first: re-insert to move to the end.
      this.#producers.delete(producer);
      this.#producers.set(producer, state);
    }
    if (state === undefined) {
      // The first message heard from a producer: earlier ones (sent before this source listened) are not ours to count.
      this.#producers.set(producer, { last: seq, missing: new Set() });
      if (this.#producers.size > MAX_PRODUCERS) {
        const oldest = this.#producers.keys().next().value;
        if (oldest !== undefined) this.#producers.delete(oldest);
      }
      return 'next';
    }
    if (seq === state.last + 1) {
      state.last = seq;
      return 'next';
    }
    if (seq > state.last + 1) {
      const from = state.last + 1;
      const to = seq - 1;
      const count = to - from + 1;
      for (let n = from; n <= to && state.missing.size < MAX_REMEMBERED_MISSING; n++) state.missing.add(n);
      state.last = seq;
      this.lost += count;
      onLoss({ producer, from, to, count });
      return 'gap';
    }
    if (state.missing.delete(seq)) {
      this.lost--;
      this.recovered++;
      return 'recovered';
    }
    this.duplicates++;
    return 'duplicate';
  }
}
