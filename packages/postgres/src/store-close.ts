import { StoreClosedError, TimeoutError } from 'tidings';
import type { HeadNotifier } from 'tidings/store-kit';
import type { HeadAnnouncer } from './head-announce.js';
import type { ResolvedOptions } from './options.js';
import type { StoreConnections } from './store-connections.js';
import type { WritePath } from './write-path.js';

export interface StoreCloseDeps {
  readonly opts: ResolvedOptions;
  readonly target: string;
  readonly connections: StoreConnections;
  readonly head: HeadNotifier;
  readonly announcer: HeadAnnouncer;
  readonly writePath: WritePath;
  /** Called first: every later call is refused with StoreClosedError. */
  readonly markClosed: () => void;
}

/**
 * `store.close()`: refuse new calls, stop the head watch, drain pending work for at most
 * closeTimeoutMs (then fail what was not sent and cut what is in flight), end the pool. Always
 * returns; the same promise to every caller.
 */
export function storeClose(deps: StoreCloseDeps): () => Promise<void> {
  const { opts, target, connections, head, announcer, writePath } = deps;
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      deps.markClosed();
      await head.close();
      const drained = Promise.all([writePath.committer.idle(), announcer.idle(), connections.idle()]);
      if (!(await settlesWithin(drained, opts.closeTimeoutMs))) {
        const ended = `store.close() waited closeTimeoutMs (${opts.closeTimeoutMs} ms) for pending work on PostgreSQL at ${target} (${connections.inUse} connection(s) still in use), then ended it`;
        const abandoned = new TimeoutError(
          `${ended}: this call had not been sent, nothing of it was stored.`,
          opts.closeTimeoutMs,
        );
        writePath.abandon(abandoned);
        const cut = new TimeoutError(
          `${ended}: this call was in flight and its connection was closed.`,
          opts.closeTimeoutMs,
        );
        connections.cutAll(abandoned, cut);
        opts.onError(
          new TimeoutError(
            `${ended}: work not yet sent failed with nothing stored; work in flight may or may not have committed (UnknownOutcomeError).`,
            opts.closeTimeoutMs,
          ),
          'close',
        );
      }
      const ended = new StoreClosedError('PostgreSQL');
      if (!(await settlesWithin(connections.end(opts.closeTimeoutMs, ended), opts.closeTimeoutMs))) {
        opts.onError(
          new TimeoutError(
            `The store's pool did not end within closeTimeoutMs (${opts.closeTimeoutMs} ms); close() returns without it.`,
            opts.closeTimeoutMs,
          ),
          'close',
        );
      }
    })();
    return closing;
  };
}

/** Resolves true when `promise` settles within `ms`, false otherwise (its outcome is not our concern here). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
