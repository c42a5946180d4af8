import { workflowSuite } from '@tidings/contract-tests';
import { createInMemoryEventStore } from 'tidings';

workflowSuite('the in-memory store', () => Promise.resolve(createInMemoryEventStore()));
