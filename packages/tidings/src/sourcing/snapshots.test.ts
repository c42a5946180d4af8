import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { EventStore } from '../store/types.js';
import {
  CreateUser,
  DeactivateUser,
  UpdateUser,
  userDecider,
  type UserCommand,
  type UserState,
} from './__fixtures__/users-decider.js';
import { InvalidSnapshotError } from './errors.js';
import { handleCommand } from './handle-command.js';
import { loadState } from './load-state.js';
import type { SnapshotOptions } from './snapshot-policy.js';
import { createInMemorySnapshotStore, type Snapshot, type SnapshotStore } from './snapshot-store.js';
import { SNAPSHOT_EVENT_TYPE, createStreamSnapshotStore } from './stream-snapshot-store.js';

const commands = (n: number): UserCommand[] => [
  CreateUser({ userId: 'ann', email: 'ann@example.com', name: 'Ann' }),
  ...Array.from({ length: n }, (_, i) => UpdateUser({ userId: 'ann', name: `Ann ${i + 1}` })),
];

async function runAll(
  store: EventStore,
  cmds: readonly UserCommand[],
  snapshots?: SnapshotOptions<UserState>,
): Promise<UserState> {
  let state: UserState = { status: 'none' };
  for (const [i, command] of cmds.entries()) {
    state = (
      await handleCommand(store, 'user-ann', userDecider, command, {
        commandId: `c${i}`,
        ...(snapshots === undefined ? {} : { snapshots }),
      })
    ).newState;
  }
  return state;
}

/** A snapshot store that remembers every save. */
function recording(inner: SnapshotStore): SnapshotStore & { saved: Snapshot[] } {
  const saved: Snapshot[] = [];
  return { saved, load: (id) => inner.load(id), save: async (s) => (saved.push(s), inner.save(s)) };
}

const bogus = (streamVersion: bigint, schemaVersion: number): Snapshot<UserState> => ({
  streamId: 'user-ann',
  streamVersion,
  schemaVersion,
  state: { status: 'active', userId: 'ann', email: 'bogus@snapshot', name: 'BOGUS' },
  takenAt: new Date(0),
});

