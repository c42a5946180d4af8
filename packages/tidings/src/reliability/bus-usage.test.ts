// The reliability middleware on the real event bus: the recipe for the shop's flaky observer
// (retried with backoff, then dead-lettered, then retried from the dead-letter list once fixed).
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../bus/event-bus.js';
import type { HandlerFailure } from '../bus/event-bus-types.js';
import type { Envelope } from '../messages/message.js';
import { createFakeClock } from '../time/fake-clock.js';
import { createDeadLetterStore } from './dead-letter-store.js';
import { deadLetterMiddleware } from './dead-letter.js';
import { retryMiddleware } from './retry.js';
import { drain } from './__fixtures__/helpers.js';

describe('reliability middleware on the event bus', () => {
  it('retries a flaky observer, dead-letters it, and a retry from the list succeeds once it is fixed', async () => {
    const clock = createFakeClock({ now: Date.parse('2026-03-01T10:00:00Z') });
    const failures: HandlerFailure[] = [];
    const bus = createEventBus({ clock, onError: (f) => failures.push(f) });
    const deadLetters = createDeadLetterStore({ clock });
    const attempts: number[] = [];
    const points = new Map<string, number>();
    let broken = true;
    const observer = (event: Envelope, attempt: number): void => {
      attempts.push(attempt);
      if (broken) throw new Error('points service unavailable');
      const { userId, amount } = event.data as { userId: string; amount: number };
      points.set(userId, (points.get(userId) ?? 0) + Math.floor(amount / 100));
    };
    const inventory: string[] = [];
    bus.subscribe('order.paid', (event) => inventory.push((event.data as { orderId: string }).orderId), {
      name: 'inventory',
    });
    bus.subscribe('order.paid', (event, ctx) => observer(event, ctx.attempt), {
      name: 'points',
      middleware: [
        deadLetterMiddleware({ store: deadLetters, clock }),
        retryMiddleware({ maxAttempts: 3, baseDelayMs: 100, clock, random: () => 0.5 }),
      ],
    });

    const published = bus.publish({ type: 'order.paid', data: { orderId: 'o-1', userId: 'user-001', amount: 9900 } });
    await drain(clock);
    await published; // a failing observer never fails the publisher
    expect(inventory).toEqual(['o-1']); // nor the other observers
    expect(attempts).toEqual([1, 2, 3]);
    expect(failures.map((f) => [f.handler, (f.error as Error).message])).toEqual([
      ['points', 'points service unavailable'],
    ]);

    const [letter, ...rest] = await deadLetters.list({ handler: 'points' });
    expect(rest).toEqual([]);
    expect(letter).toMatchObject({
      handler: 'points',
      attempts: 3,
      message: { type: 'order.paid', data: { orderId: 'o-1', userId: 'user-001', amount: 9900 } },
      error: { message: 'points service unavailable' },
    });
    expect(letter!.lastFailedAt.getTime() - letter!.firstFailedAt.getTime()).toBe(50 + 100);

    broken = false;
    const outcome = await deadLetters.retry(letter!.id, (l) => observer(l.message, l.attempts + 1));
    expect(outcome.status).toBe('succeeded');
    expect(points.get('user-001')).toBe(99);
    expect(deadLetters.size).toBe(0);
    await bus[Symbol.asyncDispose]();
  });
});
