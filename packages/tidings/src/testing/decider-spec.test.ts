import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  CreateUser,
  DeactivateUser,
  UpdateUser,
  UserAlreadyExists,
  UserAlreadyInactive,
  UserCreated,
  UserDeactivated,
  UserNotActive,
  UserUpdated,
  userDecider,
} from '../sourcing/__fixtures__/users-decider.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import { CommandHandlerSpec } from './command-handler-spec.js';
import { DeciderSpec } from './decider-spec.js';
import { SpecFailedError } from './spec-error.js';

const ann = UserCreated({ userId: 'ann', email: 'ann@example.com', name: 'Ann' });
const spec = DeciderSpec.for(userDecider);

function failure(fn: () => unknown): SpecFailedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpecFailedError) return error;
    throw error;
  }
  throw new Error('expected the spec to fail');
}

async function failureOf(promise: Promise<unknown>): Promise<SpecFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof SpecFailedError) return error;
  throw new Error(`expected a SpecFailedError, got ${String(error)}`);
}

describe('DeciderSpec (users scenario S3)', () => {
  it('given / when / then: events, nothing, state', () => {
    spec.when(CreateUser({ userId: 'ann', email: 'ann@example.com', name: 'Ann' })).then([ann]);
    spec
      .given([ann])
      .when(UpdateUser({ userId: 'ann', name: 'Bea' }))
      .then(UserUpdated({ userId: 'ann', changes: { name: 'Bea' } }));
    spec
      .given([ann])
      .when(UpdateUser({ userId: 'ann', name: 'Ann' }))
      .thenNothing();
    spec
      .given([ann])
      .when(DeactivateUser({ userId: 'ann', reason: 'left' }))
      .then([UserDeactivated({ userId: 'ann', reason: 'left' })]);
    spec
      .given([ann])
      .when(DeactivateUser({ userId: 'ann' }))
      .thenState({ status: 'inactive', userId: 'ann', email: 'ann@example.com', name: 'Ann' });
  });

  it('thenThrows with the scenario errors, by class or predicate', () => {
    spec
      .given(ann)
      .when(CreateUser({ userId: 'ann', email: 'x', name: 'y' }))
      .thenThrows(UserAlreadyExists);
    spec.when(UpdateUser({ userId: 'ann', name: 'x' })).thenThrows(UserNotActive);
    spec
      .given([ann, UserDeactivated({ userId: 'ann' })])
      .when(UpdateUser({ userId: 'ann', name: 'x' }))
      .thenThrows(UserNotActive);
    const error = spec
      .given([ann, UserDeactivated({ userId: 'ann' })])
      .when(DeactivateUser({ userId: 'ann' }))
      .thenThrows((e) => e instanceof UserAlreadyInactive && e.userId === 'ann');
    expect(error).toBeInstanceOf(UserAlreadyInactive);
  });

  it('works with vitest expect through result()', () => {
    const outcome = spec
      .given([ann])
      .when(UpdateUser({ userId: 'ann', email: 'new@x.io' }))
      .result();
    expect(outcome.events).toEqual([UserUpdated({ userId: 'ann', changes: { email: 'new@x.io' } })]);
    expect(outcome.state).toMatchObject({ email: 'new@x.io' });
    expect(() => spec.when(DeactivateUser({ userId: 'ann' })).result()).toThrow(UserNotActive);
  });

  it('a wrong expectation fails with a readable diff and expected/actual for the runner', () => {
    const error = failure(() =>
      spec
        .given([ann])
        .when(UpdateUser({ userId: 'ann', name: 'Bea' }))
        .then([UserUpdated({ userId: 'ann', changes: { name: 'Bee' } })]),
    );
    expect(error.code).toBe('SPEC_FAILED');
    expect(error.message).toContain('When user.update given 1 event(s)');
    expect(error.message).toContain('-         "name": "Bee"');
    expect(error.message).toContain('+         "name": "Bea"');
    expect(error.showDiff).toBe(true);
    expect(error.expected).toEqual([{ type: 'user.updated', data: { userId: 'ann', changes: { name: 'Bee' } } }]);
    expect(error.actual).toEqual([{ type: 'user.updated', data: { userId: 'ann', changes: { name: 'Bea' } } }]);

    const count = failure(() =>
      spec
        .given([ann])
        .when(UpdateUser({ userId: 'ann', name: 'Ann' }))
        .then([ann]),
    );
    expect(count.message).toContain('expected 1 event(s), got 0');
    const state = failure(() =>
      spec
        .given([ann])
        .when(DeactivateUser({ userId: 'ann' }))
        .thenState({ status: 'none' }),
    );
    expect(state.message).toContain('the state differs');
  });

  it('fails when the error is missing, of another class, or rejected by the predicate', () => {
    expect(
      failure(() =>
        spec
          .given([ann])
          .when(DeactivateUser({ userId: 'ann' }))
          .thenThrows(UserNotActive),
      ).message,
    ).toContain('expected an error, but decide returned 1 event(s)');
    expect(
      failure(() => spec.when(DeactivateUser({ userId: 'ann' })).thenThrows(UserAlreadyInactive)).message,
    ).toContain('expected UserAlreadyInactive, got UserNotActive');
    expect(failure(() => spec.when(DeactivateUser({ userId: 'ann' })).thenThrows(() => false)).message).toContain(
      'did not satisfy the predicate',
    );
    const unexpected = failure(() => spec.when(DeactivateUser({ userId: 'ann' })).then([]));
    expect(unexpected.message).toContain('expected events, but decide threw UserNotActive');
    expect(unexpected.cause).toBeInstanceOf(UserNotActive);
  });

  it('compares metadata only where the expected event states it', () => {
    const withMeta = { ...userDecider, decide: () => [UserCreated(ann.data, { source: 'import', schemaVersion: 2 })] };
    DeciderSpec.for(withMeta).when(CreateUser(ann.data)).then([ann]);
    DeciderSpec.for(withMeta)
      .when(CreateUser(ann.data))
      .then([UserCreated(ann.data, { source: 'import' })]);
    expect(
      failure(() =>
        DeciderSpec.for(withMeta)
          .when(CreateUser(ann.data))
          .then([UserCreated(ann.data, { source: 'api' })]),
      ).message,
    ).toContain('"source": "api"');
  });

  it('flags events a store would refuse, and refuses being awaited', async () => {
    const bad = { ...userDecider, decide: () => [UserCreated({ ...ann.data, name: 1n as unknown as string })] };
    const error = failure(() => DeciderSpec.for(bad).when(CreateUser(ann.data)).then([ann]));
    expect(error.message).toContain('a store would refuse');
    expect(error.cause).toBeInstanceOf(ValidationError);
    await expect(
      (async () => await (spec.when(CreateUser(ann.data)) as unknown as Promise<unknown>))(),
    ).rejects.toThrow('not a promise');
  });
});

