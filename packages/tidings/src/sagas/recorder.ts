import { TidingsError, ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { Message } from '../messages/message.js';
import { assertMessageType } from '../messages/names.js';
import { assertKnownKeys } from '../reliability/options.js';
import { MAX_TIMER_TIME_MS } from '../timers/timer-validation.js';
import { SagaCommandNotHandledError, TimerNotHandledError } from './saga-errors.js';
import type { SagaRecorder, SagaScheduleOptions } from './saga-types.js';

/** An effect recorded by a reaction, in order. */
export type RecordedEffect =
  | { readonly kind: 'send'; readonly command: Message }
  | { readonly kind: 'schedule'; readonly name: string; readonly event: Message; readonly dueAt: number }
  | { readonly kind: 'cancel'; readonly name: string };

/** What the recorder needs from its saga and app. */
export interface RecorderContext {
  readonly saga: string;
  readonly instanceId: string;
  readonly now: number;
  /** Event types the saga reacts to (a timer's event must be one). */
  readonly eventTypes: ReadonlySet<string>;
  /** Declared command types (`sends`), if any. */
  readonly sends: ReadonlySet<string> | undefined;
  /** Whether the app has a handler for a command type. */
  readonly hasHandler: (type: string) => boolean;
}

/** A recorder plus what it collected; `seal()` closes it when the reaction returned. */
export interface OpenRecorder {
  readonly recorder: SagaRecorder;
  readonly effects: RecordedEffect[];
  readonly completed: () => boolean;
  seal(): void;
}

const MAX_TIMER_NAME = 200;

function invalid(code: string, message: string, path: string): never {
  throw new ValidationError(message, [{ path: [path], message: 'invalid' }], { code });
}

function assertMessage(what: string, value: unknown): asserts value is Message {
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    invalid(
      'INVALID_MESSAGE',
      `${what}: expected a message { type, data } made by a definition, got ${describeValue(value)}.`,
      what,
    );
  }
  assertMessageType((value as Message).type);
}

function dueTime(saga: string, name: string, when: SagaScheduleOptions, now: number): number {
  if (typeof when !== 'object' || (when as unknown) === null) {
    invalid(
      'INVALID_TIMER_TIME',
      `saga '${saga}' schedule('${name}', event, when): 'when' must be { at } or { after }, got ${describeValue(when)}.`,
      'when',
    );
  }
  assertKnownKeys(`saga '${saga}' schedule('${name}')`, when, ['at', 'after']);
  const { at, after } = when;
  if ((at === undefined) === (after === undefined)) {
    invalid(
      'INVALID_TIMER_TIME',
      `saga '${saga}' schedule('${name}'): give exactly one of 'at' (a Date or epoch ms) and 'after' (ms), got ${at === undefined ? 'neither' : 'both'}.`,
      'when',
    );
  }
  if (after !== undefined) {
    if (typeof after !== 'number' || !Number.isInteger(after) || after < 0 || now + after > MAX_TIMER_TIME_MS) {
      invalid(
        'INVALID_TIMER_TIME',
        `saga '${saga}' schedule('${name}'): 'after' must be an integer number of ms >= 0, got ${describeValue(after)}.`,
        'after',
      );
    }
    return now + after;
  }
  const ms = at instanceof Date ? at.getTime() : at;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_TIMER_TIME_MS) {
    invalid(
      'INVALID_TIMER_TIME',
      `saga '${saga}' schedule('${name}'): 'at' must be a valid Date or integer epoch ms, got ${describeValue(at)}. A time in the past is allowed: the timer fires at once.`,
      'at',
    );
  }
  return ms;
}

/** Opens the recorder handed to one reaction. */
export function openRecorder(context: RecorderContext): OpenRecorder {
  const effects: RecordedEffect[] = [];
  let completed = false;
  let sealed = false;
  const { saga } = context;
  const open = (what: string): void => {
    if (sealed) {
      throw new TidingsError(
        'SAGA_RECORDER_CLOSED',
        `saga '${saga}': ${what}() was called after the reaction returned. Record sends, timers and completion synchronously inside react/onRejected (they are pure functions; do the I/O in command handlers).`,
      );
    }
  };
  const timerName = (name: unknown): string => {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_TIMER_NAME) {
      invalid(
        'INVALID_TIMER_NAME',
        `saga '${saga}': a timer name must be a non-empty string of at most ${MAX_TIMER_NAME} characters such as 'payment-timeout', got ${describeValue(name)}.`,
        'name',
      );
    }
    return name;
  };
  const recorder: SagaRecorder = {
    id: context.instanceId,
    now: new Date(context.now),
    send(command) {
      open('send');
      assertMessage(`saga '${saga}' send(command)`, command);
      if (context.sends !== undefined && !context.sends.has(command.type)) {
        invalid(
          'SAGA_UNDECLARED_SEND',
          `saga '${saga}' sends '${command.type}', which is not in its 'sends' list (${[...context.sends].map((t) => `'${t}'`).join(', ') || 'empty'}). Add it to sends.`,
          'send',
        );
      }
      if (!context.hasHandler(command.type)) {
        throw new SagaCommandNotHandledError(saga, command.type, 'found when the saga recorded the send');
      }
      effects.push({ kind: 'send', command });
    },
    schedule(name, event, when) {
      open('schedule');
      const key = timerName(name);
      assertMessage(`saga '${saga}' schedule('${key}', event)`, event);
      if (!context.eventTypes.has(event.type)) {
        throw new TimerNotHandledError(
          event.type,
          `saga '${saga}' schedule('${key}'): the timer's event '${event.type}' is appended to the instance's stream and must reach react, but '${event.type}' is in neither startedBy nor handles (${[...context.eventTypes].map((t) => `'${t}'`).join(', ')}). Add it to handles.`,
        );
      }
      effects.push({ kind: 'schedule', name: key, event, dueAt: dueTime(saga, key, when, context.now) });
    },
    cancel(name) {
      open('cancel');
      effects.push({ kind: 'cancel', name: timerName(name) });
    },
    complete() {
      open('complete');
      completed = true;
    },
  };
  return {
    recorder,
    effects,
    completed: () => completed,
    seal: () => {
      sealed = true;
    },
  };
}
