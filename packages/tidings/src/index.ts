// The public API of the core package, picked by hand. Internals are not exported.
export {
  TidingsError,
  ValidationError,
  HandlerNotFoundError,
  DuplicateHandlerError,
  TimeoutError,
  AbortedError,
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
  StreamOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionStats,
  WaitForOptions,
} from './bus/event-bus-types.js';
export type { QueueOptions, QueueStats, OverflowPolicy } from './bus/delivery-queue.js';
export type { HandlerContext, PublishOptions, RequestOptions, AnyRequestMap } from './bus/handler-context.js';
export type { MatchingTypes } from './bus/pattern-types.js';
export { BusClosedError, QueueFullError, CausationDepthError } from './bus/bus-errors.js';
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
export type { Tidings, TidingsOptions } from './app/create-tidings.js';

export type * from './store/types.js';
export {
  ConcurrencyError,
  DuplicateEventError,
  StreamDeletedError,
  UnknownOutcomeError,
  StoreBusyError,
  IncompatibleStoreError,
  StoreClosedError,
} from './store/errors.js';
export {
  assertStreamId,
  assertExpectedVersion,
  prepareAppend,
  versionMatches,
  DEFAULT_MAX_EVENT_BYTES,
  MAX_STREAM_ID_LENGTH,
} from './store/validation.js';
export type { PreparedEvent, PrepareOptions } from './store/validation.js';
