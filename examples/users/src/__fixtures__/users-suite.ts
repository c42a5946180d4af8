import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from 'tidings';
import { CommandHandlerSpec } from 'tidings/testing';
import {
  CreateUser,
  DeactivateUser,
  GetUser,
  ListUsers,
  UpdateUser,
  UserCreated,
  UserDeactivated,
  UserEmailChanged,
  UserRenamed,
} from '../messages.js';
import { UserAlreadyExists, UserAlreadyInactive, UserNotActive, userDecider } from '../user.js';
import type { UserViews } from '../directory.js';
import { createUsers } from '../users-app.js';

const ada = { userId: 'u-1', email: 'ada@example.com', name: 'Ada' };

/**
 * The users decider and service (SCENARIOS.md S3), run against any event store: the same tests pass
 * on the in-memory store, SQLite and PostgreSQL.
 */
export function usersSuite<Target, Connection>(
  name: string,
  openStore: () => Promise<EventStore<Connection>>,
  viewsFor: (store: EventStore<Connection>) => UserViews<Target, Connection>,
): void {
  describe(`users (S3) on ${name}`, () => {
    const stores: EventStore<Connection>[] = [];
    const store = async () => {
      const s = await openStore();
      stores.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of stores) await s.close();
    });
    const spec = async () => CommandHandlerSpec.for(userDecider, { store: await store() });

    it('creates a user', async () => {
      await (await spec()).when(CreateUser(ada)).then(UserCreated(ada));
    });
    // #region spec
    it('refuses to create a user twice', async () => {
      await (await spec()).given(UserCreated(ada)).when(CreateUser(ada)).thenThrows(UserAlreadyExists);
    });
    // #endregion spec
    it('records only what an update changes', async () => {
      const s = await spec();
      await s
        .given(UserCreated(ada))
        .when(UpdateUser({ userId: 'u-1', email: 'ada@lovelace.org', name: 'Ada' }))
        .then(UserEmailChanged({ userId: 'u-1', email: 'ada@lovelace.org' }));
      await (
        await spec()
      )
        .given(UserCreated(ada))
        .when(UpdateUser({ userId: 'u-1', name: 'Countess' }))
        .then(UserRenamed({ userId: 'u-1', name: 'Countess' }));
      await (
        await spec()
      )
        .given(UserCreated(ada))
        .when(UpdateUser({ userId: 'u-1', name: 'Ada' }))
        .thenNothing();
    });
    it('refuses to update an unknown or inactive user', async () => {
      await (await spec()).when(UpdateUser({ userId: 'u-1', name: 'x' })).thenThrows(UserNotActive);
      await (
        await spec()
      )
        .given([UserCreated(ada), UserDeactivated({ userId: 'u-1', reason: null })])
        .when(UpdateUser({ userId: 'u-1', name: 'x' }))
        .thenThrows(UserNotActive);
    });
    it('deactivates once', async () => {
      await (
        await spec()
      )
        .given(UserCreated(ada))
        .when(DeactivateUser({ userId: 'u-1', reason: 'left' }))
        .then(UserDeactivated({ userId: 'u-1', reason: 'left' }));
      await (
        await spec()
      )
        .given([UserCreated(ada), UserDeactivated({ userId: 'u-1', reason: null })])
        .when(DeactivateUser({ userId: 'u-1' }))
        .thenThrows(UserAlreadyInactive);
    });

    it('the read model answers get and list by status, and rebuilds to the same answer from the events', async () => {
      const s = await store();
      const users = createUsers({ store: s, views: viewsFor(s) });
      await users.app.send(CreateUser(ada));
      await users.app.send(CreateUser({ userId: 'u-2', email: 'grace@example.com', name: 'Grace' }));
      await users.app.send(UpdateUser({ userId: 'u-2', name: 'Grace Hopper' }));
      await users.app.send(DeactivateUser({ userId: 'u-1' }));
      await expect(users.app.send(DeactivateUser({ userId: 'u-1' }))).rejects.toBeInstanceOf(UserAlreadyInactive);
      await expect(users.app.send(UpdateUser({ userId: 'u-2', email: 'not an email' }))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });

      const live = await users.app.query(ListUsers({}));
      expect(live.map((u) => [u.userId, u.status, u.name])).toEqual([
        ['u-1', 'inactive', 'Ada'],
        ['u-2', 'active', 'Grace Hopper'],
      ]);
      expect((await users.app.query(ListUsers({ status: 'active' }))).map((u) => u.userId)).toEqual(['u-2']);
      await expect(users.app.query(GetUser({ userId: 'u-9' }))).resolves.toBeUndefined();

      const progress: bigint[] = [];
      const rebuilt = await users.rebuild((done) => progress.push(done));
      expect(rebuilt).toMatchObject({ projection: 'user-directory', events: 4 });
      expect(progress.at(-1)).toBe(rebuilt.position);
      await expect(users.app.query(ListUsers({}))).resolves.toEqual(live);
      await expect(users.app.query(GetUser({ userId: 'u-2' }))).resolves.toMatchObject({ name: 'Grace Hopper' });
      await users.close();
    });
  });
}
