// The public API of the core package, picked by hand. Internals are not exported.
export {
  TidingsError,
  ValidationError,
  HandlerNotFoundError,
  DuplicateHandlerError,
  TimeoutError,
  AbortedError,
  CommandRejectedError,
} from './errors.js';
export type { ValidationIssue } from './errors.js';

export type { Clock, TimerHandle } from './time/clock.js';
export { systemClock } from './time/clock.js';

export type { Message, Envelope, EventMap, RequestMap, MessageOf, EnvelopeOf, RequestOf } from './messages/message.js';
export type { Metadata } from './messages/metadata.js';
export { isTraceparent } from './messages/metadata.js';
export { defineEvent, defineCommand, defineQuery, payload, returns } from './messages/define.js';
export type {
  MessageDefinition,
  EventDefinition,
  CommandDefinition,
  QueryDefinition,
  AnyDefinition,
  EventMapOf,
  RequestMapOf,
  DefinitionData,
  DefinitionResult,
  Payload,
  Returns,
  EventOptions,
  StreamRule,
} from './messages/define.js';
export type { StandardSchemaV1 } from './messages/standard-schema.js';
export { uuidv7, uuidv7Generator, isUuid } from './messages/ids.js';
export type { IdGenerator, RandomSource } from './messages/ids.js';
export { assertSerializable } from './messages/serializable.js';
export { categoryOf } from './messages/names.js';
export { toWire, fromWire } from './messages/wire.js';
export type { WireMessage, WireEnvelope } from './messages/wire.js';

export type { Middleware, MiddlewareContext, MiddlewareKind } from './bus/middleware.js';
export { compose } from './bus/middleware.js';
export { createEventBus } from './bus/event-bus.js';
export type {
  EventBus,
  EventBusOptions,
  EventHandler,
  EventStream,
  HandlerFailure,
  RedeliveredMessage,
  StreamOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionStats,
  WaitForOptions,
} from './bus/event-bus-types.js';
export type { QueueOptions, QueueStats, OverflowPolicy } from './bus/delivery-queue.js';
export type { HandlerContext, PublishOptions, RequestOptions, AnyRequestMap } from './bus/handler-context.js';
export type { MatchingTypes } from './bus/pattern-types.js';
export {
  BusClosedError,
  QueueFullError,
  CausationDepthError,
  FanOutLimitError,
  CloseIncompleteError,
} from './bus/bus-errors.js';
export type { UnfinishedWork } from './bus/bus-errors.js';
export type { CloseOptions } from './bus/drain.js';
export { createCommandBus, createQueryBus } from './bus/request-bus.js';
export type {
  RequestBus,
  CommandBus,
  QueryBus,
  RequestHandler,
  RequestBusOptions,
  HandleOptions,
  Registration,
} from './bus/request-bus.js';
export { createTidings } from './app/create-tidings.js';
export type {
  Tidings,
  TidingsOptions,
  TidingsSubscribe,
  TidingsSubscribeOptions,
  HistoryOptions,
  AppCatchUpOptions,
  ReplayOptions,
} from './app/create-tidings.js';
export { NoStreamRuleError, NoStoreError, AppStateError } from './app/app-errors.js';
export type {
  AppRunnerOptions,
  CommandHandlerOptions,
  DurableSubscribeOptions,
  DurableHandlerContext,
} from './app/durable-app.js';

export type * from './store/types.js';
export type * from './store/processing-types.js';
export {
  ConcurrencyError,
  DuplicateEventError,
  StreamDeletedError,
  UnknownOutcomeError,
  StoreBusyError,
  IncompatibleStoreError,
  StoreClosedError,
  LeaseLostError,
} from './store/errors.js';
export { createInMemoryEventStore } from './store/memory-store.js';

// workflows
export { defineWorkflow } from './workflows/define-workflow.js';
export { CompensationFailedError } from './workflows/workflow-errors.js';
export { WorkflowEventType } from './workflows/workflow-events.js';
export type { WorkflowEventData } from './workflows/workflow-events.js';
export type {
  StepFailurePolicy,
  StepPhase,
  Workflow,
  WorkflowInstance,
  WorkflowOperations,
  WorkflowSpec,
  WorkflowStarted,
  WorkflowStatus,
  WorkflowStep,
  WorkflowStepContext,
  WorkflowStepView,
} from './workflows/workflow-types.js';

// timers
export { timerId } from './timers/timer-id.js';
export { fireDueTimers } from './timers/fire-due-timers.js';
export type { FireDueTimersOptions } from './timers/fire-due-timers.js';
export { createTimerPoller } from './timers/timer-poller.js';
export type { TimerPoller, TimerPollerOptions } from './timers/timer-poller.js';
export { TimerParkedError } from './timers/timer-parked-error.js';
export type * from './timers/timer-types.js';

// sagas
export { defineSaga } from './sagas/define-saga.js';
export {
  TimerNotHandledError,
  SagaCommandNotHandledError,
  SagaCorrelationError,
  SagaSendRejectedError,
} from './sagas/saga-errors.js';
export type {
  Saga,
  SagaSpec,
  SagaRecorder,
  SagaRejection,
  SagaScheduleOptions,
  SagaIgnoredReason,
  SagaInstance,
  TransitionData,
  RejectionData,
  RecordedSend,
  RecordedTimerOp,
} from './sagas/saga-types.js';
export type { AppSagas } from './app/saga-wiring.js';
export type { AppTimerOptions, AppScheduleOptions, AppTimers } from './app/timer-wiring.js';

