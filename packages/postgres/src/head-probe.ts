import type { ClientConfig } from 'pg';
import type { HeadProbe } from 'tidings/store-kit';
import { openHeadChannel } from './head-channel.js';

/**
 * How the store kit's head notifier sees a schema (decision 0600): the head is the one-row `head`
 * table, and other processes' commits arrive through LISTEN on a dedicated connection
 * ({@link openHeadChannel}); the notifier polls the head row while that connection is down.
 */
export function headProbe(
  readHead: () => Promise<bigint>,
  listen: { readonly config: ClientConfig; readonly schema: string; readonly timeoutMs: number },
): HeadProbe {
  return {
    readHead,
    openChannel: (events, signal) => openHeadChannel(listen.config, listen.schema, events, signal, listen.timeoutMs),
  };
}
