// Scenario S3 (users with event sourcing): a decider for create / update / deactivate, its domain
// errors, and the upcaster that reads events written by the older users code (see
// users-v1-events.json). Kept free of test code so examples/users can reuse it as is.
import { TidingsError } from '../../errors.js';
import { defineCommand, defineEvent, payload } from '../../messages/define.js';
import { defineDecider, type MessageFrom } from '../decider.js';
import { createUpcaster } from '../upcaster.js';

export const CreateUser = defineCommand('user.create', payload<{ userId: string; email: string; name: string }>());
export const UpdateUser = defineCommand('user.update', payload<{ userId: string; email?: string; name?: string }>());
export const DeactivateUser = defineCommand('user.deactivate', payload<{ userId: string; reason?: string }>());

export const UserCreated = defineEvent('user.created', payload<{ userId: string; email: string; name: string }>());
/** Version 3: only the changed fields, under `changes`. */
export const UserUpdated = defineEvent(
  'user.updated',
  payload<{ userId: string; changes: { email?: string; name?: string } }>(),
);
export const UserDeactivated = defineEvent('user.deactivated', payload<{ userId: string; reason?: string }>());

export type UserCommand = MessageFrom<typeof CreateUser | typeof UpdateUser | typeof DeactivateUser>;
export type UserEvent = MessageFrom<typeof UserCreated | typeof UserUpdated | typeof UserDeactivated>;

export type UserState =
  | { readonly status: 'none' }
  | { readonly status: 'active' | 'inactive'; readonly userId: string; readonly email: string; readonly name: string };

export class UserAlreadyExists extends TidingsError {
  constructor(readonly userId: string) {
    super('USER_ALREADY_EXISTS', `User '${userId}' already exists: create it only once, or update it.`);
  }
}
export class UserNotActive extends TidingsError {
  constructor(
    readonly userId: string,
    readonly status: 'none' | 'inactive',
  ) {
    super(
      'USER_NOT_ACTIVE',
      `User '${userId}' is ${status === 'none' ? 'unknown' : 'inactive'}: only an active user can be changed.`,
    );
  }
}
export class UserAlreadyInactive extends TidingsError {
  constructor(readonly userId: string) {
    super('USER_ALREADY_INACTIVE', `User '${userId}' is already inactive.`);
  }
}

export const userDecider = defineDecider({
  commands: [CreateUser, UpdateUser, DeactivateUser],
  events: [UserCreated, UserUpdated, UserDeactivated],
  initialState: (): UserState => ({ status: 'none' }),
  decide(command, state) {
    switch (command.type) {
      case 'user.create':
        if (state.status !== 'none') throw new UserAlreadyExists(command.data.userId);
        return UserCreated({ userId: command.data.userId, email: command.data.email, name: command.data.name });
      case 'user.update': {
        if (state.status !== 'active') throw new UserNotActive(command.data.userId, state.status);
        const changes: { email?: string; name?: string } = {};
        if (command.data.email !== undefined && command.data.email !== state.email) changes.email = command.data.email;
        if (command.data.name !== undefined && command.data.name !== state.name) changes.name = command.data.name;
        // Nothing changes: nothing to record.
        return Object.keys(changes).length === 0 ? [] : UserUpdated({ userId: state.userId, changes });
      }
      case 'user.deactivate':
        if (state.status === 'inactive') throw new UserAlreadyInactive(command.data.userId);
        if (state.status === 'none') throw new UserNotActive(command.data.userId, 'none');
        return UserDeactivated(
          command.data.reason === undefined
            ? { userId: state.userId }
            : { userId: state.userId, reason: command.data.reason },
        );
    }
  },
  evolve(state, event): UserState {
    switch (event.type) {
      case 'user.created':
        return { status: 'active', userId: event.data.userId, email: event.data.email, name: event.data.name };
      case 'user.updated':
        return state.status === 'none' ? state : { ...state, ...event.data.changes };
      case 'user.deactivated':
        return state.status === 'none' ? state : { ...state, status: 'inactive' };
    }
  },
});

/**
 * How the users code reads events written by its earlier releases:
 * - v1 called the events `UserRegistered` / `UserDeactivated` and wrote `{ id, mail, fullName }`;
 * - `user.created` v2 is the current shape (`{ userId, email, name }`);
 * - `user.updated` went from `{ id, newEmail?, newName? }` (v1) to `{ userId, email?, name? }` (v2)
 *   to `{ userId, changes }` (v3, current).
 */
export const userUpcaster = createUpcaster({
  'user.created': {
    1: (data: { id: string; mail: string; fullName: string }) => ({
      userId: data.id,
      email: data.mail,
      name: data.fullName,
    }),
  },
  'user.updated': {
    1: (data: { id: string; newEmail?: string; newName?: string }) => ({
      userId: data.id,
      ...(data.newEmail === undefined ? {} : { email: data.newEmail }),
      ...(data.newName === undefined ? {} : { name: data.newName }),
    }),
    2: (data: { userId: string; email?: string; name?: string }) => {
      const { userId, ...changes } = data;
      return { userId, changes };
    },
  },
  aliases: { UserRegistered: 'user.created', UserDeactivated: 'user.deactivated', UserUpdated: 'user.updated' },
});
