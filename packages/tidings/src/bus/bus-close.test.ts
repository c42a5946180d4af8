import { describe, expect, it } from 'vitest';
import { BusClosedError } from './bus-errors.js';
import { createEventBus } from './event-bus.js';

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
