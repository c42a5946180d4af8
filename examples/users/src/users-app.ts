import { createInMemoryEventStore, createTidings, type EventStore, type RebuildResult } from 'tidings';
import { userDirectory, type UserViews } from './directory.js';
import { userCommands, userEvents, userQueries, userStream } from './messages.js';
import { userDecider } from './user.js';
import { memoryUserViews } from './views.memory.js';

/**
 * The users service (SCENARIOS.md S3): commands go through the decider and are recorded in the
 * event store; the directory projection (the read model) is written in the same transaction,
 * answers queries by id and by status, and can be rebuilt from the events.
 */
export function createUsers<Target, Connection>(
  options: { store?: EventStore<Connection>; views?: UserViews<Target, Connection> } = {},
) {
  const store = options.store ?? (createInMemoryEventStore() as EventStore<Connection>);
  const views = options.views ?? (memoryUserViews() as unknown as UserViews<Target, Connection>);
  const app = createTidings({
    store,
    events: userEvents,
    commands: userCommands,
    queries: userQueries,
    projections: [userDirectory(views)],
  });
  // #region handle-command
  const execute = app.commandHandler(userDecider, { streamId: (command) => userStream(command.data.userId) });
  app.commands.handle('user.create', execute);
  app.commands.handle('user.update', execute);
  app.commands.handle('user.deactivate', execute);
  // #endregion handle-command
  app.queries.handle('user.get', (q) => views.get(store, q.data.userId));
  app.queries.handle('user.list', (q) => views.list(store, q.data.status));

  return {
    app,
    store,
    rebuild: (onProgress?: (done: bigint, total: bigint) => void): Promise<RebuildResult> =>
      app.rebuild('user-directory', onProgress === undefined ? {} : { onProgress: (p) => onProgress(p.done, p.total) }),
    close: () => app.close(),
  };
}
