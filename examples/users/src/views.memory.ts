import { memoryCollection, type CollectionWriter } from 'tidings';
import type { UserViews } from './directory.js';
import type { UserView } from './messages.js';

/** The users read model in memory (for the in-memory store). */
export function memoryUserViews(): UserViews<CollectionWriter<UserView>> {
  const views = memoryCollection<UserView>('users');
  return {
    readModel: views,
    load: (target, _connection, userId) => target.get(userId),
    save: (target, _connection, view) => target.set(view.userId, view),
    get: (_store, userId) => Promise.resolve(views.get(userId)),
    list: (_store, status) =>
      Promise.resolve(views.values().filter((v) => status === undefined || v.status === status)),
  };
}
