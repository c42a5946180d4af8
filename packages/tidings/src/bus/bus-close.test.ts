import { describe, expect, it } from 'vitest';
import { createTidings } from '../app/create-tidings.js';
import { AbortedError, TimeoutError, ValidationError } from '../errors.js';
import { defineCommand, defineEvent, payload } from '../messages/define.js';
import { createFakeClock } from '../time/fake-clock.js';
import { BusClosedError, CloseIncompleteError, QueueFullError } from './bus-errors.js';
import { createEventBus } from './event-bus.js';
import { createCommandBus, createQueryBus } from './request-bus.js';

/** Lets every pending promise callback and immediate run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Records how a promise settled, without awaiting it. */
function outcomeOf(promise: Promise<unknown>): { value: unknown } {
  const outcome: { value: unknown } = { value: 'pending' };
  promise.then(
    (value) => (outcome.value = { resolved: value }),
    (error: unknown) => (outcome.value = error),
  );
  return outcome;
}

describe('close() settles waitFor', () => {
  // Negative control: before the fix the waitFor below stayed pending forever after close().
  it('rejects a waitFor without a timeout with BusClosedError', async () => {
    const bus = createEventBus({ onError: () => {} });
    const waiting = outcomeOf(bus.waitFor('order.paid'));
    await bus.close();
    await flush();
    expect(waiting.value).toBeInstanceOf(BusClosedError);
    expect((waiting.value as BusClosedError).message).toContain("waitFor('order.paid')");
    expect(bus.stats()).toEqual([]);
  });

  it('resolves a waitFor that an event accepted before close() satisfies while the bus drains', async () => {
    const bus = createEventBus({ onError: () => {} });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A queued handler holds the queue full, so the publish below waits for room: it is accepted
    // before close() and delivered during the drain.
    bus.subscribe('tick.happened', () => held, { queue: { capacity: 1 } });
    bus.emit({ type: 'tick.happened', data: 1 });
    await flush();
    bus.emit({ type: 'tick.happened', data: 2 });
    const published = bus.publish({ type: 'tick.happened', data: 3 });
    const waiting = bus.waitFor('tick.happened', (e) => e.data === 3);
    const closing = bus.close();
    release();
    await closing;
    await published;
    await expect(waiting).resolves.toMatchObject({ data: 3 });
  });

  it('rejects a waitFor started after close() at once', async () => {
    const bus = createEventBus();
    await bus.close();
    await expect(bus.waitFor('order.paid')).rejects.toBeInstanceOf(BusClosedError);
  });
});

const OrderPaid = defineEvent('order.paid', payload<number>());
const PayOrder = defineCommand('order.pay', payload<Record<string, never>>());

/** A promise that never settles: a handler stuck on a dependency that never answers. */
const never = (): Promise<never> => new Promise<never>(() => {});

