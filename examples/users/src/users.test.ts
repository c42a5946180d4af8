import { describe, it } from 'vitest';
import { createInMemoryEventStore } from 'tidings';
import { ProjectionSpec } from 'tidings/testing';
import { usersSuite } from './__fixtures__/users-suite.js';
import { userDirectory } from './directory.js';
import { UserCreated, UserDeactivated, UserRenamed } from './messages.js';
import { memoryUserViews } from './views.memory.js';

usersSuite(
  'the in-memory store',
  async () => createInMemoryEventStore(),
  () => memoryUserViews(),
);

describe('the user directory projection', () => {
  // #region projection-spec
  it('answers by id and by status, live and after a rebuild', async () => {
    const views = memoryUserViews();
    await ProjectionSpec.for(userDirectory(views))
      .given([UserCreated({ userId: 'u-1', email: 'ada@example.com', name: 'Ada' })], 'user-u-1')
      .given([UserCreated({ userId: 'u-2', email: 'grace@example.com', name: 'Grace' })], 'user-u-2')
      .when(
        [UserRenamed({ userId: 'u-1', name: 'Countess' }), UserDeactivated({ userId: 'u-1', reason: null })],
        'user-u-1',
      )
      .then(
        async (store) => (await views.list(store, 'inactive')).map((v) => [v.userId, v.name, v.version]),
        [['u-1', 'Countess', 3]],
      );
  });
  // #endregion projection-spec
});
