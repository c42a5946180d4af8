import { createInMemoryEventStore } from 'tidings';
import { shopSuite } from './__fixtures__/shop-suite.js';

shopSuite('the in-memory store', async () => createInMemoryEventStore());
