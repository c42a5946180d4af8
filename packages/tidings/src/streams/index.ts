// `tidings/streams`: operators over AsyncIterable event streams — windows, batches, backpressure.
export { pipe, compose } from './pipe.js';
export type {
  Pipeline,
  PipelineOptions,
  PipelineState,
  PipelineStats,
  RunningPipeline,
  Sink,
  Source,
  StageStats,
} from './pipeline-types.js';
export type { Stage, StageContext, StageLogic, Discarded, DiscardReason } from './stage.js';
export type { Duration, StageErrorPolicy } from './options.js';
export type { CommonStageOptions } from './define-stage.js';
export { StageError } from './errors.js';
export { map, filter, flatMap } from './map.js';
export { batch } from './batch.js';
export type { BatchOptions } from './batch.js';
export { window } from './window.js';
export type { Window, WindowOptions } from './window.js';
export { aggregate } from './aggregate.js';
export type { Aggregated, AggregateOptions } from './aggregate.js';
export { throttle } from './throttle.js';
export type { ThrottleOptions } from './throttle.js';
export { buffer } from './buffer.js';
export type { BufferOptions } from './buffer.js';
export { publishTo, appendTo } from './sinks.js';
export type { NamedSink, PublishToOptions, AppendToOptions } from './sinks.js';
export { storeSource } from './store-source.js';
export type { StoreSource, StoreSourceOptions, StoreSourceStats } from './store-source.js';
