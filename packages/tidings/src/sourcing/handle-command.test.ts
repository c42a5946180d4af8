import { describe, expect, it } from 'vitest';
import { AbortedError, ValidationError } from '../errors.js';
import { isUuid } from '../messages/ids.js';
import { ConcurrencyError, UnknownOutcomeError } from '../store/errors.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { AppendOptions, EventStore, EventToAppend, RecordedEvent } from '../store/types.js';
import { createFakeClock } from '../time/fake-clock.js';
import {
  CreateUser,
  DeactivateUser,
  UpdateUser,
  UserAlreadyExists,
  UserAlreadyInactive,
  UserCreated,
  UserNotActive,
  userDecider,
} from './__fixtures__/users-decider.js';
import { commandEventIds } from './command-event-ids.js';
import { handleCommand, type CommandStore } from './handle-command.js';
import { createInMemorySnapshotStore } from './snapshot-store.js';

async function readAllOf(store: CommandStore, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(streamId)) out.push(e);
  return out;
}

const create = CreateUser({ userId: 'ann', email: 'ann@example.com', name: 'Ann' });

/** Holds every append until `size` of them are waiting, then lets them through together: a deterministic race. */
function gatedStore(
  store: EventStore,
  size: number,
  transform?: (options: AppendOptions | undefined) => AppendOptions | undefined,
): CommandStore {
  let waiting: (() => void)[] = [];
  let gated = true;
  return {
    readStream: (id, o) => store.readStream(id, o),
    streamInfo: (id) => store.streamInfo(id),
    async append(id: string, events: readonly EventToAppend[], options?: AppendOptions) {
      if (gated) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === size) {
            gated = false;
            for (const release of waiting) release();
            waiting = [];
          }
        });
      }
      return store.append(id, events, transform === undefined ? options : transform(options));
    },
  };
}

