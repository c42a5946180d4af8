import type { PublishOptions } from '../bus/handler-context.js';
import type { Message } from '../messages/message.js';
import type { AppendOptions, EventToAppend } from '../store/types.js';
import { assertOptions, functionOption, nameOption } from './options.js';

/** A sink: what `pipeTo` writes each result to. */
export interface NamedSink<T> {
  readonly name: string;
  write(item: T): Promise<void>;
}

export interface PublishToOptions<T> {
  /** Shown in stats and errors. Default `publish`. */
  readonly name?: string;
  /** Publish options per item (its stream id, metadata). */
  readonly options?: (item: T) => PublishOptions;
}

/**
 * A sink that publishes each result on a bus, awaiting `publish` (so a full `wait` queue on the bus
 * slows the pipeline).
 *
 * @example
 * await pipe(source, map(toAlert)).start().pipeTo(publishTo(bus, { options: (a) => ({ streamId: `alert-${a.data.sensorId}` }) }));
 */
export function publishTo<T extends Message>(
  bus: { publish(event: T, options?: PublishOptions): Promise<void> },
  options: PublishToOptions<T> = {},
): NamedSink<T> {
  assertOptions('publishTo', options, ['name', 'options']);
  functionOption('publishTo', 'options', options.options, true);
  const per = options.options;
  return {
    name: nameOption('publishTo', options.name) ?? 'publish',
    write: (item) => (per === undefined ? bus.publish(item) : bus.publish(item, per(item))),
  };
}

export interface AppendToOptions<T> {
  /** The stream each result is appended to. */
  readonly streamId: (item: T) => string;
  /** The events of one result (appended atomically, in one call). Default: the result itself. */
  readonly events?: (item: T) => EventToAppend | readonly EventToAppend[];
  /** Append options per result (an expected version). Default: none (`'any'`). */
  readonly appendOptions?: (item: T) => AppendOptions;
  readonly name?: string;
}

/**
 * A sink that appends each result to an event store, awaiting each append.
 *
 * @example
 * await pipe(alerts).start().pipeTo(appendTo(store, { streamId: (a) => `alert-${a.data.sensorId}` }));
 */
export function appendTo<T extends EventToAppend>(
  store: { append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<unknown> },
  options: AppendToOptions<T> & { readonly events?: undefined },
): NamedSink<T>;
export function appendTo<T>(
  store: { append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<unknown> },
  options: AppendToOptions<T> & { readonly events: (item: T) => EventToAppend | readonly EventToAppend[] },
): NamedSink<T>;
export function appendTo<T>(
  store: { append(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<unknown> },
  options: AppendToOptions<T>,
): NamedSink<T> {
  assertOptions('appendTo', options, ['streamId', 'events', 'appendOptions', 'name']);
  functionOption('appendTo', 'streamId', options.streamId);
  functionOption('appendTo', 'events', options.events, true);
  functionOption('appendTo', 'appendOptions', options.appendOptions, true);
  const { streamId, events, appendOptions } = options;
  return {
    name: nameOption('appendTo', options.name) ?? 'append',
    async write(item) {
      const out = events === undefined ? (item as EventToAppend) : events(item);
      const list: readonly EventToAppend[] = Array.isArray(out) ? out : [out as EventToAppend];
      await store.append(streamId(item), list, appendOptions?.(item));
    },
  };
}
