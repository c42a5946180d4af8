import type { Message } from '../messages/message.js';
import { assertDecider, initialStateOf, type Decider } from './decider.js';

/**
 * Optional class sugar over a {@link Decider}, for those who prefer methods to a `decide` switch.
 * The state stays a plain (JSON) value held by the instance; `evolve` stays pure. A command
 * method checks `this.state`, then calls `this.raise(event)`, which folds the event into
 * `this.state` at once (so a second `raise` sees the first) and records it. {@link aggregate}
 * turns the class into a decider, so `handleCommand`, snapshots and specs work unchanged.
 *
 * @example
 * class Account extends Aggregate<{ balance: number }, AccountEvent> {
 *   evolve(state, event) { return { balance: state.balance + event.data.amount }; }
 *   deposit(amount: number) {
 *     if (amount <= 0) throw new InvalidAmount(amount);
 *     this.raise(Deposited({ amount }));
 *   }
 * }
 */
export abstract class Aggregate<S, E extends Message> {
  #state: S;
  readonly #raised: E[] = [];

  constructor(state: S) {
    this.#state = state;
  }

  /** The current state: as loaded, plus the events raised so far. */
  get state(): S {
    return this.#state;
  }

  /** The events raised since this instance was created. */
  get raised(): readonly E[] {
    return this.#raised;
  }

  /** The state after one event. Must be pure: it may be called on a shared instance for any state. */
  abstract evolve(state: S, event: E): S;

  /** Records an event and applies it to `this.state`. */
  protected raise(event: E): void {
    this.#state = this.evolve(this.#state, event);
    this.#raised.push(event);
  }
}

/** What {@link aggregate} takes besides the class. */
export interface AggregateOptions<S, C extends Message, A> {
  readonly initialState: S | (() => S);
  /** Calls the method for the command on the aggregate (throwing domain errors as it likes). */
  handle(aggregate: A, command: C): void;
}

/**
 * Turns an {@link Aggregate} class into a {@link Decider}: `decide` builds an instance on the
 * loaded state, runs `handle`, and returns the events it raised; `evolve` is the class's own.
 *
 * @example
 * const accountDecider = aggregate(Account, {
 *   initialState: { balance: 0 },
 *   handle: (account, command: DepositCommand) => account.deposit(command.data.amount),
 * });
 * await handleCommand(store, 'account-1', accountDecider, Deposit({ amount: 5 }), { commandId });
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any aggregate, whatever its state and events.
type AnyAggregate = Aggregate<any, any>;
/** The state type of an aggregate class's instances. */
export type AggregateState<A> = A extends Aggregate<infer S, infer _E> ? S : never;
/** The event union of an aggregate class's instances. */
export type AggregateEvent<A> = A extends Aggregate<infer _S, infer E> ? E : never;

export function aggregate<A extends AnyAggregate, C extends Message>(
  AggregateClass: new (state: AggregateState<A>) => A,
  options: AggregateOptions<AggregateState<A>, C, A>,
): Decider<AggregateState<A>, C, AggregateEvent<A>> {
  type S = AggregateState<A>;
  type E = AggregateEvent<A>;
  // One instance serves every evolve call: evolve is pure, so the instance's own state is never read.
  let evolver: A | undefined;
  const decider: Decider<S, C, E> = {
    initialState: options.initialState,
    decide(command, state) {
      const instance = new AggregateClass(state);
      options.handle(instance, command);
      return [...(instance.raised as readonly E[])];
    },
    evolve(state, event) {
      evolver ??= new AggregateClass(initialStateOf(decider));
      return evolver.evolve(state, event) as S;
    },
  };
  assertDecider(decider, 'aggregate');
  return decider;
}
