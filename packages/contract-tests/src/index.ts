// The shared suites every Tidings store must pass. Private to the workspace.
export { eventStoreContract } from './contract.js';
export type { EventStoreContractOptions } from './contract.js';
export type { StoreHarness, StoreOptions } from './harness.js';
export {
  readsDuringAppends,
  conflictingAppends,
  sameTickAppends,
  positionViolations,
  contiguityViolations,
} from './checks.js';
export { subscriptionHandOver } from './subscription-checks.js';
