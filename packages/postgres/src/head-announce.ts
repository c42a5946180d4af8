import type { PoolClient } from 'pg';
import { headChannelName } from './head-channel.js';

/** Checks out a configured pool connection; `release(broken)` gives it back. */
export type Checkout = () => Promise<PoolClient>;

/**
 * Least time between the starts of two NOTIFYs. The first commit after a quiet spell is announced
 * at once; under a sustained stream of small commits this caps the extra transactions at a few
 * hundred per second (each is a round trip and takes the notification queue's lock), for at most
 * this much added wake-up latency in other processes.
 */
export const NOTIFY_SPACING_MS = 3;

/** Client-side bound on one NOTIFY round trip: a hung connection is dropped, never waited on forever. */
const NOTIFY_TIMEOUT_MS = 10_000;

/**
 * Tells other processes that the head moved: one NOTIFY per committed batch, sent after the
 * commit on a pool connection in its own tiny transaction, never inside the write transaction
 * (a NOTIFY there takes a database-wide lock at COMMIT that serialises every notifying commit,
 * decision 0600). Coalesced: while one NOTIFY is in flight, and for {@link NOTIFY_SPACING_MS} after
 * it started, later heads wait and only the highest is sent next. The payload is the head as
 * decimal text; listeners treat it as a hint and read the head themselves.
 * `synchronous_commit` is off for that transaction only: losing a notification in a crash loses
 * nothing (listeners re-read the head when they reconnect), and it saves a WAL flush per batch.
 */
export class HeadAnnouncer {
  readonly #checkout: Checkout;
  readonly #sql: (head: bigint) => string;
  readonly #onError: (error: unknown, context: string) => void;
  #pending = -1n;
  #sent = -1n;
  #running: Promise<void> | undefined;
  // When the last NOTIFY started: the spacing holds across drains, so a lone writer committing
  // one batch after another is announced at most once per NOTIFY_SPACING_MS, not after each batch.
  #lastStart = -Infinity;

  constructor(schema: string, checkout: Checkout, onError: (error: unknown, context: string) => void) {
    const channel = headChannelName(schema).replace(/'/g, "''");
    this.#checkout = checkout;
    // One simple-protocol round trip; the values are our own (a schema-derived name and a bigint).
    this.#sql = (head) =>
      `begin; set local synchronous_commit = off; select pg_notify('${channel}', '${head}'); commit`;
    this.#onError = onError;
  }

  /** A batch committed up to `head`. Returns at once; the NOTIFY follows. */
  announce(head: bigint): void {
    if (head <= this.#pending || head <= this.#sent) return;
    this.#pending = head;
    this.#running ??= this.#drain();
  }

  /** Resolves once every announced head has been sent (or failed). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending > this.#sent) {
        const wait = this.#lastStart + NOTIFY_SPACING_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.#lastStart = performance.now();
        const head = this.#pending;
        this.#sent = head;
        await this.#send(head);
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #send(head: bigint): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.#checkout();
    } catch (error) {
      this.#onError(error, 'head NOTIFY');
      return;
    }
    try {
      // pg honours a per-query `query_timeout`; its types do not list it.
      const query = { text: this.#sql(head), query_timeout: NOTIFY_TIMEOUT_MS };
      await client.query(query);
      client.release();
    } catch (error) {
      // The connection may be left inside the failed transaction: never reuse it.
      client.release(true);
      this.#onError(error, 'head NOTIFY');
    }
  }
}
