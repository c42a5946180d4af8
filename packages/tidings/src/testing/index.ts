// `tidings/testing`: helpers for users' tests.
export { createFakeClock } from '../time/fake-clock.js';
export type { FakeClock } from '../time/fake-clock.js';
export { DeciderSpec } from './decider-spec.js';
export type { DeciderSpecGiven, DeciderSpecWhen, DeciderSpecThen, DeciderOutcome } from './decider-spec.js';
export { CommandHandlerSpec } from './command-handler-spec.js';
export type {
  CommandHandlerSpecOptions,
  CommandHandlerSpecGiven,
  CommandHandlerSpecWhen,
  CommandHandlerSpecThen,
} from './command-handler-spec.js';
export { SpecFailedError } from './spec-error.js';
export type { ErrorExpectation } from './spec-error.js';
export { runToHead } from './run-to-head.js';
export type { RunToHeadOptions } from './run-to-head.js';
export { ProjectionSpec } from './projection-spec.js';
export type {
  ProjectionSpecOptions,
  ProjectionRead,
  ProjectionSpecGiven,
  ProjectionSpecWhen,
  ProjectionSpecThen,
} from './projection-spec.js';
export { SagaScenario } from './saga-scenario.js';
export type {
  SagaScenarioOptions,
  SagaScenarioGiven,
  SagaScenarioWhen,
  SagaScenarioThen,
  SagaOutcome,
  SagaExpectation,
  ScenarioTimer,
} from './saga-scenario.js';
export { seededRandom } from './seeded-random.js';
