import type { Database } from 'better-sqlite3';
import type { HeadProbe } from 'tidings/store-kit';

/**
 * How the store kit's head notifier sees this file (decision 0202): the head is `sqlite_sequence`
 * (never decreases, even after the last events are deleted), read on the read connection, and a
 * poll first asks `PRAGMA data_version`, a per-connection counter that changes only when another
 * connection committed. It touches no page, so an idle poll costs microseconds.
 */
export function headProbe(reader: Database): HeadProbe {
  const dataVersion = reader.prepare('PRAGMA data_version').pluck();
  const head = reader.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
  let last: number | undefined;
  // A change seen whose head could not be read (a busy file): the next poll reads again.
  let unread = false;
  return {
    readHead: () =>
      new Promise<bigint>((resolve) => {
        try {
          resolve(BigInt((head.get() as number | undefined) ?? 0));
          unread = false;
        } catch (error) {
          unread = true;
          throw error;
        }
      }),
    changed: () => {
      const version = dataVersion.get() as number;
      const changed = unread || (last !== undefined && version !== last);
      last = version;
      return changed;
    },
  };
}