describe('close() is bounded', () => {
  // Negative control for all of these: before the bound, close() never settled on a stuck handler.
  it('gives up on a queued handler that never settles after closeTimeoutMs (default 10 s) and names it', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock, onError: () => {} });
    bus.subscribe('order.paid', () => never(), { name: 'stuck-projection', queue: true });
    bus.emit({ type: 'order.paid', data: 1 });
    bus.emit({ type: 'order.paid', data: 2 });
    await flush();
    const waiting = outcomeOf(bus.waitFor('order.shipped'));
    const closing = outcomeOf(bus.close());
    await clock.advance(9_999);
    expect(closing.value).toBe('pending');
    await clock.advance(1);
    await flush();
    const error = closing.value as CloseIncompleteError;
    expect(error).toBeInstanceOf(CloseIncompleteError);
    expect(error.code).toBe('CLOSE_INCOMPLETE');
    expect(error.cause).toBeInstanceOf(TimeoutError);
    expect(error.unfinished).toEqual([
      { kind: 'queued', name: 'stuck-projection', messageType: undefined, running: 1, waiting: 1 },
    ]);
    expect(error.message).toContain("'stuck-projection' (queued: 1 running, 1 waiting)");
    expect(error.message).toContain('10000 ms (closeTimeoutMs)');
    // Closed all the same: nothing subscribed, waiters settled, nothing accepted.
    expect(bus.stats()).toEqual([]);
    expect(waiting.value).toBeInstanceOf(BusClosedError);
    await expect(bus.publish({ type: 'order.paid', data: 3 })).rejects.toBeInstanceOf(BusClosedError);
    expect(clock.pending()).toBe(0);
  });

  it('gives up on an async inline handler that never settles, naming it and the event type', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock, onError: () => {} });
    bus.subscribe('order.paid', () => never(), { name: 'mailer' });
    bus.emit({ type: 'order.paid', data: 1 });
    const closing = outcomeOf(bus.close({ timeoutMs: 250 }));
    await clock.advance(250);
    await flush();
    expect(closing.value).toMatchObject({
      code: 'CLOSE_INCOMPLETE',
      unfinished: [{ kind: 'inline', name: 'mailer', messageType: 'order.paid', running: 1, waiting: 0 }],
    });
    expect((closing.value as Error).message).toContain('250 ms (its timeoutMs)');
  });

  it('stops waiting when its signal aborts, with AbortedError as the cause', async () => {
    const bus = createEventBus({ onError: () => {} });
    bus.subscribe('order.paid', () => never(), { name: 'stuck', queue: true });
    bus.emit({ type: 'order.paid', data: 1 });
    await flush();
    const controller = new AbortController();
    const closing = bus.close({ signal: controller.signal });
    controller.abort();
    const error = await closing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CloseIncompleteError);
    expect((error as CloseIncompleteError).cause).toBeInstanceOf(AbortedError);
    expect(bus.stats()).toEqual([]);
  });

  it('a close that drains in time resolves and leaves no timer behind', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock });
    const seen: unknown[] = [];
    bus.subscribe(
      'order.paid',
      async (e) => {
        await clock.sleep(5_000);
        seen.push(e.data);
      },
      { queue: true },
    );
    bus.emit({ type: 'order.paid', data: 1 });
    const closing = bus.close();
    await clock.advance(5_000);
    await closing;
    expect(seen).toEqual([1]);
    expect(clock.pending()).toBe(0);
  });

  it('with timeoutMs: Infinity waits as long as the handlers take (no timer)', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock, closeTimeoutMs: Number.POSITIVE_INFINITY });
    let release!: () => void;
    bus.subscribe('order.paid', () => new Promise<void>((resolve) => (release = resolve)), { queue: true });
    bus.emit({ type: 'order.paid', data: 1 });
    await flush();
    const closing = outcomeOf(bus.close());
    await clock.advance(3_600_000);
    expect(closing.value).toBe('pending');
    release();
    await flush();
    expect(closing.value).toEqual({ resolved: undefined });
  });

  it("a second close() returns the first one's promise", async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock, onError: () => {} });
    bus.subscribe('order.paid', () => never(), { queue: true });
    bus.emit({ type: 'order.paid', data: 1 });
    await flush();
    const first = bus.close({ timeoutMs: 100 });
    const second = bus.close();
    expect(second).toBe(first);
    const outcome = outcomeOf(second);
    await clock.advance(100);
    await flush();
    expect(outcome.value).toBeInstanceOf(CloseIncompleteError);
  });

  it.each([
    [{ timeoutMs: 0 }, 'INVALID_OPTION'],
    [{ timeoutMs: Number.NaN }, 'INVALID_OPTION'],
    [{ timeoutMs: '10' }, 'INVALID_OPTION'],
    [{ signal: 'abort' }, 'INVALID_OPTION'],
    [{ timeout: 10 }, 'UNKNOWN_OPTION'],
    [5_000, 'INVALID_OPTIONS'],
    [null, 'INVALID_OPTIONS'],
  ])('refuses close(%j) with %s and leaves the bus open', async (options, code) => {
    const bus = createEventBus();
    await expect(bus.close(options as never)).rejects.toMatchObject({ code });
    await expect(bus.close(options as never)).rejects.toBeInstanceOf(ValidationError);
    expect(bus.closed).toBe(false);
    await bus.close();
  });
});