describe('handleCommand', () => {
  it('loads, decides and appends at the loaded version, returning the recorded events and state', async () => {
    await using store = createInMemoryEventStore();
    const first = await handleCommand(store, 'user-ann', userDecider, create, { commandId: 'c1' });
    expect(first.newState).toEqual({ status: 'active', userId: 'ann', email: 'ann@example.com', name: 'Ann' });
    expect(first.newEvents.map((e) => [e.type, e.version, e.streamId])).toEqual([['user.created', 1n, 'user-ann']]);
    expect(first.nextVersion).toBe(1n);
    expect(first.position).toBe(first.newEvents[0]!.position);
    expect(first.attempts).toBe(1);
    expect(first.duplicate).toBe(false);

    const second = await handleCommand(
      store,
      'user-ann',
      userDecider,
      UpdateUser({ userId: 'ann', name: 'Ann Smith' }),
      { commandId: 'c2' },
    );
    expect(second.newEvents.map((e) => e.data)).toEqual([{ userId: 'ann', changes: { name: 'Ann Smith' } }]);
    expect(second.nextVersion).toBe(2n);
    expect(second.newState).toMatchObject({ name: 'Ann Smith', email: 'ann@example.com' });
    expect((await readAllOf(store, 'user-ann')).map((e) => e.type)).toEqual(['user.created', 'user.updated']);
  });

  it('derives event ids from the command id and records causation and correlation', async () => {
    await using store = createInMemoryEventStore();
    const result = await handleCommand(
      store,
      'user-ann',
      userDecider,
      CreateUser(create.data, { correlationId: 'corr-1' }),
      { commandId: 'cmd-1' },
    );
    const [expectedId] = await commandEventIds('cmd-1', 'user-ann', 1);
    expect(result.newEvents[0]!.id).toBe(expectedId);
    expect(result.newEvents[0]!.metadata).toMatchObject({ causationId: 'cmd-1', correlationId: 'corr-1' });
  });

  it('takes the command id from command.id (an envelope) when no option is given', async () => {
    await using store = createInMemoryEventStore();
    const result = await handleCommand(store, 'user-ann', userDecider, { ...create, id: 'env-7' });
    expect(result.commandId).toBe('env-7');
    expect(result.newEvents[0]!.id).toBe((await commandEventIds('env-7', 'user-ann', 1))[0]);
  });

  it('a command re-sent with the same id appends nothing new and returns the original result', async () => {
    await using store = createInMemoryEventStore();
    await handleCommand(store, 'user-ann', userDecider, create, { commandId: 'c1' });
    const update = UpdateUser({ userId: 'ann', email: 'new@example.com' });
    const original = await handleCommand(store, 'user-ann', userDecider, update, { commandId: 'c2' });
    await handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'Later' }), {
      commandId: 'c3',
    });

    const again = await handleCommand(store, 'user-ann', userDecider, update, { commandId: 'c2' });
    expect(again.duplicate).toBe(true);
    expect(again.nextVersion).toBe(original.nextVersion);
    expect(again.position).toBe(original.position);
    expect(again.newEvents.map((e) => e.id)).toEqual(original.newEvents.map((e) => e.id));
    expect(again.newState).toEqual(original.newState);
    expect(await readAllOf(store, 'user-ann')).toHaveLength(3);

    // Even a command that would now fail (create again) is recognised as the one already handled.
    const recreate = await handleCommand(store, 'user-ann', userDecider, create, { commandId: 'c1' });
    expect(recreate.duplicate).toBe(true);
    expect(recreate.nextVersion).toBe(1n);
    expect(await readAllOf(store, 'user-ann')).toHaveLength(3);
  });

  it('the same command delivered twice at once: the store returns the original result to the second, one event stored', async () => {
    await using inner = createInMemoryEventStore();
    await handleCommand(inner, 'user-ann', userDecider, create, { commandId: 'c0' });
    const store = gatedStore(inner, 2);
    const update = UpdateUser({ userId: 'ann', name: 'Twice' });
    const [a, b] = await Promise.all([
      handleCommand(store, 'user-ann', userDecider, update, { commandId: 'dup' }),
      handleCommand(store, 'user-ann', userDecider, update, { commandId: 'dup' }),
    ]);
    expect(a.nextVersion).toBe(2n);
    expect(b.nextVersion).toBe(2n);
    expect(b.position).toBe(a.position);
    expect(b.newEvents.map((e) => e.id)).toEqual(a.newEvents.map((e) => e.id));
    expect(await readAllOf(inner, 'user-ann')).toHaveLength(2);
  });

  it('without a command id, re-sending is not deduplicated (negative control for the test above)', async () => {
    await using store = createInMemoryEventStore();
    await handleCommand(store, 'user-ann', userDecider, create);
    const first = await handleCommand(store, 'user-ann', userDecider, DeactivateUser({ userId: 'ann' }));
    expect(isUuid(first.commandId)).toBe(true);
    await expect(
      handleCommand(store, 'user-ann', userDecider, DeactivateUser({ userId: 'ann' })),
    ).rejects.toBeInstanceOf(UserAlreadyInactive);
    await expect(handleCommand(store, 'user-ann', userDecider, create)).rejects.toBeInstanceOf(UserAlreadyExists);
  });

  it('propagates a domain error from decide unchanged and appends nothing', async () => {
    await using store = createInMemoryEventStore();
    const error = await handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'x' }), {
      commandId: 'u1',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserNotActive);
    expect((error as UserNotActive).code).toBe('USER_NOT_ACTIVE');
    expect(await readAllOf(store, 'user-ann')).toEqual([]);
    expect((await store.streamInfo('user-ann')).version).toBe(0n);
  });

  it('a decision with no events appends nothing and reports the current version and position', async () => {
    await using store = createInMemoryEventStore();
    const created = await handleCommand(store, 'user-ann', userDecider, create, { commandId: 'c1' });
    const noop = await handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'Ann' }), {
      commandId: 'c2',
    });
    expect(noop.newEvents).toEqual([]);
    expect(noop.nextVersion).toBe(1n);
    expect(noop.position).toBe(created.position);
    expect(await store.headPosition()).toBe(created.position);
  });

  it('two concurrent commands on one stream both succeed, the second after a conflict and a clock-timed backoff', async () => {
    await using inner = createInMemoryEventStore();
    await handleCommand(inner, 'user-ann', userDecider, create, { commandId: 'c0' });
    const store = gatedStore(inner, 2);
    const clock = createFakeClock();
    const retries: { attempt: number; delayMs: number; error: Error }[] = [];
    const options = { clock, random: () => 0.5, onRetry: (r: (typeof retries)[number]) => retries.push(r) };

    const a = handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'Ann A' }), {
      ...options,
      commandId: 'a',
    });
    const b = handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', email: 'b@example.com' }), {
      ...options,
      commandId: 'b',
    });
    const winner = await Promise.race([a, b]);
    expect(winner.attempts).toBe(1);
    // The loser hit a ConcurrencyError and now waits on the clock: 0.5 * min(500, 10 * 2^0) = 5 ms.
    await clock.advance(0);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(ConcurrencyError);
    expect(retries[0]!.delayMs).toBe(5);
    expect(clock.pending()).toBe(1);
    await clock.advance(4);
    expect(clock.pending()).toBe(1);
    await clock.advance(1);
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.attempts, rb.attempts].sort()).toEqual([1, 2]);
    expect([ra.nextVersion, rb.nextVersion].sort()).toEqual([2n, 3n]);
    const events = await readAllOf(inner, 'user-ann');
    expect(events.map((e) => e.version)).toEqual([1n, 2n, 3n]);
    // The retried decision saw the winner's event: both changes are in the final state.
    const final = ra.nextVersion === 3n ? ra.newState : rb.newState;
    expect(final).toMatchObject({ name: 'Ann A', email: 'b@example.com' });
  });

  it('conflicting deactivations: exactly one is recorded, the other fails after reloading', async () => {
    const run = async (
      transform?: (o: AppendOptions | undefined) => AppendOptions | undefined,
    ): Promise<{ deactivations: number; failures: unknown[] }> => {
      await using inner = createInMemoryEventStore();
      await handleCommand(inner, 'user-ann', userDecider, create, { commandId: 'c0' });
      const store = gatedStore(inner, 2, transform);
      const results = await Promise.allSettled([
        handleCommand(store, 'user-ann', userDecider, DeactivateUser({ userId: 'ann', reason: 'a' }), {
          commandId: 'a',
          random: () => 0,
        }),
        handleCommand(store, 'user-ann', userDecider, DeactivateUser({ userId: 'ann', reason: 'b' }), {
          commandId: 'b',
          random: () => 0,
        }),
      ]);
      const events = await readAllOf(inner, 'user-ann');
      return {
        deactivations: events.filter((e) => e.type === 'user.deactivated').length,
        failures: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
      };
    };
    const correct = await run();
    expect(correct.deactivations).toBe(1);
    expect(correct.failures).toHaveLength(1);
    expect(correct.failures[0]).toBeInstanceOf(UserAlreadyInactive);

    // Negative control: a writer that ignores the expected version records both — the check above catches it.
    const broken = await run(() => ({ expectedVersion: 'any' }));
    expect(broken.deactivations).toBe(2);
    expect(broken.failures).toHaveLength(0);
  });

  it('with maxRetries 0 the ConcurrencyError surfaces and the loser appends nothing', async () => {
    await using inner = createInMemoryEventStore();
    await handleCommand(inner, 'user-ann', userDecider, create, { commandId: 'c0' });
    const store = gatedStore(inner, 2);
    const results = await Promise.allSettled([
      handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'A' }), {
        commandId: 'a',
        maxRetries: 0,
      }),
      handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'B' }), {
        commandId: 'b',
        maxRetries: 0,
      }),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    const error = (rejected[0] as PromiseRejectedResult).reason as ConcurrencyError;
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error.expected).toBe(1n);
    expect(error.actual).toBe(2n);
    expect(await readAllOf(inner, 'user-ann')).toHaveLength(2);
  });

  it('gives up after maxRetries conflicts in a row', async () => {
    await using inner = createInMemoryEventStore();
    await handleCommand(inner, 'user-ann', userDecider, create, { commandId: 'c0' });
    let appends = 0;
    // Another writer always slips in between our load and our append.
    const store: CommandStore = {
      readStream: (id, o) => inner.readStream(id, o),
      streamInfo: (id) => inner.streamInfo(id),
      async append(id, events, options) {
        appends++;
        await inner.append(id, [{ type: 'user.updated', data: { userId: 'ann', changes: { name: `x${appends}` } } }]);
        return inner.append(id, events, options);
      },
    };
    const error = await handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', email: 'e@x.io' }), {
      commandId: 'u',
      maxRetries: 2,
      random: () => 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(appends).toBe(3);
  });

  it('retries an unknown commit outcome with the same ids and gets the original result, without duplicates', async () => {
    await using inner = createInMemoryEventStore();
    let failOnce = true;
    const store: CommandStore = {
      readStream: (id, o) => inner.readStream(id, o),
      streamInfo: (id) => inner.streamInfo(id),
      async append(id, events, options) {
        const result = await inner.append(id, events, options);
        if (failOnce) {
          failOnce = false;
          throw new UnknownOutcomeError(id, new Error('connection reset during COMMIT'));
        }
        return result;
      },
    };
    const retried: Error[] = [];
    const onRetry = ({ error }: { error: Error }): number => retried.push(error);
    const result = await handleCommand(store, 'user-ann', userDecider, create, {
      commandId: 'c1',
      random: () => 0,
      onRetry,
    });
    expect(retried.map((e) => e.constructor)).toEqual([UnknownOutcomeError]);
    // Re-sent, not re-decided.
    expect(result.attempts).toBe(1);
    expect(result.nextVersion).toBe(1n);
    expect(await readAllOf(inner, 'user-ann')).toHaveLength(1);

    // Without a command id the generated event ids are kept for the re-send too.
    failOnce = true;
    const deactivated = await handleCommand(store, 'user-ann', userDecider, DeactivateUser({ userId: 'ann' }), {
      random: () => 0,
      onRetry,
    });
    expect(retried).toHaveLength(2);
    expect(deactivated.nextVersion).toBe(2n);
    expect(await readAllOf(inner, 'user-ann')).toHaveLength(2);
  });

  it('finds the original events behind a snapshot when the store reports the derived ids as duplicates', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = { store: createInMemorySnapshotStore(), every: 1, version: 1 };
    await handleCommand(store, 'user-ann', userDecider, create, { commandId: 'c1', snapshots });
    const update = UpdateUser({ userId: 'ann', name: 'Bea' });
    const original = await handleCommand(store, 'user-ann', userDecider, update, { commandId: 'c2', snapshots });
    await handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'Cy' }), {
      commandId: 'c3',
      snapshots,
    });
    // The snapshot is at version 3: the load does not see c2's event, the append's ids collide.
    const updateAgain = UpdateUser({ userId: 'ann', name: 'Bea' });
    const again = await handleCommand(store, 'user-ann', userDecider, updateAgain, { commandId: 'c2', snapshots });
    expect(again.duplicate).toBe(true);
    expect(again.nextVersion).toBe(original.nextVersion);
    expect(again.newState).toEqual(original.newState);
    expect(await readAllOf(store, 'user-ann')).toHaveLength(3);
  });

  it('refuses bad input with typed errors and writes nothing', async () => {
    await using store = createInMemoryEventStore();
    await expect(handleCommand(store, '', userDecider, create)).rejects.toMatchObject({ code: 'INVALID_STREAM_ID' });
    await expect(handleCommand(store, 'user-ann', userDecider, create, { commandId: '' })).rejects.toMatchObject({
      code: 'INVALID_COMMAND_ID',
    });
    await expect(handleCommand(store, 'user-ann', userDecider, create, { maxRetries: -1 })).rejects.toMatchObject({
      code: 'INVALID_RETRY_OPTIONS',
    });
    const unknown = { type: 'user.delete', data: { userId: 'ann' } } as unknown as typeof create;
    const error = await handleCommand(store, 'user-ann', userDecider, unknown).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('UNKNOWN_COMMAND');
    expect((error as Error).message).toContain('user.create, user.update, user.deactivate');
    await expect(handleCommand(store, 'user-ann', {} as typeof userDecider, create)).rejects.toMatchObject({
      code: 'INVALID_DECIDER',
    });
    await expect(
      handleCommand(store, 'user-ann', userDecider, create, {
        snapshots: {
          store: { load: () => Promise.resolve(undefined), save: () => Promise.resolve() },
          version: 0,
          every: 1,
        },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_SNAPSHOT_OPTIONS' });
    expect(await store.headPosition()).toBe(0n);
  });

  it('an event the store refuses (not JSON) fails the command with the store ValidationError, nothing written', async () => {
    await using store = createInMemoryEventStore();
    const bad = {
      ...userDecider,
      decide: () => UserCreated({ userId: 'ann', email: 'a', name: 10n as unknown as string }),
    };
    await expect(handleCommand(store, 'user-ann', bad, create, { commandId: 'x' })).rejects.toMatchObject({
      code: 'NOT_SERIALIZABLE',
    });
    expect(await store.headPosition()).toBe(0n);
  });

  it('an aborted signal stops before loading, and during the backoff wait', async () => {
    await using store = createInMemoryEventStore();
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    await expect(
      handleCommand(store, 'user-ann', userDecider, create, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(await store.headPosition()).toBe(0n);

    await handleCommand(store, 'user-ann', userDecider, create, { commandId: 'c0' });
    const gated = gatedStore(store, 2);
    const clock = createFakeClock();
    const waiting = new AbortController();
    const options = {
      clock,
      random: () => 0.99,
      signal: waiting.signal,
      onRetry: () => waiting.abort(new Error('shutdown')),
    };
    const results = await Promise.allSettled([
      handleCommand(gated, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'A' }), {
        ...options,
        commandId: 'a',
      }),
      handleCommand(gated, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'B' }), {
        ...options,
        commandId: 'b',
      }),
    ]);
    // One won; the other was told to retry, and the abort ended its wait without the clock moving.
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))[0]).toBeInstanceOf(
      AbortedError,
    );
    expect(await readAllOf(store, 'user-ann')).toHaveLength(2);
  });
});
