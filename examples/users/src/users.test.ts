import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore, type EventStore } from 'tidings';
import { usersSuite } from './__fixtures__/users-suite.js';
import { CreateUser, UpdateUser } from './messages.js';
import { createUsers } from './users-app.js';

usersSuite('the in-memory store', async () => createInMemoryEventStore());

describe('read model rebuild', () => {
  it('keeps what commands applied while it was reading the store', async () => {
    const store = createInMemoryEventStore();
    const users = createUsers({ store });
    await users.app.send(CreateUser({ userId: 'u-1', email: 'ada@example.com', name: 'Ada' }));
    let reachedEnd!: () => void;
    const atEnd = new Promise<void>((resolve) => (reachedEnd = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A reader that has read everything but not yet returned (a page in flight on a real database).
    const slowReader = {
      async *readAll(options: Parameters<EventStore['readAll']>[0]) {
        yield* store.readAll(options);
        reachedEnd();
        await held;
      },
    };
    const rebuilt = users.directory.rebuild(slowReader as unknown as EventStore);
    await atEnd;
    await users.app.send(UpdateUser({ userId: 'u-1', name: 'Countess' })); // applied live meanwhile
    release();
    await expect(rebuilt).resolves.toBe(1);
    expect(users.directory.get('u-1')).toMatchObject({ name: 'Countess', version: 2 });
    await users.close();
  });
});
