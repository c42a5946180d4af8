import {
  booleanOption,
  clockOption,
  functionListOption,
  functionOption,
  integerOption,
  invalidOption,
  oneOfOption,
  optionsObject,
  signalOption,
  stringOption,
  type OptionKeys,
} from '../reliability/options.js';
import { OVERFLOW_POLICIES, type QueueOptions } from './delivery-queue.js';
import type { EventBusOptions, StreamOptions, SubscribeOptions, WaitForOptions } from './event-bus-types.js';
import type { PublishOptions, RequestOptions } from './handler-context.js';
import type { HandleOptions, RequestBusOptions } from './request-bus.js';

// The accepted keys of every bus entry point (the compiler keeps each list equal to its type) and
// the checks of their values. Counts and durations are checked where they are used (delivery
// queue, bus constructors), with the same helpers. Nothing here runs on emit() without options.

export const EVENT_BUS_KEYS = {
  events: true,
  clock: true,
  nextId: true,
  onError: true,
  middleware: true,
  maxCausationDepth: true,
  maxDescendants: true,
  checkSerializable: true,
  closeTimeoutMs: true,
  queueWaitTimeoutMs: true,
} satisfies OptionKeys<EventBusOptions>;

const BUS_MIDDLEWARE_KEYS = { publish: true, handle: true } satisfies OptionKeys<
  NonNullable<EventBusOptions['middleware']>
>;

const PUBLISH_KEYS = { streamId: true, id: true, occurredAt: true } satisfies OptionKeys<PublishOptions>;
const SUBSCRIBE_KEYS = { name: true, queue: true, middleware: true, signal: true } satisfies OptionKeys<
  SubscribeOptions<unknown>
>;
export const QUEUE_KEYS = { capacity: true, concurrency: true, overflow: true, key: true } satisfies OptionKeys<
  QueueOptions<unknown>
>;
const WAIT_FOR_KEYS = { timeout: true, signal: true } satisfies OptionKeys<WaitForOptions>;
const STREAM_KEYS = { capacity: true, overflow: true, signal: true } satisfies OptionKeys<StreamOptions>;
const REQUEST_KEYS = { signal: true, id: true } satisfies OptionKeys<RequestOptions>;
const HANDLE_KEYS = { name: true, middleware: true } satisfies OptionKeys<HandleOptions>;

const REQUEST_BUS_KEYS = {
  clock: true,
  nextId: true,
  middleware: true,
  maxCausationDepth: true,
  maxDescendants: true,
  closeTimeoutMs: true,
} satisfies OptionKeys<Omit<RequestBusOptions, 'definitions'>>;

/** The options of `createCommandBus` / `createQueryBus`: the bus options, with the definitions under their own name. */
export const COMMAND_BUS_KEYS = { commands: true, ...REQUEST_BUS_KEYS } as const;
export const QUERY_BUS_KEYS = { queries: true, ...REQUEST_BUS_KEYS } as const;

/** Checks `createEventBus` options (also what `createTidings` passes on, under its own name). */
export function checkEventBusOptions(component: string, options: EventBusOptions | undefined): EventBusOptions {
  const checked = optionsObject(component, options, EVENT_BUS_KEYS);
  definitionsOption(component, 'events', checked.events);
  clockOption(component, 'clock', checked.clock);
  functionOption(component, 'nextId', checked.nextId);
  functionOption(component, 'onError', checked.onError);
  booleanOption(component, 'checkSerializable', checked.checkSerializable);
  if (checked.middleware !== undefined) {
    optionsObject(component, checked.middleware, BUS_MIDDLEWARE_KEYS, 'options.middleware');
    functionListOption(component, 'middleware.publish', checked.middleware.publish);
    functionListOption(component, 'middleware.handle', checked.middleware.handle);
  }
  return checked;
}

/** Checks the shared part of the command / query bus options (the definitions are checked by the bus). */
export function checkRequestBusOptions(component: string, options: RequestBusOptions): void {
  definitionsOption(component, 'definitions', options.definitions);
  clockOption(component, 'clock', options.clock);
  functionOption(component, 'nextId', options.nextId);
  functionListOption(component, 'middleware', options.middleware);
}

/** A list of message definitions, when given. */
export function definitionsOption(component: string, option: string, value: unknown): void {
  if (value === undefined) return;
  const ok =
    Array.isArray(value) &&
    value.every(
      (d) =>
        typeof d === 'function' &&
        typeof (d as { type?: unknown }).type === 'string' &&
        typeof (d as { kind?: unknown }).kind === 'string',
    );
  if (!ok)
    throw invalidOption(component, option, value, 'an array of defineEvent / defineCommand / defineQuery results');
}

/** Checks the options of a publish or emit; called only when options are given. */
export function checkPublishOptions(component: 'emit' | 'publish', options: PublishOptions): void {
  optionsObject(component, options, PUBLISH_KEYS);
  if (options.streamId !== undefined && typeof options.streamId !== 'string') {
    throw invalidOption(component, 'streamId', options.streamId, "a string such as 'order-42'");
  }
  stringOption(component, 'id', options.id);
  const at = options.occurredAt;
  if (at !== undefined && !(at instanceof Date && Number.isFinite(at.getTime()))) {
    throw invalidOption(component, 'occurredAt', at, 'a valid Date');
  }
}

/** {@link checkPublishOptions} for `publish`: a rejected promise when refused, else undefined. */
export function refusePublishOptions(options: PublishOptions): Promise<never> | undefined {
  try {
    checkPublishOptions('publish', options);
    return undefined;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Checks subscribe options (the queue options are checked by the queue). */
export function checkSubscribeOptions(options: SubscribeOptions<unknown>): void {
  optionsObject('subscribe', options, SUBSCRIBE_KEYS);
  stringOption('subscribe', 'name', options.name, 1_000);
  functionListOption('subscribe', 'middleware', options.middleware);
  signalOption('subscribe', 'signal', options.signal);
  const queue: unknown = options.queue;
  if (queue !== undefined && queue !== true) optionsObject('subscribe', queue as object, QUEUE_KEYS, 'options.queue');
}

/** Checks waitFor's predicate and options. */
export function checkWaitFor(predicate: unknown, options: WaitForOptions): void {
  functionOption('waitFor', 'predicate', predicate);
  optionsObject('waitFor', options, WAIT_FOR_KEYS);
  signalOption('waitFor', 'signal', options.signal);
}

/** Checks stream options. */
export function checkStreamOptions(options: StreamOptions): void {
  optionsObject('stream', options, STREAM_KEYS);
  if (options.capacity !== undefined) integerOption('stream', 'capacity', options.capacity, 1);
  oneOfOption('stream', 'overflow', options.overflow, OVERFLOW_POLICIES);
  signalOption('stream', 'signal', options.signal);
}

/** Checks the options of a send or query; called only when options are given. */
export function checkRequestOptions(component: 'send' | 'query', options: RequestOptions): void {
  optionsObject(component, options, REQUEST_KEYS);
  signalOption(component, 'signal', options.signal);
}

/** Checks handle() options. */
export function checkHandleOptions(options: HandleOptions): void {
  optionsObject('handle', options, HANDLE_KEYS);
  stringOption('handle', 'name', options.name, 1_000);
  functionListOption('handle', 'middleware', options.middleware);
}
