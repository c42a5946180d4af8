import { TidingsError, defineDecider } from 'tidings';
import {
  CreateUser,
  DeactivateUser,
  UpdateUser,
  UserCreated,
  UserDeactivated,
  UserEmailChanged,
  UserRenamed,
  type UserStatus,
} from './messages.js';

export type UserState =
  | { readonly status: 'none' }
  | { readonly status: UserStatus; readonly userId: string; readonly email: string; readonly name: string };

/** The user already exists: create is refused. */
export class UserAlreadyExists extends TidingsError {
  constructor(userId: string) {
    super('USER_ALREADY_EXISTS', `User ${userId} already exists; use user.update to change it.`);
  }
}
/** The user is unknown or inactive: only active users change. */
export class UserNotActive extends TidingsError {
  constructor(userId: string, status: 'none' | UserStatus) {
    super(
      'USER_NOT_ACTIVE',
      `User ${userId} is ${status === 'none' ? 'unknown' : status}; only an active user can be changed.`,
    );
  }
}
/** Deactivating an inactive user is refused. */
export class UserAlreadyInactive extends TidingsError {
  constructor(userId: string) {
    super('USER_ALREADY_INACTIVE', `User ${userId} is already inactive.`);
  }
}

/**
 * The user decider (SCENARIOS.md S3). An update records only what changed, one event per fact
 * (an email change is not a rename), so the read model and any subscriber can react precisely.
 */
// #region decider
export const userDecider = defineDecider({
  commands: [CreateUser, UpdateUser, DeactivateUser],
  events: [UserCreated, UserEmailChanged, UserRenamed, UserDeactivated],
  initialState: (): UserState => ({ status: 'none' }),
  decide(command, state) {
    const { userId } = command.data;
    if (command.type === 'user.create') {
      if (state.status !== 'none') throw new UserAlreadyExists(userId);
      return UserCreated({ userId, email: command.data.email, name: command.data.name });
    }
    if (command.type === 'user.deactivate') {
      if (state.status === 'inactive') throw new UserAlreadyInactive(userId);
      if (state.status === 'none') throw new UserNotActive(userId, 'none');
      return UserDeactivated({ userId, reason: command.data.reason ?? null });
    }
    if (state.status !== 'active') throw new UserNotActive(userId, state.status);
    const changes = [];
    if (command.data.email !== undefined && command.data.email !== state.email) {
      changes.push(UserEmailChanged({ userId, email: command.data.email }));
    }
    if (command.data.name !== undefined && command.data.name !== state.name) {
      changes.push(UserRenamed({ userId, name: command.data.name }));
    }
    return changes;
  },
  evolve(state, event): UserState {
    if (event.type === 'user.created') return { status: 'active', ...event.data };
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'user.email-changed':
        return { ...state, email: event.data.email };
      case 'user.renamed':
        return { ...state, name: event.data.name };
      case 'user.deactivated':
        return { ...state, status: 'inactive' };
    }
  },
});
// #endregion decider
