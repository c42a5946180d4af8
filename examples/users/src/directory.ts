import type { EventReader, EventStore, RecordedEvent } from 'tidings';
import type { UserStatus, UserView } from './messages.js';

/**
 * The users read model: a projection of the user streams into views answering `user.get` and
 * `user.list`. Applying an event is idempotent per stream version, so a redelivered event changes
 * nothing; `rebuild` replays the store into a fresh map and swaps it in only when done.
 */
export function createUserDirectory() {
  let views = new Map<string, UserView>();
  // Events applied live while a rebuild reads: its reader may have passed them already, so they are
  // applied to the rebuilt map too before it is swapped in (applying is idempotent per version).
  const rebuilding = new Set<RecordedEvent[]>();

  const applyTo = (target: Map<string, UserView>, event: RecordedEvent): void => {
    const data = event.data as { userId: string; email?: string; name?: string };
    const version = Number(event.version);
    const current = target.get(data.userId);
    if (current !== undefined && current.version >= version) return; // already applied
    switch (event.type) {
      case 'user.created':
        target.set(data.userId, {
          userId: data.userId,
          email: data.email ?? '',
          name: data.name ?? '',
          status: 'active',
          version,
        });
        return;
      case 'user.email-changed':
        if (current !== undefined) target.set(data.userId, { ...current, email: data.email ?? current.email, version });
        return;
      case 'user.renamed':
        if (current !== undefined) target.set(data.userId, { ...current, name: data.name ?? current.name, version });
        return;
      case 'user.deactivated':
        if (current !== undefined) target.set(data.userId, { ...current, status: 'inactive', version });
        return;
      default:
        return;
    }
  };

  return {
    apply(events: readonly RecordedEvent[]): void {
      for (const event of events) applyTo(views, event);
      for (const live of rebuilding) live.push(...events);
    },
    get: (userId: string): UserView | undefined => views.get(userId),
    list(status?: UserStatus): UserView[] {
      const all = [...views.values()].filter((v) => status === undefined || v.status === status);
      return all.sort((a, b) => a.userId.localeCompare(b.userId));
    },
    /** Replays every user event from position 0 into a shadow map, then swaps it in. Returns how many events were read. */
    async rebuild(store: Pick<EventStore, 'readAll'> & EventReader): Promise<number> {
      const shadow = new Map<string, UserView>();
      const live: RecordedEvent[] = [];
      rebuilding.add(live);
      try {
        let read = 0;
        for await (const event of store.readAll({ filter: { categories: ['user'] } })) {
          applyTo(shadow, event);
          read++;
        }
        for (const event of live) applyTo(shadow, event);
        views = shadow;
        return read;
      } finally {
        rebuilding.delete(live);
      }
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