// processing
export { defineProcessor } from './processing/define-processor.js';
export { createProcessorRunner } from './processing/runner.js';
export { UnknownProcessorError, UnknownParkedEventError, ProcessorNotRunningError } from './processing/errors.js';
export type {
  EffectMode,
  FailurePolicy,
  EventSelector,
  SelectedEvent,
  ProcessorContext,
  TransactionalProcessorContext,
  ProcessorContextFor,
  ProcessorRetryPolicy,
  ProcessorBatchOptions,
  ProcessorSpec,
  Processor,
  ProcessorErrorInfo,
  ProcessorRunnerOptions,
  ProcessorState,
  ProcessorStatus,
  RunnerWaitOptions,
  CatchUpOptions,
  ParkedResolution,
  ParkedEventOperations,
  ProcessorRunner,
} from './processing/processor-types.js';
export type { InMemoryEventStore, InMemoryEventStoreOptions } from './store/memory-store.js';
export type { CommonStoreOptions, StoreErrorHandler } from './store/store-options.js';

// projections
export { defineProjection } from './projections/define-projection.js';
export type {
  Projection,
  ProjectionDefinition,
  ProjectionContext,
  ProjectionMode,
} from './projections/define-projection.js';
export type { ReadModel, ReadModelShadow } from './projections/read-model.js';
export { memoryCollection } from './projections/memory-collection.js';
export type { MemoryCollection, CollectionWriter } from './projections/memory-collection.js';
export { rebuildProjection, ProjectionBusyError } from './projections/rebuild-projection.js';
export type { RebuildOptions, RebuildProgress, RebuildResult } from './projections/rebuild-projection.js';

// reliability
export { CircuitOpenError, BulkheadFullError, RateLimitedError, UnrecoverableError } from './reliability/errors.js';
export { retry, retryMiddleware, backoffDelay } from './reliability/retry.js';
export type { RetryPolicy, RetryAttempt, RetryEvent } from './reliability/retry.js';
export { withTimeout, timeoutMiddleware } from './reliability/timeout.js';
export type { TimeoutOptions } from './reliability/timeout.js';
export { createCircuitBreaker, circuitBreakerMiddleware } from './reliability/circuit-breaker.js';
export type {
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitState,
  CircuitStateChange,
  ListenerHandle,
} from './reliability/circuit-breaker.js';
export { createBulkhead, bulkheadMiddleware } from './reliability/bulkhead.js';
export type { Bulkhead, BulkheadOptions, BulkheadStats } from './reliability/bulkhead.js';
export { createRateLimiter, rateLimitMiddleware } from './reliability/rate-limiter.js';
export type {
  RateLimiter,
  RateLimiterOptions,
  RateLimiterStats,
  RateLimitMode,
  TokenBucketOptions,
  SlidingWindowOptions,
} from './reliability/rate-limiter.js';
export { createIdempotencyStore } from './reliability/idempotency-store.js';
export type {
  IdempotencyStore,
  IdempotencyRecord,
  IdempotencyClaim,
  MemoryIdempotencyStore,
  MemoryIdempotencyStoreOptions,
} from './reliability/idempotency-store.js';
export { idempotent, idempotencyMiddleware, defaultIdempotencyKey } from './reliability/idempotency.js';
export type { IdempotencyOptions } from './reliability/idempotency.js';
export { createDeadLetterStore } from './reliability/dead-letter-store.js';
export type {
  DeadLetter,
  NewDeadLetter,
  DeadLetterFilter,
  DeadLetterRetryOutcome,
  DeadLetterStore,
  MemoryDeadLetterStore,
  MemoryDeadLetterStoreOptions,
} from './reliability/dead-letter-store.js';
export { deadLetterMiddleware } from './reliability/dead-letter.js';
export type { DeadLetterOptions } from './reliability/dead-letter.js';
export { serializeError } from './reliability/serialize-error.js';
export type { SerializedError } from './reliability/serialize-error.js';
export { reliabilityStack } from './reliability/stack.js';
export type { ReliabilityStackOptions } from './reliability/stack.js';

// sourcing
export { defineDecider, evolveAll, initialStateOf } from './sourcing/decider.js';
export type {
  Decider,
  DecideResult,
  DeciderSpecification,
  DefinedDecider,
  MessageFrom,
  StateOf,
  CommandOf,
  EventOf,
  RecordedOf,
} from './sourcing/decider.js';
export { handleCommand } from './sourcing/handle-command.js';
export type {
  HandleCommandOptions,
  HandleCommandResult,
  CommandStore,
  CommandInput,
} from './sourcing/handle-command.js';
export type { ConflictRetryOptions } from './sourcing/conflict-backoff.js';
export { loadState } from './sourcing/load-state.js';
export type { LoadStateOptions, LoadedState } from './sourcing/load-state.js';
export { commandEventIds } from './sourcing/command-event-ids.js';
export { Aggregate, aggregate } from './sourcing/aggregate.js';
export type { AggregateOptions, AggregateState, AggregateEvent } from './sourcing/aggregate.js';
export { createInMemorySnapshotStore } from './sourcing/snapshot-store.js';
export type { Snapshot, SnapshotStore, InMemorySnapshotStore } from './sourcing/snapshot-store.js';
export {
  createStreamSnapshotStore,
  SNAPSHOT_EVENT_TYPE,
  SNAPSHOT_STREAM_PREFIX,
} from './sourcing/stream-snapshot-store.js';
export type { StreamSnapshotStoreOptions } from './sourcing/stream-snapshot-store.js';
export type { SnapshotOptions } from './sourcing/snapshot-policy.js';
export { createUpcaster } from './sourcing/upcaster.js';
export type { Upcaster, UpcasterDefinition, UpcastChain, UpcastStep } from './sourcing/upcaster.js';
export { UpcastError, InvalidSnapshotError } from './sourcing/errors.js';
