import { defineCommand, defineEvent, defineQuery, payload, returns } from 'tidings';
import { z } from 'zod';

const userId = z.string().min(1);
const email = z.email();
const name = z.string().min(1).max(200);

export const CreateUser = defineCommand('user.create', z.object({ userId, email, name }));
export const UpdateUser = defineCommand(
  'user.update',
  z
    .object({ userId, email: email.optional(), name: name.optional() })
    .refine((d) => d.email !== undefined || d.name !== undefined, {
      message: 'give an email or a name to change',
    }),
);
export const DeactivateUser = defineCommand('user.deactivate', z.object({ userId, reason: z.string().optional() }));
export const userCommands = [CreateUser, UpdateUser, DeactivateUser] as const;

export const UserCreated = defineEvent('user.created', payload<{ userId: string; email: string; name: string }>());
export const UserEmailChanged = defineEvent('user.email-changed', payload<{ userId: string; email: string }>());
export const UserRenamed = defineEvent('user.renamed', payload<{ userId: string; name: string }>());
export const UserDeactivated = defineEvent('user.deactivated', payload<{ userId: string; reason: string | null }>());
export const userEvents = [UserCreated, UserEmailChanged, UserRenamed, UserDeactivated] as const;

export type UserStatus = 'active' | 'inactive';

/** What the read model answers. */
export interface UserView {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly status: UserStatus;
  /** The stream version the view reflects. */
  readonly version: number;
}

export const GetUser = defineQuery('user.get', payload<{ userId: string }>(), returns<UserView | undefined>());
export const ListUsers = defineQuery('user.list', payload<{ status?: UserStatus }>(), returns<UserView[]>());
export const userQueries = [GetUser, ListUsers] as const;

export const userStream = (id: string): string => `user-${id}`;