describe('command and query buses and the app close within their bound', () => {
  it('a command bus gives up on a handler that never settles and names it', async () => {
    const clock = createFakeClock();
    const commands = createCommandBus({ clock, closeTimeoutMs: 1_000 });
    commands.handle('order.pay', () => never(), { name: 'pay-order' });
    void commands.send({ type: 'order.pay', data: {} });
    await flush();
    const closing = outcomeOf(commands.close());
    await expect(commands.send({ type: 'order.pay', data: {} })).rejects.toBeInstanceOf(BusClosedError);
    await clock.advance(1_000);
    await flush();
    expect(closing.value).toMatchObject({
      code: 'CLOSE_INCOMPLETE',
      unfinished: [{ kind: 'command', name: 'pay-order', messageType: 'order.pay', running: 1 }],
    });
  });

  it('a query bus that is idle closes at once', async () => {
    const queries = createQueryBus({ clock: createFakeClock() });
    queries.handle('order.get', () => 1);
    await expect(queries.send({ type: 'order.get', data: {} })).resolves.toBe(1);
    await expect(queries.close()).resolves.toBeUndefined();
  });

  it('the app gives up after one overall bound, naming the stuck command and the stuck subscriber', async () => {
    const clock = createFakeClock();
    const app = createTidings({ clock, onError: () => {}, events: [OrderPaid], commands: [PayOrder] });
    app.commands.handle('order.pay', async (_cmd, ctx) => {
      await ctx.publish(OrderPaid(1));
      await clock.sleep(4_000); // slow, but within the bound …
      await ctx.publish(OrderPaid(2));
      return never(); // … then stuck
    });
    app.subscribe('order.paid', () => never(), { name: 'ledger', queue: true });
    void app.send(PayOrder({}));
    await flush();
    const closing = outcomeOf(app.close());
    await clock.advance(9_999);
    expect(closing.value).toBe('pending');
    await clock.advance(1);
    await flush();
    const error = closing.value as CloseIncompleteError;
    expect(error).toBeInstanceOf(CloseIncompleteError);
    expect(error.unfinished).toEqual([
      { kind: 'command', name: 'order.pay', messageType: 'order.pay', running: 1, waiting: 0 },
      { kind: 'queued', name: 'ledger', messageType: undefined, running: 1, waiting: 1 },
    ]);
    expect(app.events.closed).toBe(true);
    expect(app.events.stats()).toEqual([]);
    await expect(app.send(PayOrder({}))).rejects.toBeInstanceOf(BusClosedError);
  });

  it('disposing the app (await using) is bounded by the default too', async () => {
    const clock = createFakeClock();
    const app = createTidings({ clock, onError: () => {}, events: [OrderPaid] });
    app.subscribe('order.paid', () => never(), { queue: true });
    app.emit(OrderPaid(1));
    await flush();
    const outcome = outcomeOf(Promise.resolve(app[Symbol.asyncDispose]()));
    await clock.advance(10_000);
    await flush();
    expect(outcome.value).toBeInstanceOf(CloseIncompleteError);
  });
});

describe('an awaited publish waits for room within queueWaitTimeoutMs', () => {
  // Negative control: before the bound, the publish below waited for ever beside the stuck consumer.
  it('is refused with QUEUE_WAIT_TIMEOUT after 30 s by default, delivering nothing and leaving no waiter behind', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock, onError: () => {} });
    const seen: unknown[] = [];
    const sub = bus.subscribe(
      'tick.happened',
      (e) => {
        seen.push(e.data);
        return never();
      },
      { name: 'stuck-consumer', queue: { capacity: 1 } },
    );
    bus.emit({ type: 'tick.happened', data: 1 });
    await flush();
    bus.emit({ type: 'tick.happened', data: 2 }); // fills the queue
    // An event recorded long ago (occurredAt in the past) still gets the full wait.
    const published = outcomeOf(bus.publish({ type: 'tick.happened', data: 3 }, { occurredAt: new Date(-1e9) }));
    await clock.advance(29_999);
    expect(published.value).toBe('pending');
    expect(sub.stats().queue?.waitingPublishers).toBe(1);
    await clock.advance(1);
    await flush();
    expect(published.value).toBeInstanceOf(QueueFullError);
    expect(published.value).toMatchObject({ code: 'QUEUE_WAIT_TIMEOUT', subscription: 'stuck-consumer' });
    expect((published.value as Error).message).toContain('30000 ms (queueWaitTimeoutMs)');
    expect(sub.stats().queue).toMatchObject({ waitingPublishers: 0, length: 1 });
    expect(seen).toEqual([1]);
    expect(clock.pending()).toBe(0);
  });

  it('a publish that gets room in time is delivered and its timer cancelled; the bound is configurable', async () => {
    const clock = createFakeClock();
    const bus = createEventBus({ clock, queueWaitTimeoutMs: 5_000 });
    const seen: unknown[] = [];
    bus.subscribe(
      'tick.happened',
      async (e) => {
        await clock.sleep(1_000);
        seen.push(e.data);
      },
      { queue: { capacity: 1 } },
    );
    bus.emit({ type: 'tick.happened', data: 1 });
    await flush();
    bus.emit({ type: 'tick.happened', data: 2 });
    const published = bus.publish({ type: 'tick.happened', data: 3 });
    await clock.advance(3_000);
    await published;
    expect(seen).toEqual([1, 2, 3]);
    expect(clock.pending()).toBe(0);
    expect(() => createEventBus({ queueWaitTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
