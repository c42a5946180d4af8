import {
  createInMemoryEventStore,
  createTidings,
  handleCommand,
  type EventOf,
  type EventStore,
  type PublishOptions,
} from 'tidings';
import { createUserDirectory } from './directory.js';
import { userCommands, userEvents, userQueries, userStream } from './messages.js';
import { userDecider } from './user.js';

/**
 * The users service (SCENARIOS.md S3): commands go through the decider and are recorded in the
 * event store; the directory (the read model) answers queries and can be rebuilt from the events.
 */
export function createUsers(options: { store?: EventStore } = {}) {
  const store = options.store ?? createInMemoryEventStore();
  const directory = createUserDirectory();
  const app = createTidings({ events: userEvents, commands: userCommands, queries: userQueries });

  type Command = Parameters<typeof userDecider.decide>[0] & { readonly id: string };
  type Publisher = { publish(event: EventOf<typeof userDecider>, options?: PublishOptions): Promise<void> };
  // #region handle-command
  const execute = async (command: Command, ctx: Publisher): Promise<void> => {
    const result = await handleCommand(store, userStream(command.data.userId), userDecider, command);
    directory.apply(result.newEvents);
    if (result.duplicate) return; // a retried command: its events were published the first time
    // Recorded events are messages too: published with their stored ids for in-process subscribers.
    for (const e of result.newEvents) {
      await ctx.publish(e, { streamId: e.streamId, id: e.id, occurredAt: e.recordedAt });
    }
  };
  // #endregion handle-command
  app.commands.handle('user.create', (cmd, ctx) => execute(cmd, ctx));
  app.commands.handle('user.update', (cmd, ctx) => execute(cmd, ctx));
  app.commands.handle('user.deactivate', (cmd, ctx) => execute(cmd, ctx));
  app.queries.handle('user.get', (q) => directory.get(q.data.userId));
  app.queries.handle('user.list', (q) => directory.list(q.data.status));

  return { app, store, directory, rebuild: () => directory.rebuild(store), close: () => app.close() };
}
