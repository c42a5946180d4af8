import { createInMemoryEventStore } from 'tidings';
import { bankSuite } from './__fixtures__/bank-suite.js';
import { memoryBalanceViews } from './views.memory.js';

// One read model per store: on memory it lives beside the store, created once per bank.
const views = new WeakMap<object, ReturnType<typeof memoryBalanceViews>>();
bankSuite(
  'the in-memory store',
  async () => createInMemoryEventStore(),
  (store) => {
    let v = views.get(store);
    if (v === undefined) views.set(store, (v = memoryBalanceViews()));
    return v;
  },
);