describe('CommandHandlerSpec (through a real store)', () => {
  const onStore = CommandHandlerSpec.for(userDecider);

  it('given events appended, when handled, then the events read back', async () => {
    await onStore
      .given([ann])
      .when(UpdateUser({ userId: 'ann', name: 'Bea' }))
      .then([UserUpdated({ userId: 'ann', changes: { name: 'Bea' } })]);
    await onStore.when(CreateUser(ann.data)).then([ann]);
    await onStore
      .given([ann])
      .when(UpdateUser({ userId: 'ann', name: 'Ann' }))
      .thenNothing();
    await onStore
      .given([ann])
      .when(DeactivateUser({ userId: 'ann' }))
      .thenState({ status: 'inactive', userId: 'ann', email: 'ann@example.com', name: 'Ann' });
    const error = await onStore.given([ann]).when(CreateUser(ann.data)).thenThrows(UserAlreadyExists);
    expect(error).toBeInstanceOf(UserAlreadyExists);
    const result = await onStore
      .given([ann])
      .when({ ...DeactivateUser({ userId: 'ann' }), id: 'cmd-9' })
      .result();
    expect(result.newEvents[0]!.metadata).toMatchObject({ causationId: 'cmd-9' });
  });

  it('metadata written by handleCommand can be asserted', async () => {
    await CommandHandlerSpec.for(userDecider, { handleOptions: { commandId: 'cmd-1' } })
      .when(CreateUser(ann.data))
      .then([UserCreated(ann.data, { causationId: 'cmd-1', correlationId: 'cmd-1' })]);
  });

  it('fails readably, and catches an implementation that appends despite throwing', async () => {
    const diff = await failureOf(
      onStore
        .given([ann])
        .when(UpdateUser({ userId: 'ann', name: 'Bea' }))
        .then([UserUpdated({ userId: 'ann', changes: { name: 'Bee' } })]),
    );
    expect(diff.message).toContain('events read back from the store');
    expect(diff.message).toContain('+         "name": "Bea"');
    expect((await failureOf(onStore.when(UpdateUser({ userId: 'ann', name: 'x' })).then([]))).message).toContain(
      'handleCommand threw UserNotActive',
    );

    // A store that lets an append through and then reports failure: thenThrows must notice the events.
    await using inner = createInMemoryEventStore();
    const leaky = {
      readStream: inner.readStream.bind(inner),
      streamInfo: inner.streamInfo.bind(inner),
      append: async (...args: Parameters<typeof inner.append>) => {
        await inner.append(...args);
        throw new Error('lost ack');
      },
    };
    const leak = await failureOf(
      CommandHandlerSpec.for(userDecider, { store: leaky, streamId: 'user-leak' })
        .when(CreateUser(ann.data))
        .thenThrows(Error),
    );
    expect(leak.message).toContain('1 event(s) were appended anyway');
  });

  it('runs on a given store and stream, and refuses a stream that already has events', async () => {
    await using store = createInMemoryEventStore();
    await CommandHandlerSpec.for(userDecider, { store, streamId: 'user-ann' })
      .given([ann])
      .when(DeactivateUser({ userId: 'ann' }))
      .then([UserDeactivated({ userId: 'ann' })]);
    expect((await store.streamInfo('user-ann')).version).toBe(2n);
    const reused = await failureOf(
      CommandHandlerSpec.for(userDecider, { store, streamId: 'user-ann' })
        .given([ann])
        .when(DeactivateUser({ userId: 'ann' }))
        .thenNothing(),
    );
    expect(reused.message).toContain('must be a new stream');
  });
});
