import { describe, expect, it } from 'vitest';
import { AbortedError, TidingsError } from '../errors.js';
import { compose, type MiddlewareContext } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { deadLetterMiddleware } from './dead-letter.js';
import {
  createDeadLetterStore,
  type DeadLetter,
  type DeadLetterStore,
  type NewDeadLetter,
} from './dead-letter-store.js';
import { retryMiddleware } from './retry.js';
import { serializeError } from './serialize-error.js';
import { deferred, drain, expectInvalidOption, flush, settle, testContext } from './__fixtures__/helpers.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');

function letterFor(messageId: string, handler: string, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return {
    message: {
      id: messageId,
      type: 'order.paid',
      data: { orderId: 'o-1' },
      metadata: {},
      occurredAt: new Date(T0),
      streamId: 'order-1',
    },
    kind: 'handle',
    handler,
    error: serializeError(new Error('boom')),
    attempts: 1,
    firstFailedAt: new Date(T0),
    lastFailedAt: new Date(T0),
    ...overrides,
  };
}

describe('deadLetterMiddleware', () => {
  it('captures what retry gave up on: message, serialised error, attempts, first and last failure, handler', async () => {
    const clock = createFakeClock({ now: T0 });
    const store = createDeadLetterStore({ clock });
    const chain = compose(
      [
        deadLetterMiddleware({ store, clock }),
        retryMiddleware({ maxAttempts: 3, baseDelayMs: 1_000, clock, random: () => 0.5 }),
      ],
      (ctx) => {
        throw new TidingsError('SMTP_DOWN', `mail server refused (attempt ${ctx.attempt})`);
      },
    );
    const ctx = testContext({ id: 'm-42', handler: 'email-receipt', data: { orderId: 'o-42' } });
    const outcome = settle(Promise.resolve(chain(ctx)));
    await drain(clock);
    const error = (outcome.result as { reason: TidingsError }).reason;
    expect(error.code).toBe('SMTP_DOWN'); // rethrown unchanged, so onError and callers still see it

    const [letter, ...others] = await store.list();
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      kind: 'handle',
      handler: 'email-receipt',
      attempts: 3,
      firstFailedAt: new Date(T0),
      lastFailedAt: new Date(T0 + 500 + 1_000),
      message: {
        id: 'm-42',
        type: 'order.paid',
        data: { orderId: 'o-42' },
        streamId: 'order-1',
        metadata: { correlationId: 'c-1' },
      },
      error: { name: 'TidingsError', code: 'SMTP_DOWN', message: 'mail server refused (attempt 3)' },
    });
    expect(letter!.error.stack).toContain('mail server refused');
    expect(await store.get(letter!.id)).toBe(letter);
  });

  it('captures nothing when the handler succeeds, and by default not an aborted handler', async () => {
    const store = createDeadLetterStore();
    await compose([deadLetterMiddleware({ store })], () => 'ok')(testContext());
    const aborted = compose([deadLetterMiddleware({ store })], () => {
      throw new AbortedError('handler', undefined);
    });
    await expect(Promise.resolve(aborted(testContext()))).rejects.toBeInstanceOf(AbortedError);
    expect(store.size).toBe(0);
  });

  it('honours capture and rethrow: false', async () => {
    const store = createDeadLetterStore();
    const chain = compose(
      [deadLetterMiddleware({ store, rethrow: false, capture: (e) => (e as Error).message !== 'ignore me' })],
      (ctx: MiddlewareContext) => {
        throw new Error(ctx.message.id === 'skip' ? 'ignore me' : 'keep me');
      },
    );
    await expect(Promise.resolve(chain(testContext({ id: 'kept' })))).resolves.toBeUndefined();
    await expect(Promise.resolve(chain(testContext({ id: 'skip' })))).rejects.toThrow('ignore me');
    expect((await store.list()).map((l) => l.message.id)).toEqual(['kept']);
  });

  it('never loses a dead letter silently: a store failure surfaces with both errors', async () => {
    const broken: DeadLetterStore = { ...createDeadLetterStore(), add: () => Promise.reject(new Error('disk full')) };
    const chain = compose([deadLetterMiddleware({ store: broken })], () => {
      throw new Error('handler failed');
    });
    const error = (await Promise.resolve(chain(testContext())).catch((e: unknown) => e)) as TidingsError;
    expect(error.code).toBe('DEAD_LETTER_FAILED');
    const cause = error.cause as AggregateError;
    expect(cause.errors.map((e: Error) => e.message)).toEqual(['handler failed', 'disk full']);
  });

  it('rejects a missing store and bad options', () => {
    expectInvalidOption(() => deadLetterMiddleware({ store: undefined as never }), 'store', 'undefined');
    expectInvalidOption(
      () => deadLetterMiddleware({ store: createDeadLetterStore(), rethrow: 'yes' as never }),
      'rethrow',
      '"yes"',
    );
    expectInvalidOption(() => createDeadLetterStore({ maxEntries: 0 }), 'maxEntries', '0');
  });
});

