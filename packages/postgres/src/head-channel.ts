import pg from 'pg';
import type { ClientConfig } from 'pg';
import type { HeadChannel, HeadChannelEvents } from 'tidings/store-kit';
import { listenerLockSql } from './listener-lock.js';
import { quoteIdent, statementName } from './sql/identifiers.js';

/**
 * The LISTEN/NOTIFY channel of a store schema (decision 0600): one per schema, so stores of other
 * schemas in the same database never wake each other. At most 63 bytes, like every identifier.
 */
export function headChannelName(schema: string): string {
  return statementName('head', schema);
}

/** `application_name` of listener connections, so operators (and tests) can find them in pg_stat_activity. */
export function listenerApplicationName(schema: string): string {
  return `tidings-listen:${schema}`.slice(0, 63);
}

/** Only the socket of a pg Client, to end it for sure when a graceful end does not finish. */
function destroySocket(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
}

/**
 * Opens a dedicated connection (outside the pool) and LISTENs on the schema's channel. Every
 * notification carries the head after a committed batch; `events.lost` is called once when the
 * connection errors or ends. Connecting and the LISTEN are bounded by `timeoutMs`; `signal` aborts
 * the attempt. `close()` ends the connection gracefully, and destroys its socket if that takes
 * longer than `timeoutMs`.
 */
export async function openHeadChannel(
  base: ClientConfig,
  schema: string,
  events: HeadChannelEvents,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<HeadChannel> {
  const channel = headChannelName(schema);
  const client = new pg.Client({
    ...base,
    application_name: listenerApplicationName(schema),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    keepAlive: true,
  });
  let closing = false;
  const lost = (error: unknown): void => {
    if (!closing) events.lost(error);
  };
  // An unheard 'error' event would crash the process; a drop is reported once through `lost`.
  client.on('error', lost);
  client.on('end', () => lost(new Error(`The LISTEN connection of schema '${schema}' ended.`)));
  client.on('notification', (message) => {
    if (message.channel !== channel || message.payload === undefined) return;
    // Our own payloads are decimal heads; anything else on the channel is ignored.
    if (/^\d{1,19}$/.test(message.payload)) events.moved(BigInt(message.payload));
  });
  const abort = (): void => {
    closing = true;
    destroySocket(client);
  };
  signal.addEventListener('abort', abort, { once: true });
  try {
    await client.connect();
    await client.query(`listen ${quoteIdent(channel)}`);
    // Registers this listener with writers (decision 0312): waits for any writer that found nobody
    // listening and has not committed yet, so the head read that follows the open sees its events;
    // every later writer finds the lock held and announces. Held until this connection ends.
    await client.query(listenerLockSql(schema));
    if (signal.aborted) throw new Error('Opening the head channel was abandoned.');
  } catch (error) {
    closing = true;
    destroySocket(client);
    throw error;
  } finally {
    signal.removeEventListener('abort', abort);
  }
  return {
    close: async () => {
      closing = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = client.end().catch(() => undefined);
      await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      destroySocket(client);
    },
  };
}
