import { describe, expect, it } from 'vitest';
import { DeactivateUser, UserCreated, UserDeactivated, userDecider } from '../sourcing/__fixtures__/users-decider.js';
import { createInMemoryEventStore, type InMemoryEventStore } from '../store/memory-store.js';
import { CommandHandlerSpec } from './command-handler-spec.js';

const ann = UserCreated({ userId: 'ann', email: 'ann@example.com', name: 'Ann' });

describe('CommandHandlerSpec store factories', () => {
  it('takes an async factory, calls it once per run and closes what it made', async () => {
    const made: InMemoryEventStore[] = [];
    const factory = async (): Promise<InMemoryEventStore> => {
      await Promise.resolve();
      const store = createInMemoryEventStore();
      made.push(store);
      return store;
    };
    const spec = CommandHandlerSpec.for(userDecider, { store: factory });
    await spec
      .given([ann])
      .when(DeactivateUser({ userId: 'ann' }))
      .then([UserDeactivated({ userId: 'ann' })]);
    await spec.when(DeactivateUser({ userId: 'ann' })).thenThrows();
    expect(made).toHaveLength(2);
    for (const store of made) await expect(store.append('x-1', [ann])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('leaves a store given as is open', async () => {
    const store = createInMemoryEventStore();
    await CommandHandlerSpec.for(userDecider, { store })
      .given([ann])
      .when(DeactivateUser({ userId: 'ann' }))
      .then([UserDeactivated({ userId: 'ann' })]);
    await expect(store.append('x-1', [ann])).resolves.toBeDefined();
  });
});
