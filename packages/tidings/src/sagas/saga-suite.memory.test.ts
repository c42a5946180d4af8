import { sagaSuite } from '@tidings/contract-tests';
import { createInMemoryEventStore } from 'tidings';

sagaSuite('the in-memory store', () => Promise.resolve(createInMemoryEventStore()));
