import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Message } from '../messages/message.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import type { EventStore, RecordedEvent } from '../store/types.js';
import {
  DeactivateUser,
  UpdateUser,
  UserAlreadyInactive,
  userDecider,
  userUpcaster,
} from './__fixtures__/users-decider.js';
import { UpcastError } from './errors.js';
import { handleCommand } from './handle-command.js';
import { loadState } from './load-state.js';
import { createUpcaster } from './upcaster.js';

interface Fixture {
  readonly streams: Record<string, Message[]>;
}
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')) as Fixture;

/** Writes a fixture's events verbatim, as the old code did (no upcasting on the way in). */
async function seed(store: EventStore, data: Fixture): Promise<void> {
  for (const [streamId, events] of Object.entries(data.streams))
    await store.append(streamId, events, { expectedVersion: 'no-stream' });
}

async function read(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(streamId)) out.push(e);
  return out;
}

const shape = (e: RecordedEvent): unknown => ({ type: e.type, data: e.data, schemaVersion: e.metadata.schemaVersion });

describe('upcasting stored fixtures of old event versions', () => {
  it('old streams read back in the current shape: renamed types, upgraded data, current schemaVersion', async () => {
    await using store = createInMemoryEventStore({ upcast: userUpcaster });
    await seed(store, fixture('users-v1-events.json'));
    expect((await read(store, 'user-ann')).map(shape)).toEqual([
      { type: 'user.created', data: { userId: 'ann', email: 'ann@example.com', name: 'Ann Smith' }, schemaVersion: 2 },
      { type: 'user.updated', data: { userId: 'ann', changes: { email: 'ann@smith.example' } }, schemaVersion: 3 },
      { type: 'user.updated', data: { userId: 'ann', changes: { name: 'Ann Jones' } }, schemaVersion: 3 },
    ]);
    expect((await read(store, 'user-bob')).map(shape)).toEqual([
      { type: 'user.created', data: { userId: 'bob', email: 'bob@example.com', name: 'Bob Stone' }, schemaVersion: 2 },
      // No steps for user.deactivated: only renamed; its version is untouched.
      { type: 'user.deactivated', data: { userId: 'bob', reason: 'left' }, schemaVersion: undefined },
    ]);
  });

  it('old streams load and take new commands under the new code', async () => {
    await using store = createInMemoryEventStore({ upcast: userUpcaster });
    await seed(store, fixture('users-v1-events.json'));
    const ann = await loadState(store, 'user-ann', userDecider);
    expect(ann.state).toEqual({ status: 'active', userId: 'ann', email: 'ann@smith.example', name: 'Ann Jones' });

    const updated = await handleCommand(
      store,
      'user-ann',
      userDecider,
      UpdateUser({ userId: 'ann', name: 'Ann Lee' }),
      { commandId: 'u1', upcast: userUpcaster },
    );
    expect(updated.nextVersion).toBe(4n);
    expect(updated.newState).toMatchObject({ name: 'Ann Lee', email: 'ann@smith.example' });
    await expect(
      handleCommand(store, 'user-bob', userDecider, DeactivateUser({ userId: 'bob' }), { commandId: 'd1' }),
    ).rejects.toBeInstanceOf(UserAlreadyInactive);
  });

  it('handleCommand upcasts on load even when the store does not', async () => {
    await using store = createInMemoryEventStore();
    await seed(store, fixture('users-v1-events.json'));
    const result = await handleCommand(store, 'user-ann', userDecider, UpdateUser({ userId: 'ann', email: 'x@y.io' }), {
      commandId: 'u',
      upcast: userUpcaster,
    });
    expect(result.newState).toEqual({ status: 'active', userId: 'ann', email: 'x@y.io', name: 'Ann Jones' });
  });

  it('new events are written at the current schema version, so they are not upcast again', async () => {
    // A store without an upcaster shows what is stored; handleCommand upcasts on load itself.
    await using raw = createInMemoryEventStore();
    await seed(raw, fixture('users-v1-events.json'));
    await handleCommand(raw, 'user-ann', userDecider, UpdateUser({ userId: 'ann', name: 'Ann Lee' }), {
      commandId: 'u1',
      upcast: userUpcaster,
    });
    const stored = (await read(raw, 'user-ann'))[3]!;
    expect(shape(stored)).toEqual({
      type: 'user.updated',
      data: { userId: 'ann', changes: { name: 'Ann Lee' } },
      schemaVersion: 3,
    });
    expect(userUpcaster(stored)).toBe(stored);

    // Control: the same current-shape event stored without a version counts as v1 and is misread.
    await raw.append('user-ann', [{ type: 'user.updated', data: { userId: 'ann', changes: { name: 'Oops' } } }]);
    expect(userUpcaster((await read(raw, 'user-ann'))[4]!).data).not.toEqual({
      userId: 'ann',
      changes: { name: 'Oops' },
    });
  });

  it('an event newer than the code is a typed error naming the type and versions, and handleCommand writes nothing', async () => {
    await using store = createInMemoryEventStore({ upcast: userUpcaster });
    await seed(store, fixture('users-future-event.json'));
    const error = await read(store, 'user-zed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpcastError);
    expect(error).toMatchObject({
      code: 'UNKNOWN_SCHEMA_VERSION',
      eventType: 'user.created',
      fromVersion: 7,
      knownVersion: 2,
    });
    expect((error as Error).message).toContain("'user.created'");
    expect((error as Error).message).toContain('schemaVersion 7');
    expect((error as Error).message).toContain('up to version 2');
    await expect(
      handleCommand(store, 'user-zed', userDecider, UpdateUser({ userId: 'zed', name: 'Z' }), { commandId: 'z' }),
    ).rejects.toMatchObject({
      code: 'UNKNOWN_SCHEMA_VERSION',
    });
    expect((await store.streamInfo('user-zed')).version).toBe(1n);
  });
});

describe('createUpcaster', () => {
  const event = (type: string, data: unknown, schemaVersion?: number): RecordedEvent => ({
    id: '0190f1d2-0000-7000-8000-000000000001',
    type,
    data,
    metadata: schemaVersion === undefined ? {} : { schemaVersion },
    streamId: 'thing-1',
    version: 1n,
    position: 1n,
    recordedAt: new Date(0),
    occurredAt: new Date(0),
  });

  it('applies n -> n+1 steps in order and reports the current version and names', () => {
    const seen: number[] = [];
    const upcast = createUpcaster({
      'thing.made': {
        2: (d: { v: number[] }, e) => (seen.push(e.metadata.schemaVersion!), { v: [...d.v, 3] }),
        1: (d: { v: number[] }, e) => (seen.push(e.metadata.schemaVersion ?? 1), { v: [...d.v, 2] }),
      },
      aliases: { ThingMade: 'thing.made', OldThing: 'ThingMade' },
    });
    const out = upcast(event('OldThing', { v: [1] }));
    expect(out).toMatchObject({
      type: 'thing.made',
      data: { v: [1, 2, 3] },
      metadata: { schemaVersion: 3 },
      version: 1n,
      streamId: 'thing-1',
    });
    expect(seen).toEqual([1, 2]);
    expect(upcast.currentVersion('thing.made')).toBe(3);
    expect(upcast.currentVersion('ThingMade')).toBe(3);
    expect(upcast.currentVersion('other.thing')).toBe(1);
    expect(upcast.canonicalType('OldThing')).toBe('thing.made');
    // Idempotent: a current event is returned as is.
    expect(upcast(out)).toBe(out);
    const untouched = event('other.thing', { a: 1 }, 4);
    expect(upcast(untouched)).toBe(untouched);
  });

  it('a gap in the chain is refused when the upcaster is built, naming type and versions', () => {
    const error = (() => {
      try {
        createUpcaster({ 'thing.made': { 1: (d: unknown) => d, 3: (d: unknown) => d } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UpcastError);
    expect(error).toMatchObject({ code: 'UPCAST_CHAIN_GAP', eventType: 'thing.made', fromVersion: 2, knownVersion: 4 });
    expect((error as Error).message).toContain('2 -> 3');
  });

  it('an event older than the first step is a typed gap error on read', () => {
    const upcast = createUpcaster({ 'thing.made': { 2: (d: unknown) => d } });
    expect(() => upcast(event('thing.made', {}, 1))).toThrow(
      expect.objectContaining({ code: 'UPCAST_CHAIN_GAP', fromVersion: 1, knownVersion: 3 }) as Error,
    );
  });

  it('a throwing step becomes UPCAST_FAILED with the cause', () => {
    const boom = new Error('bad data');
    const upcast = createUpcaster({
      'thing.made': {
        1: () => {
          throw boom;
        },
      },
    });
    const error = (() => {
      try {
        upcast(event('thing.made', {}));
      } catch (e) {
        return e as UpcastError;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'UPCAST_FAILED', eventType: 'thing.made', fromVersion: 1 });
    expect(error?.cause).toBe(boom);
  });

  it('malformed definitions are refused with INVALID_UPCASTER', () => {
    const f = (d: unknown): unknown => d;
    expect(() => createUpcaster({ 'thing.made': { 0: f } })).toThrow(
      expect.objectContaining({ code: 'INVALID_UPCASTER' }) as Error,
    );
    expect(() => createUpcaster({ 'thing.made': {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_UPCASTER' }) as Error,
    );
    expect(() => createUpcaster({ 'thing.made': { 1: 'nope' as unknown as typeof f } })).toThrow(
      expect.objectContaining({ code: 'INVALID_UPCASTER' }) as Error,
    );
    expect(() => createUpcaster({ aliases: { A: 'B', B: 'A' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_UPCASTER' }) as Error,
    );
    expect(() => createUpcaster({ aliases: { Old: 'thing.made' }, Old: { 1: f } })).toThrow(
      expect.objectContaining({ code: 'INVALID_UPCASTER' }) as Error,
    );
    expect(() => createUpcaster({ 'not a type': { 1: f } })).toThrow(
      expect.objectContaining({ code: 'INVALID_TYPE' }) as Error,
    );
  });
});
