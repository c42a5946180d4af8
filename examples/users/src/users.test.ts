import { createInMemoryEventStore } from 'tidings';
import { usersSuite } from './__fixtures__/users-suite.js';

usersSuite('the in-memory store', async () => createInMemoryEventStore());
