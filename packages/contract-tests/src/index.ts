// The shared suites every Tidings store must pass. Private to the workspace.
export { eventStoreContract } from './contract.js';
export type { EventStoreContractOptions } from './contract.js';
export type { StoreHarness, StoreOptions, ReadModelHarness, HarnessCapability } from './harness.js';
export {
  appendReadModel,
  atomicCheckpointViolations,
  brokenProcessing,
  fakeClockExpiry,
  fencedWriteViolations,
  serverClockExpiry,
} from './processing-checks.js';
export type { LeaseExpiry, ProcessingDefect } from './processing-checks.js';
export {
  readsDuringAppends,
  conflictingAppends,
  sameTickAppends,
  positionViolations,
  contiguityViolations,
} from './checks.js';
export { appFacadeSuite } from './app-suite.js';
export type { TotalsTable } from './app-suite.js';
export { subscriptionHandOver } from './subscription-checks.js';
export { sagaSuite } from './saga-suite.js';
export { workflowSuite } from './workflow-suite.js';
