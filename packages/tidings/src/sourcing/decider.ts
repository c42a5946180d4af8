import { ValidationError } from '../errors.js';
import type { AnyDefinition } from '../messages/define.js';
import type { Message } from '../messages/message.js';
import type { RecordedEvent } from '../store/types.js';

/** What `decide` may return: one event, or an array of events (empty when there is nothing to do). */
export type DecideResult<E> = E | readonly E[];

/**
 * The pure core of an event-sourced model.
 * - `initialState`: the state of a stream with no events (a value, or a function returning a fresh one).
 * - `decide(command, state)`: the events the command produces, or a thrown domain error. No I/O.
 * - `evolve(state, event)`: the state after one event. Must not mutate `state`.
 *
 * State should be plain JSON when snapshots are used. `initialState` may not itself be a function.
 *
 * @example
 * const counter: Decider<number, Message<'counter.add', number>, Message<'counter.added', number>> = {
 *   initialState: 0,
 *   decide: (command) => ({ type: 'counter.added', data: command.data }),
 *   evolve: (total, event) => total + event.data,
 * };
 */
export interface Decider<S, C extends Message = Message, E extends Message = Message> {
  readonly initialState: S | (() => S);
  decide(command: C, state: S): DecideResult<E>;
  evolve(state: S, event: E): S;
}

/** The message type produced by a definition (or a union of definitions) from `defineEvent` / `defineCommand`. */
export type MessageFrom<D> = D extends AnyDefinition ? ReturnType<D> : never;

/** The state type of a decider. */
export type StateOf<D> = D extends Decider<infer S, infer _C, infer _E> ? S : never;
/** The command union of a decider. */
export type CommandOf<D> = D extends Decider<infer _S, infer C, infer _E> ? C : never;
/** The event union of a decider. */
export type EventOf<D> = D extends Decider<infer _S, infer _C, infer E> ? E : never;

/** A recorded event for each member of an event union: `RecordedOf<A | B>` = `RecordedEvent<A…> | RecordedEvent<B…>`. */
export type RecordedOf<E extends Message> = E extends Message<infer T, infer D> ? RecordedEvent<T, D> : never;

/** What {@link defineDecider} takes: the decider plus the definitions its commands and events come from. */
export interface DeciderSpecification<S, CD extends readonly AnyDefinition[], ED extends readonly AnyDefinition[]> {
  /** Definitions of the commands `decide` accepts; `handleCommand` refuses any other command type. */
  readonly commands: CD;
  /** Definitions of the events `decide` produces and `evolve` folds. */
  readonly events: ED;
  /** A function, so the state type is inferred from its return type (annotate it: `(): MyState => …`). */
  readonly initialState: () => S;
  // NoInfer: the state type comes from `initialState` alone. TypeScript still widens literal types
  // in `evolve`'s returned object literals (`status: 'active'` becomes string) while inferring, so
  // annotate evolve's return type when the state holds literal unions: `evolve(state, event): MyState`.
  decide(command: MessageFrom<CD[number]>, state: NoInfer<S>): DecideResult<MessageFrom<ED[number]>>;
  evolve(state: NoInfer<S>, event: MessageFrom<ED[number]>): S;
}

/** A decider that also lists its command and event definitions. */
export interface DefinedDecider<
  S,
  CD extends readonly AnyDefinition[],
  ED extends readonly AnyDefinition[],
> extends Decider<S, MessageFrom<CD[number]>, MessageFrom<ED[number]>> {
  readonly commands: CD;
  readonly events: ED;
}

/**
 * Builds a decider whose command and event unions come from `defineCommand` / `defineEvent`
 * definitions, so `decide` and `evolve` are typed without writing the unions by hand.
 *
 * @example
 * const Deposit = defineCommand('account.deposit', payload<{ amount: number }>());
 * const Deposited = defineEvent('account.deposited', payload<{ amount: number }>());
 * const account = defineDecider({
 *   commands: [Deposit],
 *   events: [Deposited],
 *   initialState: () => ({ balance: 0 }),
 *   decide: (command) => Deposited({ amount: command.data.amount }),
 *   evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
 * });
 */
export function defineDecider<S, const CD extends readonly AnyDefinition[], const ED extends readonly AnyDefinition[]>(
  spec: DeciderSpecification<S, CD, ED>,
): DefinedDecider<S, CD, ED> {
  assertDecider(spec, 'defineDecider');
  return {
    commands: spec.commands,
    events: spec.events,
    initialState: spec.initialState,
    decide: (command, state) => spec.decide(command, state),
    evolve: (state, event) => spec.evolve(state, event),
  };
}

/** A fresh initial state of a decider. */
export function initialStateOf<S>(decider: Pick<Decider<S>, 'initialState'>): S {
  const initial = decider.initialState;
  return typeof initial === 'function' ? (initial as () => S)() : initial;
}

/** `decide`'s result as an array. */
export function decidedEvents<E>(result: DecideResult<E>): readonly E[] {
  if (Array.isArray(result)) return result as readonly E[];
  return result === undefined || result === null ? [] : [result as E];
}

/**
 * Folds events into a state with the decider's `evolve`, starting from `state` (default: the
 * initial state).
 *
 * @example
 * const state = evolveAll(userDecider, [created, updated]);
 */
export function evolveAll<S, E extends Message>(
  decider: Pick<Decider<S, Message, E>, 'initialState' | 'evolve'>,
  events: Iterable<E>,
  state: S = initialStateOf(decider),
): S {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}

/** Runtime check for callers without TypeScript: a decider needs `initialState`, `decide` and `evolve`. */
export function assertDecider(decider: unknown, where: string): void {
  const d = decider as Partial<Decider<unknown>> | null | undefined;
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.decide !== 'function' ||
    typeof d.evolve !== 'function' ||
    !('initialState' in d)
  ) {
    throw new ValidationError(
      `${where} expects a decider { initialState, decide(command, state), evolve(state, event) }; got ${describeValue(decider)}.`,
      [{ path: ['decider'], message: 'not a decider' }],
      { code: 'INVALID_DECIDER' },
    );
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return `an object with keys [${Object.keys(value).join(', ')}]`;
}
