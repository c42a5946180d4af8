import type { PoolClient } from 'pg';
import { headChannelName } from './head-channel.js';

/** Checks out a configured pool connection; `release(broken)` gives it back. */
export type Checkout = () => Promise<PoolClient>;

/**
 * Tells other processes that the head moved: one NOTIFY per committed batch, sent after the
 * commit on a pool connection in its own tiny transaction, never inside the write transaction
 * (a NOTIFY there takes a database-wide lock at COMMIT that serialises every notifying commit,
 * decision 0600). Coalesced: while one NOTIFY is in flight, later heads wait and only the highest
 * is sent next, so a burst of commits costs at most two. The payload is the head as decimal text.
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
      await client.query(this.#sql(head));
      client.release();
    } catch (error) {
      // The connection may be left inside the failed transaction: never reuse it.
      client.release(true);
      this.#onError(error, 'head NOTIFY');
    }
  }
}