describe.each([
  ['in-memory snapshot store', (_: EventStore) => createInMemorySnapshotStore()],
  ['stream snapshot store', (store: EventStore) => createStreamSnapshotStore(store)],
] as const)('snapshots with the %s', (_name, makeSnapshots) => {
  it('every N: the state is the same with and without snapshots, and loads read only the tail', async () => {
    await using plain = createInMemoryEventStore();
    await using snapped = createInMemoryEventStore();
    const snapshotStore = recording(makeSnapshots(snapped));
    const options: SnapshotOptions<UserState> = { store: snapshotStore, every: 5, version: 1 };

    const without = await runAll(plain, commands(11));
    const withSnapshots = await runAll(snapped, commands(11), options);
    expect(withSnapshots).toEqual(without);
    expect(snapshotStore.saved.map((s) => s.streamVersion)).toEqual([5n, 10n]);

    const loaded = await loadState(snapped, 'user-ann', userDecider, { snapshots: options });
    expect(loaded.snapshotVersion).toBe(10n);
    expect(loaded.eventsRead).toBe(2);
    expect(loaded.version).toBe(12n);
    expect(loaded.state).toEqual(without);
    expect((await loadState(plain, 'user-ann', userDecider)).state).toEqual(loaded.state);
  });

  it('a snapshot of another schema version is ignored; the same snapshot at the right version is used (control)', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = makeSnapshots(store);
    const expected = await runAll(store, commands(3));
    await snapshots.save(bogus(4n, 1));

    const ignored = await loadState(store, 'user-ann', userDecider, {
      snapshots: { store: snapshots, every: 100, version: 2 },
    });
    expect(ignored.snapshotVersion).toBeUndefined();
    expect(ignored.state).toEqual(expected);

    // Control: with the matching version the (deliberately wrong) snapshot is applied — proving the check above matters.
    const applied = await loadState(store, 'user-ann', userDecider, {
      snapshots: { store: snapshots, every: 100, version: 1 },
    });
    expect(applied.snapshotVersion).toBe(4n);
    expect(applied.state).toMatchObject({ name: 'BOGUS' });
  });

  it('a snapshot ahead of the stream (another store, a restore) is ignored', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = makeSnapshots(store);
    const expected = await runAll(store, commands(1));
    await snapshots.save(bogus(9n, 1));
    const loaded = await loadState(store, 'user-ann', userDecider, {
      snapshots: { store: snapshots, every: 100, version: 1 },
    });
    expect(loaded.snapshotVersion).toBeUndefined();
    expect(loaded.state).toEqual(expected);
    // handleCommand on top of it decides on the replayed state, at the stream's real version.
    const result = await handleCommand(
      store,
      'user-ann',
      userDecider,
      UpdateUser({ userId: 'ann', email: 'new@x.io' }),
      {
        commandId: 'u',
        snapshots: { store: snapshots, every: 100, version: 1 },
      },
    );
    expect(result.nextVersion).toBe(3n);
    expect(result.newState).toMatchObject({ name: 'Ann 1', email: 'new@x.io' });
  });

  it('truncating before the snapshot keeps loads correct; a snapshot older than the truncation is ignored', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = makeSnapshots(store);
    const options: SnapshotOptions<UserState> = { store: snapshots, every: 4, version: 1 };
    const expected = await runAll(store, commands(5), options); // snapshot at 4, stream at 6
    await store.truncateBefore('user-ann', 4n);
    const loaded = await loadState(store, 'user-ann', userDecider, { snapshots: options });
    expect(loaded.snapshotVersion).toBe(4n);
    expect(loaded.state).toEqual(expected);

    await store.truncateBefore('user-ann', 6n);
    const past = await loadState(store, 'user-ann', userDecider, { snapshots: options });
    expect(past.snapshotVersion).toBeUndefined();
    expect(past.version).toBe(6n);
  });

  it('after a soft delete the old snapshot never leaks into the revived stream', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = makeSnapshots(store);
    const options: SnapshotOptions<UserState> = { store: snapshots, every: 1, version: 1 };
    await runAll(store, commands(1), options);
    await store.deleteStream('user-ann', { mode: 'soft' });
    // The user can be created anew: the snapshot (an active user) must not be applied.
    const result = await handleCommand(
      store,
      'user-ann',
      userDecider,
      CreateUser({ userId: 'ann', email: 'two@x.io', name: 'Ann II' }),
      { commandId: 'again', snapshots: options },
    );
    expect(result.newState).toEqual({ status: 'active', userId: 'ann', email: 'two@x.io', name: 'Ann II' });
    expect(result.nextVersion).toBe(3n);
    const reloaded = await loadState(store, 'user-ann', userDecider, { snapshots: options });
    expect(reloaded.state).toEqual(result.newState);
  });

  it('a snapshot taken before a soft delete is ignored even after the stream was revived without a new one', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = makeSnapshots(store);
    const options: SnapshotOptions<UserState> = { store: snapshots, every: 1, version: 1 };
    await runAll(store, commands(1), options); // snapshot at 2: an active user
    await store.deleteStream('user-ann', { mode: 'soft' });
    await store.append('user-ann', [{ type: 'user.updated', data: { userId: 'ann', changes: { name: 'Ghost' } } }]);
    const loaded = await loadState(store, 'user-ann', userDecider, { snapshots: options });
    expect(loaded.snapshotVersion).toBeUndefined();
    // Replayed from the revived stream alone: an update without a creation leaves no user.
    expect(loaded.state).toEqual({ status: 'none' });
    expect(loaded.version).toBe(3n);
  });

  it('`when` takes a snapshot by predicate', async () => {
    await using store = createInMemoryEventStore();
    const snapshotStore = recording(makeSnapshots(store));
    const options: SnapshotOptions<UserState> = {
      store: snapshotStore,
      version: 1,
      when: (state) => state.status === 'inactive',
    };
    await runAll(store, [...commands(2), DeactivateUser({ userId: 'ann' })], options);
    expect(snapshotStore.saved.map((s) => [s.streamVersion, (s.state as UserState).status])).toEqual([
      [4n, 'inactive'],
    ]);
  });
});

