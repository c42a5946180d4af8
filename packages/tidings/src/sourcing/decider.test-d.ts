import { describe, expectTypeOf, it } from 'vitest';
import { defineCommand, defineEvent, payload } from '../messages/define.js';
import type { Message } from '../messages/message.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import { DeciderSpec } from '../testing/decider-spec.js';
import {
  CreateUser,
  UserCreated,
  userDecider,
  type UserCommand,
  type UserEvent,
  type UserState,
} from './__fixtures__/users-decider.js';
import { Aggregate, aggregate } from './aggregate.js';
import {
  defineDecider,
  type CommandOf,
  type Decider,
  type EventOf,
  type MessageFrom,
  type StateOf,
} from './decider.js';
import { handleCommand } from './handle-command.js';

describe('decider types', () => {
  it('MessageFrom turns definitions into message unions', () => {
    expectTypeOf<MessageFrom<typeof CreateUser>>().toEqualTypeOf<
      Message<'user.create', { userId: string; email: string; name: string }>
    >();
    expectTypeOf<UserEvent['type']>().toEqualTypeOf<'user.created' | 'user.updated' | 'user.deactivated'>();
  });

  it('defineDecider types decide and evolve from the definitions', () => {
    expectTypeOf<StateOf<typeof userDecider>>().toEqualTypeOf<UserState>();
    expectTypeOf<CommandOf<typeof userDecider>>().toEqualTypeOf<UserCommand>();
    expectTypeOf<EventOf<typeof userDecider>>().toEqualTypeOf<UserEvent>();

    const Add = defineCommand('counter.add', payload<{ by: number }>());
    const Added = defineEvent('counter.added', payload<{ by: number }>());
    const counter = defineDecider({
      commands: [Add],
      events: [Added],
      initialState: () => 0,
      decide: (command, state) => {
        expectTypeOf(command.data.by).toEqualTypeOf<number>();
        expectTypeOf(state).toEqualTypeOf<number>();
        return Added({ by: command.data.by });
      },
      evolve: (state, event) => state + event.data.by,
    });
    expectTypeOf(counter).toExtend<Decider<number, MessageFrom<typeof Add>, MessageFrom<typeof Added>>>();

    defineDecider({
      commands: [Add],
      events: [Added],
      initialState: () => 0,
      // @ts-expect-error -- decide must return the decider's events
      decide: () => ({ type: 'counter.removed', data: { by: 1 } }),
      evolve: (state) => state,
    });
  });

  it('handleCommand returns the state and recorded events of the decider', async () => {
    const store = {} as EventStore;
    const result = await handleCommand(
      store,
      'user-1',
      userDecider,
      CreateUser({ userId: '1', email: 'e', name: 'n' }),
    );
    expectTypeOf(result.newState).toEqualTypeOf<UserState>();
    expectTypeOf(result.newEvents[0]!).toEqualTypeOf<
      | RecordedEvent<'user.created', { userId: string; email: string; name: string }>
      | RecordedEvent<'user.updated', { userId: string; changes: { email?: string; name?: string } }>
      | RecordedEvent<'user.deactivated', { userId: string; reason?: string }>
    >();
    // @ts-expect-error -- an event is not a command of this decider
    await handleCommand(store, 'user-1', userDecider, UserCreated({ userId: '1', email: 'e', name: 'n' }));
  });

  it('aggregate infers state and events from the class', () => {
    const Opened = defineEvent('box.opened', payload<{ by: string }>());
    type BoxEvent = MessageFrom<typeof Opened>;
    class Box extends Aggregate<{ open: boolean }, BoxEvent> {
      evolve(state: { open: boolean }): { open: boolean } {
        return { ...state, open: true };
      }
      open(by: string): void {
        this.raise(Opened({ by }));
      }
    }
    type OpenBox = Message<'box.open', { by: string }>;
    const box = aggregate(Box, { initialState: { open: false }, handle: (b, c: OpenBox) => b.open(c.data.by) });
    expectTypeOf(box).toEqualTypeOf<Decider<{ open: boolean }, OpenBox, BoxEvent>>();
  });

  it('DeciderSpec only accepts the decider events and commands', () => {
    const spec = DeciderSpec.for(userDecider);
    // @ts-expect-error -- a command is not a given event
    spec.given([CreateUser({ userId: '1', email: 'e', name: 'n' })]);
    // @ts-expect-error -- an event is not a command
    spec.when(UserCreated({ userId: '1', email: 'e', name: 'n' }));
    expectTypeOf(
      spec.when(CreateUser({ userId: '1', email: 'e', name: 'n' })).result().state,
    ).toEqualTypeOf<UserState>();
  });
});
