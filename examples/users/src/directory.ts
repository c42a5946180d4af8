import { defineProjection, type EventStore, type Projection, type ReadModel, type RecordedEvent } from 'tidings';
import type { UserStatus, UserView } from './messages.js';

/**
 * Where the users read model lives: a read model the library can shadow and swap for a rebuild,
 * plus how the projection loads and saves one view inside a transaction and how queries read.
 * One per store: memory (views.memory.ts), SQLite (views.sqlite.ts), PostgreSQL (views.postgres.ts).
 */
export interface UserViews<Target = unknown, Connection = unknown> {
  readonly readModel: ReadModel<Target, Connection>;
  load(target: Target, connection: Connection, userId: string): UserView | undefined | Promise<UserView | undefined>;
  save(target: Target, connection: Connection, view: UserView): unknown;
  get(store: EventStore<Connection>, userId: string): Promise<UserView | undefined>;
  list(store: EventStore<Connection>, status?: UserStatus): Promise<UserView[]>;
}

/** What one user event does to a view (undefined: nothing). Idempotent per stream version. */
export function applyUserEvent(current: UserView | undefined, event: RecordedEvent): UserView | undefined {
  const data = event.data as { userId: string; email?: string; name?: string };
  const version = Number(event.version);
  if (current !== undefined && current.version >= version) return undefined; // already applied
  switch (event.type) {
    case 'user.created':
      return { userId: data.userId, email: data.email ?? '', name: data.name ?? '', status: 'active', version };
    case 'user.email-changed':
      return current && { ...current, email: data.email ?? current.email, version };
    case 'user.renamed':
      return current && { ...current, name: data.name ?? current.name, version };
    case 'user.deactivated':
      return current && { ...current, status: 'inactive', version };
    default:
      return undefined;
  }
}

// #region projection
/**
 * The users read model as a projection: inline, so a query right after a command sees it (the
 * views are written in the command's transaction), and rebuildable from the events
 * (`app.rebuild('user-directory')`) into a shadow swapped in when caught up.
 */
export function userDirectory<Target, Connection>(
  views: UserViews<Target, Connection>,
): Projection<Target, Connection> {
  return defineProjection({
    name: 'user-directory',
    mode: 'inline',
    filter: { categories: ['user'] },
    readModel: views.readModel,
    handle: async (events, { tx, target }) => {
      for (const event of events) {
        const data = event.data as { userId: string };
        const next = applyUserEvent(await views.load(target, tx.connection, data.userId), event);
        if (next !== undefined) await views.save(target, tx.connection, next);
      }
    },
  });
}
// #endregion projection
