import { ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { AnyDefinition } from '../messages/define.js';
import type { IdGenerator } from '../messages/ids.js';
import type { Message } from '../messages/message.js';
import { validateAsync } from '../messages/standard-schema.js';
import { assertKnownKeys, functionOption, optionsObject, type OptionKeys } from '../reliability/options.js';
import { TimerNotHandledError } from '../sagas/saga-errors.js';
import type { EventStore } from '../store/types.js';
import type { Clock } from '../time/clock.js';
import { createTimerPoller, type TimerPoller } from '../timers/timer-poller.js';
import { MAX_TIMER_TIME_MS } from '../timers/timer-validation.js';
import { NoStreamRuleError } from './app-errors.js';

/** `createTidings({ timers })`: the timer poller the app runs while started (with a store). */
export interface AppTimerOptions {
  /** Longest wait between looks at the store for due timers, ms on the app clock. Integer >= 1; default 1000. */
  readonly pollIntervalMs?: number;
  /** Timers fired per transaction. Integer 1..10 000; default 500. */
  readonly batchSize?: number;
  /** Told when a batch fails (the poller retries after `pollIntervalMs`). Default: nothing. */
  readonly onError?: (error: unknown) => void;
}

/** Options of `app.schedule`: exactly one of `at` and `after`. */
export interface AppScheduleOptions {
  /** Absolute due time (a Date or epoch ms). A time in the past fires at once. */
  readonly at?: Date | number;
  /** Due this many ms after now on the app clock. */
  readonly after?: number;
  /** The timer's id (a UUID; it becomes the fired event's id). Default: a new UUIDv7. Use `timerId(owner, name)` to make it deterministic. */
  readonly id?: string;
}

/** The app's timer poller, as `app.timers` shows it. */
export interface AppTimers {
  /** Ends the poller's wait and looks for due timers now (e.g. after advancing a fake clock). */
  wake(): void;
  /** While the poller waits: the clock time it waits until; `undefined` while it fires or is stopped. */
  readonly sleepingUntil: number | undefined;
  /** Timers fired by this app's poller. */
  readonly fired: number;
  readonly running: boolean;
}

const TIMER_KEYS = { pollIntervalMs: true, batchSize: true, onError: true } satisfies OptionKeys<AppTimerOptions>;

/** Checks the `timers` option's keys (values are checked by the poller). */
export function checkTimersOption(component: string, timers: unknown): void {
  if (timers === undefined) return;
  optionsObject(component, timers as AppTimerOptions, TIMER_KEYS, 'options.timers');
  functionOption(component, 'timers.onError', (timers as AppTimerOptions).onError);
}

/** The app's timers: the poller run with the app, and `schedule`/`cancel` outside sagas. */
export class TimerWiring {
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #poller: TimerPoller;
  readonly #definitions: Map<string, AnyDefinition> | undefined;
  readonly #nextId: IdGenerator;
  readonly #receiversOf: (type: string, streamId: string) => string[];

  constructor(options: {
    store: EventStore;
    clock: Clock;
    timers: AppTimerOptions | undefined;
    events: readonly AnyDefinition[] | undefined;
    nextId: IdGenerator;
    receiversOf: (type: string, streamId: string) => string[];
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#definitions =
      options.events === undefined ? undefined : new Map(options.events.map((d) => [d.type, d] as const));
    this.#nextId = options.nextId;
    this.#receiversOf = options.receiversOf;
    this.#poller = createTimerPoller(options.store, {
      clock: options.clock,
      ...(options.timers?.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.timers.pollIntervalMs }),
      ...(options.timers?.batchSize === undefined ? {} : { batchSize: options.timers.batchSize }),
      ...(options.timers?.onError === undefined ? {} : { onError: options.timers.onError }),
    });
  }

  start(): void {
    if (!this.#poller.running) this.#poller.start();
  }

  /** Bounded by the poller's `stopTimeoutMs` (10 s): rejects with `TimeoutError` after it. */
  stop(): Promise<void> {
    return this.#poller.stop();
  }

  /** `app.timers`: a live view of the poller. */
  get view(): AppTimers {
    const poller = this.#poller;
    return {
      wake: () => poller.wake(),
      get sleepingUntil() {
        return poller.sleepingUntil;
      },
      get fired() {
        return poller.fired;
      },
      get running() {
        return poller.running;
      },
    };
  }

  /** Schedules `event` on its declared stream; returns the timer id. */
  async schedule(event: Message, options: AppScheduleOptions): Promise<string> {
    if (typeof event !== 'object' || (event as unknown) === null || typeof event.type !== 'string') {
      throw new ValidationError(
        `app.schedule(event, when): expected an event { type, data } made by an event definition, got ${describeValue(event)}.`,
        [{ path: ['event'], message: 'not a message' }],
        { code: 'INVALID_MESSAGE' },
      );
    }
    assertKnownKeys('app.schedule', options, ['at', 'after', 'id']);
    const definition = this.#definitions?.get(event.type);
    if (this.#definitions !== undefined && definition === undefined) {
      throw new ValidationError(
        `app.schedule: unknown event type '${event.type}': add its defineEvent(...) to createTidings({ events }).`,
        [{ path: ['type'], message: 'undeclared event type' }],
        { code: 'UNKNOWN_TYPE' },
      );
    }
    const data: unknown =
      definition?.schema === undefined
        ? event.data
        : await validateAsync(definition.schema, event.type, event.data, 'schedule');
    const streamId = definition?.stream?.(event);
    if (streamId === undefined) throw new NoStreamRuleError(event.type);
    const receivers = this.#receiversOf(event.type, streamId);
    if (receivers.length === 0) {
      throw new TimerNotHandledError(
        event.type,
        `app.schedule: no saga, processor or subscription of this app receives '${event.type}', so the timer would fire into the void. Add it to a saga's handles, subscribe to it (app.subscribe('${event.type}', …, { name })) or give a processor for it, then schedule.`,
      );
    }
    const when = options as AppScheduleOptions | undefined;
    const at = when?.after === undefined ? when?.at : afterToAt(this.#clock.now(), when.after, when.at);
    const id = when?.id ?? this.#nextId();
    await this.#store.timers.schedule({
      id,
      streamId,
      message: { type: event.type, data, ...(event.metadata === undefined ? {} : { metadata: event.metadata }) },
      at,
    });
    this.#poller.wake();
    return id.toLowerCase();
  }

  cancel(id: string): Promise<boolean> {
    return this.#store.timers.cancel(id);
  }

  /** Wakes the poller (a transition scheduled a timer in this process). */
  wake(): void {
    this.#poller.wake();
  }
}

function afterToAt(now: number, after: unknown, at: unknown): number {
  if (
    at !== undefined ||
    typeof after !== 'number' ||
    !Number.isInteger(after) ||
    after < 0 ||
    now + after > MAX_TIMER_TIME_MS
  ) {
    throw new ValidationError(
      `app.schedule: give exactly one of 'at' (a Date or epoch ms) and 'after' (an integer number of ms >= 0), got after ${describeValue(after)}${at === undefined ? '' : ' and at'}.`,
      [{ path: ['after'], message: 'invalid' }],
      { code: 'INVALID_TIMER_TIME' },
    );
  }
  return now + after;
}
