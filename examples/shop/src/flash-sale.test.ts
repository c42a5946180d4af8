import { createInMemoryEventStore } from 'tidings';
import { flashSaleSuite } from './__fixtures__/flash-sale-suite.js';

flashSaleSuite('the in-memory store', async () => createInMemoryEventStore());