describe('snapshot races', () => {
  it('events after the snapshot truncated between streamInfo and the read: the snapshot is dropped, not bridged over the gap', async () => {
    await using store = createInMemoryEventStore();
    const options: SnapshotOptions<UserState> = { store: createInMemorySnapshotStore(), every: 4, version: 1 };
    await runAll(store, commands(5), options); // snapshot at 4, stream at 6
    const racing = {
      readStream: store.readStream.bind(store),
      async streamInfo(id: string) {
        const info = await store.streamInfo(id);
        await store.truncateBefore(id, 6n); // lands right after the info was read
        return info;
      },
    };
    const loaded = await loadState(racing, 'user-ann', userDecider, { snapshots: options });
    expect(loaded.snapshotVersion).toBeUndefined();
    expect(loaded.eventsRead).toBe(1);
    expect(loaded.version).toBe(6n);
  });
});

describe('snapshot failures', () => {
  it('an unreadable snapshot is reported and ignored; the command still succeeds', async () => {
    await using store = createInMemoryEventStore();
    await runAll(store, commands(1));
    await store.append('$snapshot-user-ann', [
      { type: SNAPSHOT_EVENT_TYPE, data: { streamVersion: 'two', state: {} } },
    ]);
    const errors: Error[] = [];
    const options: SnapshotOptions<UserState> = {
      store: createStreamSnapshotStore(store),
      every: 100,
      version: 1,
      onError: (e) => errors.push(e),
    };
    const result = await handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'Zed' }), {
      commandId: 'z',
      snapshots: options,
    });
    expect(result.newState).toMatchObject({ name: 'Zed' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidSnapshotError);
  });

  it('a failing save does not fail the committed command', async () => {
    await using store = createInMemoryEventStore();
    const failing: SnapshotStore = {
      load: () => Promise.resolve(undefined),
      save: () => Promise.reject(new Error('disk full')),
    };
    const result = await handleCommand(store, 'user-ann', userDecider, commands(0)[0]!, {
      commandId: 'c',
      snapshots: { store: failing, every: 1, version: 1 },
    });
    expect(result.snapshot).toBe('failed');
    expect(result.snapshotError?.message).toBe('disk full');
    expect(result.nextVersion).toBe(1n);
  });

  it('state that is not JSON cannot be snapshotted (typed error), never silently mangled', async () => {
    const snapshots = createInMemorySnapshotStore();
    await expect(
      snapshots.save({
        streamId: 's-1',
        streamVersion: 1n,
        schemaVersion: 1,
        state: { tags: new Set(['a']) },
        takenAt: new Date(),
      }),
    ).rejects.toMatchObject({
      code: 'NOT_SERIALIZABLE',
    });
    expect(snapshots.size).toBe(0);
  });

  it('the stream snapshot store keeps one readable snapshot per stream in a $snapshot companion stream', async () => {
    await using store = createInMemoryEventStore();
    const snapshots = createStreamSnapshotStore(store);
    await runAll(store, commands(6), { store: snapshots, every: 2, version: 1 });
    const info = await store.streamInfo('$snapshot-user-ann');
    expect(info.version).toBe(3n);
    expect(info.metadata.maxCount).toBe(1);
    const readable = [];
    for await (const e of store.readStream('$snapshot-user-ann')) readable.push(e);
    expect(readable).toHaveLength(1);
    expect((await snapshots.load('user-ann'))?.streamVersion).toBe(6n);
    expect(await snapshots.load('user-nobody')).toBeUndefined();
  });
});