describe('createDeadLetterStore', () => {
  it('upserts per handler and message id: attempts add up, the first failure time stays', async () => {
    const store = createDeadLetterStore();
    const first = await store.add(letterFor('m-1', 'points', { attempts: 3 }));
    const again = await store.add(
      letterFor('m-1', 'points', {
        attempts: 2,
        lastFailedAt: new Date(T0 + 60_000),
        firstFailedAt: new Date(T0 + 50_000),
        error: serializeError(new Error('still')),
      }),
    );
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({
      attempts: 5,
      firstFailedAt: new Date(T0),
      lastFailedAt: new Date(T0 + 60_000),
      error: { message: 'still' },
    });
    await store.add(letterFor('m-1', 'inventory'));
    expect(store.size).toBe(2);
  });

  it('lists oldest first with filters and a limit, and discards', async () => {
    const store = createDeadLetterStore();
    const a = await store.add(letterFor('m-1', 'points'));
    const b = await store.add(letterFor('m-2', 'email'));
    const c = await store.add(
      letterFor('m-3', 'points', { message: { ...letterFor('m-3', 'points').message, type: 'order.cancelled' } }),
    );
    expect((await store.list()).map((l) => l.id)).toEqual([a.id, b.id, c.id]);
    expect((await store.list({ handler: 'points' })).map((l) => l.id)).toEqual([a.id, c.id]);
    expect((await store.list({ type: 'order.cancelled' })).map((l) => l.id)).toEqual([c.id]);
    expect((await store.list({ limit: 2 })).map((l) => l.id)).toEqual([a.id, b.id]);
    await expect(store.list({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(store.discard(b.id)).resolves.toBe(true);
    await expect(store.discard(b.id)).resolves.toBe(false);
    expect(await store.get(b.id)).toBeUndefined();
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('retry: removes the entry when the redelivery succeeds and returns its result', async () => {
    const store = createDeadLetterStore();
    const letter = await store.add(letterFor('m-1', 'points'));
    const seen: DeadLetter[] = [];
    const outcome = await store.retry(letter.id, (l) => {
      seen.push(l);
      return 'redelivered';
    });
    expect(outcome).toEqual({ status: 'succeeded', result: 'redelivered' });
    expect(seen).toEqual([letter]);
    expect(await store.get(letter.id)).toBeUndefined();
    await expect(store.retry(letter.id, () => 'again')).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
  });

  it('retry: records a failed redelivery on the entry and keeps it', async () => {
    const clock = createFakeClock({ now: T0 });
    const store = createDeadLetterStore({ clock });
    const letter = await store.add(letterFor('m-1', 'points', { attempts: 3 }));
    await clock.advance(5_000);
    const outcome = await store.retry(letter.id, () => Promise.reject(new Error('still broken')));
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') throw new Error('unreachable');
    expect(outcome.letter).toMatchObject({
      id: letter.id,
      attempts: 4,
      lastFailedAt: new Date(T0 + 5_000),
      firstFailedAt: new Date(T0),
      error: { message: 'still broken' },
    });
    expect(await store.get(letter.id)).toBe(outcome.letter);
  });

  it('retry: one at a time per entry', async () => {
    const store = createDeadLetterStore();
    const letter = await store.add(letterFor('m-1', 'points'));
    const gate = deferred();
    const first = settle(store.retry(letter.id, () => gate.promise));
    await expect(store.retry(letter.id, () => 'second')).rejects.toMatchObject({ code: 'DEAD_LETTER_BUSY' });
    gate.resolve();
    await flush();
    expect(first.result).toEqual({ status: 'fulfilled', value: { status: 'succeeded', result: undefined } });
  });

  it('retry through the dead-letter middleware counts a failed redelivery once, not twice', async () => {
    const clock = createFakeClock({ now: T0 });
    const store = createDeadLetterStore({ clock });
    let fixed = false;
    const chain = compose([deadLetterMiddleware({ store, clock })], () => {
      if (!fixed) throw new Error('observer broken');
      return 'observed';
    });
    await expect(Promise.resolve(chain(testContext({ id: 'm-7', handler: 'flaky-observer' })))).rejects.toThrow();
    const [letter] = await store.list();
    const redeliver = (l: DeadLetter): unknown => chain(testContext({ id: l.message.id, handler: l.handler }));
    const failed = await store.retry(letter!.id, redeliver);
    expect(failed.status).toBe('failed');
    expect((await store.get(letter!.id))?.attempts).toBe(2);
    fixed = true;
    await expect(store.retry(letter!.id, redeliver)).resolves.toEqual({ status: 'succeeded', result: 'observed' });
    expect(store.size).toBe(0);
  });

  it('refuses to grow past maxEntries rather than drop a letter', async () => {
    const store = createDeadLetterStore({ maxEntries: 1 });
    await store.add(letterFor('m-1', 'points'));
    await expect(store.add(letterFor('m-2', 'points'))).rejects.toMatchObject({ code: 'DEAD_LETTER_STORE_FULL' });
    await expect(store.add(letterFor('m-1', 'points'))).resolves.toMatchObject({ attempts: 2 }); // an update still fits
  });
});

describe('serializeError', () => {
  it('keeps name, message, code, stack and a bounded cause chain; wraps non-errors', () => {
    const root = new Error('root');
    const mid = new TidingsError('MID', 'mid', { cause: root });
    const top = new TidingsError('TOP', 'top', { cause: mid });
    const outer = new Error('outer', { cause: top });
    const s = serializeError(outer);
    expect(s).toMatchObject({ name: 'Error', message: 'outer', cause: { code: 'TOP', cause: { code: 'MID' } } });
    expect(s.cause?.cause?.cause).toBeUndefined();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(serializeError('a string')).toMatchObject({
      code: 'NON_ERROR_THROWN',
      message: expect.stringContaining('a string') as string,
    });
  });
});
