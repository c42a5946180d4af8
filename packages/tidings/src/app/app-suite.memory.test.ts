import { appFacadeSuite } from '@tidings/contract-tests';
import { createInMemoryEventStore, memoryCollection, type CollectionWriter } from 'tidings';

appFacadeSuite<CollectionWriter<number>, unknown>(
  'the in-memory store',
  () => Promise.resolve(createInMemoryEventStore()),
  () => {
    const model = memoryCollection<number>('totals');
    return {
      readModel: model,
      add: (target, _connection, key, amount) => target.set(key, (target.get(key) ?? 0) + amount),
      read: () => Promise.resolve(model.entries()),
    };
  },
);
