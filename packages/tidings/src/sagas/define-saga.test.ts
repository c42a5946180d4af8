import { describe, expect, it } from 'vitest';
import { createTidings } from '../app/create-tidings.js';
import { defineCommand, defineEvent, payload } from '../messages/define.js';
import { createInMemoryEventStore } from '../store/memory-store.js';
import { defineSaga } from './define-saga.js';
import { openRecorder } from './recorder.js';
import type { SagaRecorder } from './saga-types.js';

const Started = defineEvent('thing.started', payload<{ id: string }>());
const Finished = defineEvent('thing.finished', payload<{ id: string }>());
const Other = defineEvent('thing.other', payload<{ id: string }>());
const DoIt = defineCommand('thing.do', payload<{ id: string }>());

const valid = {
  name: 'things',
  startedBy: [Started],
  handles: [Finished],
  correlate: (e: { data: { id: string } }) => e.data.id,
  initialState: () => ({}),
  react: () => undefined,
};

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('defineSaga refuses bad definitions with a typed error', () => {
  it.each([
    ['an empty name', { name: '' }, 'INVALID_SAGA'],
    ["a name with '-' (it would split the stream category)", { name: 'flash-sale' }, 'INVALID_SAGA'],
    ['no startedBy', { startedBy: undefined }, 'INVALID_SAGA'],
    ['an empty startedBy', { startedBy: [] }, 'INVALID_SAGA'],
    ['a type both in startedBy and handles', { handles: [Finished, Started] }, 'INVALID_SAGA'],
    ['a command in startedBy', { startedBy: [DoIt] }, 'INVALID_SAGA'],
    ['a react that is not a function', { react: 'no' }, 'INVALID_SAGA'],
    ['a correlate that is not a function', { correlate: undefined }, 'INVALID_SAGA'],
    ['an unknown key', { reacts: () => undefined }, 'UNKNOWN_OPTION'],
    ['a bad retry policy', { retry: { maxAttempts: 0 } }, 'INVALID_OPTION'],
    ['an event in sends', { sends: [Other] }, 'INVALID_SAGA'],
  ])('%s', (_what, change, expected) => {
    expect(code(() => defineSaga({ ...valid, ...change } as never))).toBe(expected);
  });

  it('names the type found in both lists', () => {
    expect(() => defineSaga({ ...valid, handles: [Started] })).toThrow(
      /'thing.started' is in both startedBy and handles/,
    );
  });

  it('accepts a valid definition and exposes its types', () => {
    const saga = defineSaga({ ...valid, sends: [DoIt] });
    expect(saga).toMatchObject({
      name: 'things',
      startedBy: ['thing.started'],
      handles: ['thing.finished'],
      sends: ['thing.do'],
    });
  });
});

describe('the recorder', () => {
  const open = (hasHandler = true) =>
    openRecorder({
      saga: 'things',
      instanceId: 'i-1',
      now: 1_000,
      eventTypes: new Set(['thing.started', 'thing.finished']),
      sends: undefined,
      hasHandler: () => hasHandler,
    });

  it('refuses use after the reaction returned', () => {
    const opened = open();
    const kept: SagaRecorder = opened.recorder;
    opened.seal();
    expect(code(() => kept.send(DoIt({ id: '1' })))).toBe('SAGA_RECORDER_CLOSED');
    expect(code(() => kept.complete())).toBe('SAGA_RECORDER_CLOSED');
  });

  it('refuses a timer whose event the saga does not handle, naming the type', () => {
    const { recorder } = open();
    expect(() => recorder.schedule('t', Other({ id: '1' }), { after: 5 })).toThrow(
      /'thing.other' is in neither startedBy nor handles/,
    );
    expect(code(() => recorder.schedule('t', Other({ id: '1' }), { after: 5 }))).toBe('TIMER_NOT_HANDLED');
  });

  it('refuses bad timer times and names, and a send without a handler', () => {
    const { recorder } = open(false);
    expect(code(() => recorder.schedule('t', Finished({ id: '1' }), {}))).toBe('INVALID_TIMER_TIME');
    expect(code(() => recorder.schedule('t', Finished({ id: '1' }), { at: 1, after: 1 }))).toBe('INVALID_TIMER_TIME');
    expect(code(() => recorder.schedule('t', Finished({ id: '1' }), { after: -1 }))).toBe('INVALID_TIMER_TIME');
    expect(code(() => recorder.schedule('t', Finished({ id: '1' }), { after: 1, in: 2 } as never))).toBe(
      'UNKNOWN_OPTION',
    );
    expect(code(() => recorder.schedule('', Finished({ id: '1' }), { after: 1 }))).toBe('INVALID_TIMER_NAME');
    expect(code(() => recorder.send(DoIt({ id: '1' })))).toBe('SAGA_COMMAND_NOT_HANDLED');
    expect(code(() => recorder.send({ nope: true } as never))).toBe('INVALID_MESSAGE');
  });

  it('a past time is accepted (the timer fires at once) and after counts from saga.now', () => {
    const opened = open();
    opened.recorder.schedule('past', Finished({ id: '1' }), { at: new Date(0) });
    opened.recorder.schedule('later', Finished({ id: '1' }), { after: 500 });
    expect(opened.effects.map((e) => (e.kind === 'schedule' ? e.dueAt : undefined))).toEqual([0, 1_500]);
    expect(opened.recorder.now).toEqual(new Date(1_000));
  });
});

describe('createTidings with sagas and timers', () => {
  it('refuses unknown keys, non-sagas, duplicate names and sagas without a store', () => {
    const store = createInMemoryEventStore();
    const saga = defineSaga(valid);
    expect(code(() => createTidings({ store, timers: { pollInterval: 5 } as never }))).toBe('UNKNOWN_OPTION');
    expect(code(() => createTidings({ store, timers: { batchSize: 0 } }))).toBe('INVALID_OPTION');
    expect(code(() => createTidings({ store, sagas: [{ name: 'x' }] as never }))).toBe('INVALID_SAGA');
    expect(code(() => createTidings({ store, sagas: [saga, defineSaga(valid)] }))).toBe('DUPLICATE_SAGA');
    expect(code(() => createTidings({ sagas: [saga] }))).toBe('NO_STORE');
  });

  it('start() runs the timer poller and stop() ends it', async () => {
    const store = createInMemoryEventStore();
    const app = createTidings({ store, sagas: [defineSaga(valid)] });
    expect(app.timers.running).toBe(false);
    await app.start();
    expect(app.timers.running).toBe(true);
    await app.stop();
    expect(app.timers.running).toBe(false);
    await app.close();
  });
});
