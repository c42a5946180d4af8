import { ValidationError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { defineProcessor } from '../processing/define-processor.js';
import type { EventSelector, SelectedEvent } from '../processing/processor-types.js';
import { assertKnownKeys, functionOption } from '../reliability/options.js';
import type { RecordedEvent } from '../store/types.js';
import type { Saga, SagaIgnoredReason, SagaRecorder, SagaRejection, SagaSpec } from './saga-types.js';

const COMPONENT = 'defineSaga';
const KEYS = [
  'name',
  'startedBy',
  'handles',
  'correlate',
  'initialState',
  'react',
  'onRejected',
  'sends',
  'onIgnored',
  'retry',
] as const;
const NAME_RE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const MAX_NAME = 100;

/** The behaviour of a saga, kept out of its public shape. Internal to the saga runtime. */
export interface SagaBehaviour {
  readonly spec: SagaSpec<unknown, EventSelector, EventSelector>;
  readonly correlate: (event: RecordedEvent) => unknown;
  readonly initialState: () => unknown;
  readonly react: (state: unknown, event: RecordedEvent, saga: SagaRecorder) => unknown;
  readonly onRejected: ((state: unknown, rejection: SagaRejection, saga: SagaRecorder) => unknown) | undefined;
  readonly onIgnored: ((event: RecordedEvent, reason: SagaIgnoredReason) => void) | undefined;
}

const behaviours = new WeakMap<object, SagaBehaviour>();

function invalid(message: string, path: string): never {
  throw new ValidationError(`${COMPONENT}: ${message}`, [{ path: [path], message: 'invalid' }], {
    code: 'INVALID_SAGA',
  });
}

/** Internal: the behaviour of a saga made by {@link defineSaga}; throws for anything else. */
export function sagaBehaviour(saga: Saga): SagaBehaviour {
  const behaviour = behaviours.get(saga);
  if (behaviour === undefined) {
    throw new ValidationError(
      `createTidings: every entry of 'sagas' must come from defineSaga(), got ${describeValue(saga)}.`,
      [{ path: ['sagas'], message: 'not a saga' }],
      { code: 'INVALID_SAGA' },
    );
  }
  return behaviour;
}

function typeOf(selector: unknown, list: string, index: number, kind: 'event' | 'command'): string {
  if (typeof selector === 'string' && selector.length > 0) return selector;
  if (
    typeof selector === 'function' &&
    (selector as { kind?: unknown }).kind === kind &&
    typeof (selector as { type?: unknown }).type === 'string'
  ) {
    return (selector as unknown as { type: string }).type;
  }
  return invalid(
    `${list}[${index}] must be ${kind === 'event' ? 'an event' : 'a command'} type name or definition (define${kind === 'event' ? 'Event' : 'Command'}), got ${describeValue(selector)}.`,
    list,
  );
}

function typeList(value: unknown, list: string, required: boolean, kind: 'event' | 'command'): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || (required && value.length === 0)) {
    invalid(
      `'${list}' must be ${required ? 'a non-empty' : 'an'} array of ${kind} definitions or type names, got ${describeValue(value)}.${
        list === 'startedBy' ? ' A saga needs at least one event that creates its instances.' : ''
      }`,
      list,
    );
  }
  return [...new Set(value.map((s, i) => typeOf(s, list, i, kind)))];
}

/**
 * Defines a process manager (saga): which events create and continue its instances, how an event
 * finds its instance, and a pure `react` that returns the next state and records commands to send
 * and durable timers. Give it to `createTidings({ store, sagas: [...] })`.
 *
 * Each instance is a stream `saga.<name>-<id>`; every reaction appends one `saga.transitioned`
 * event holding the new state, the sends (the outbox) and the timer changes, in one transaction
 * with the timers and the processor's checkpoint. Sends are delivered at least once with a dedupe
 * id (`app.commandHandler` receivers apply them once); a redelivered event changes nothing.
 *
 * @example
 * const checkout = defineSaga({
 *   name: 'checkout',
 *   startedBy: [StockLocked],
 *   handles: [OrderPaid, PaymentTimedOut],
 *   correlate: (event) => event.data.orderId,
 *   initialState: () => ({ status: 'new' as 'new' | 'awaiting-payment' | 'paid' | 'cancelled' }),
 *   react(state, event, saga) {
 *     switch (event.type) {
 *       case 'stock.locked':
 *         saga.schedule('payment-timeout', PaymentTimedOut({ orderId: event.data.orderId }), { after: 15 * 60_000 });
 *         return { status: 'awaiting-payment' as const };
 *       case 'order.paid':
 *         saga.cancel('payment-timeout');
 *         saga.complete();
 *         return { status: 'paid' as const };
 *       case 'checkout.payment-timed-out':
 *         saga.send(CancelOrder({ orderId: event.data.orderId, reason: 'payment timeout' }));
 *         saga.complete();
 *         return { status: 'cancelled' as const };
 *     }
 *   },
 * });
 */
export function defineSaga<S, const St extends EventSelector, const H extends EventSelector = never>(
  spec: SagaSpec<S, St, H>,
): Saga<S, SelectedEvent<St | H>> {
  if (typeof spec !== 'object' || (spec as unknown) === null || Array.isArray(spec)) {
    invalid(
      `expected a saga specification object { name, startedBy, correlate, initialState, react }, got ${describeValue(spec)}.`,
      'spec',
    );
  }
  assertKnownKeys(COMPONENT, spec, KEYS);
  const { name } = spec;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME || !NAME_RE.test(name)) {
    invalid(
      `'name' must be 1 to ${MAX_NAME} characters of dot-separated letters, digits and '_' such as 'checkout' or 'flash_sale' (no '-': it would split the stream category saga.<name>), got ${describeValue(name)}.`,
      'name',
    );
  }
  const startedBy = typeList(spec.startedBy, 'startedBy', true, 'event');
  const handles = typeList(spec.handles, 'handles', false, 'event');
  const both = handles.filter((t) => startedBy.includes(t));
  if (both.length > 0) {
    invalid(
      `'${both.join("', '")}' ${both.length === 1 ? 'is' : 'are'} in both startedBy and handles: a type either may create an instance (startedBy) or only continues one (handles). Keep it in one list.`,
      'handles',
    );
  }
  for (const key of ['correlate', 'initialState', 'react'] as const) {
    if (typeof spec[key] !== 'function') invalid(`'${key}' must be a function, got ${describeValue(spec[key])}.`, key);
  }
  functionOption(COMPONENT, 'onRejected', spec.onRejected);
  functionOption(COMPONENT, 'onIgnored', spec.onIgnored);
  // The retry policy is checked now, as the saga's processors will check it.
  if (spec.retry !== undefined) defineProcessor({ name: `saga:${name}`, handle: () => undefined, retry: spec.retry });
  const sends = spec.sends === undefined ? undefined : typeList(spec.sends, 'sends', false, 'command');
  const saga: Saga<S> = Object.freeze({ name, startedBy, handles, sends });
  behaviours.set(saga, {
    spec: spec as unknown as SagaSpec<unknown, EventSelector, EventSelector>,
    correlate: spec.correlate as (event: RecordedEvent) => unknown,
    initialState: spec.initialState,
    react: spec.react as SagaBehaviour['react'],
    onRejected: spec.onRejected as SagaBehaviour['onRejected'],
    onIgnored: spec.onIgnored,
  });
  return saga as Saga<S, SelectedEvent<St | H>>;
}
