import type { Database as Db } from 'better-sqlite3';
import type { HeadNotifier } from 'tidings/store-kit';
import type { GroupCommit } from './group-commit.js';

export interface StoreCloseDeps {
  readonly writer: Db;
  readonly reader: Db;
  /** Whether the store opened the writer (and so closes it). */
  readonly owned: boolean;
  readonly queue: GroupCommit;
  readonly head: HeadNotifier;
  /** Called first: every later call is refused with StoreClosedError. */
  readonly markClosed: () => void;
}

/** `store.close()`: refuse new calls, let queued work finish, stop the head watch, close the connections. The same promise to every caller. */
export function storeClose(deps: StoreCloseDeps): () => Promise<void> {
  const { writer, reader, owned, queue, head } = deps;
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      deps.markClosed();
      await queue.idle();
      await head.close();
      reader.close();
      if (owned) writer.close();
    })();
    return closing;
  };
}
