import { expect, it } from 'vitest';
import { createEventBus } from './event-bus.js';
import type { QueueOptions } from './delivery-queue.js';
import type { Envelope } from '../messages/message.js';

/** Publishes from several concurrent publishers into queued consumers; returns what each consumer saw per publisher. */
async function run(publishers: number, perPublisher: number, queue: QueueOptions<Envelope>, jitter: boolean) {
  const bus = createEventBus();
  const seen = Array.from({ length: publishers }, () => [] as number[]);
  const sub = bus.subscribe(
    'load.tick',
    async (e) => {
      const { p, n } = e.data as { p: number; n: number };
      if (jitter) for (let i = 0; i < (n * 7919) % 4; i++) await Promise.resolve();
      seen[p]!.push(n);
    },
    { queue },
  );
  await Promise.all(
    Array.from({ length: publishers }, async (_, p) => {
      for (let n = 0; n < perPublisher; n++) await bus.publish({ type: 'load.tick', data: { p, n } });
    }),
  );
  await sub.idle();
  return seen;
}

/** The ordering check of the floor test: each publisher's events exactly once, in its order. */
function inOrderExactlyOnce(seen: number[][], perPublisher: number): boolean {
  return seen.every((ns) => ns.length === perPublisher && ns.every((n, i) => n === i));
}

/**
 * SCENARIOS.md S6, the documents' floor: 10 concurrent publishers x 10,000 events into queued
 * subscribers with concurrency 1. Every event processed exactly once, each publisher's events in
 * its order, and no queue ever above its capacity (read from the queue's own counters).
 */
it('10 publishers x 10,000 events: all processed once, in order per publisher, queues bounded', async () => {
  const publishers = 10;
  const perPublisher = 10_000;
  const capacity = 256;
  const bus = createEventBus({
    onError: (f) => {
      throw f.error;
    },
  });
  const consumers = 2;
  const seen = Array.from({ length: consumers }, () => Array.from({ length: publishers }, () => [] as number[]));
  let maxObservedLength = 0;
  const subs = seen.map((perPub, c) =>
    bus.subscribe(
      'load.tick',
      async (e) => {
        const { p, n } = e.data as { p: number; n: number };
        perPub[p]!.push(n);
        if (n % 1000 === 0) await Promise.resolve(); // some handlers are async
      },
      { queue: { capacity, concurrency: 1 }, name: `consumer-${c}` },
    ),
  );
  const publish = async (p: number) => {
    for (let n = 0; n < perPublisher; n++) {
      await bus.publish({ type: 'load.tick', data: { p, n } });
      if (n % 97 === 0) for (const s of subs) maxObservedLength = Math.max(maxObservedLength, s.stats().queue!.length);
    }
  };
  await Promise.all(Array.from({ length: publishers }, (_, p) => publish(p)));
  await Promise.all(subs.map((s) => s.idle()));

  for (const [c, perPub] of seen.entries()) {
    for (const [p, ns] of perPub.entries()) {
      expect(ns.length, `consumer ${c} publisher ${p} count`).toBe(perPublisher);
      expect(inOrderExactlyOnce([ns], perPublisher), `consumer ${c} publisher ${p} order`).toBe(true);
    }
    const stats = subs[c]!.stats().queue!;
    expect(stats.processed).toBe(publishers * perPublisher);
    expect(stats.dropped).toBe(0);
    expect(stats.failed).toBe(0);
    expect(stats.highWaterMark).toBeLessThanOrEqual(capacity);
  }
  // The publishers really were held back by the bounded queues (backpressure engaged).
  expect(Math.max(...subs.map((s) => s.stats().queue!.highWaterMark))).toBe(capacity);
  expect(maxObservedLength).toBeLessThanOrEqual(capacity);
});

it('negative control: the same ordering check fails on a deliberately unordered queue', async () => {
  // Concurrency 4 with a key that is always different: no per-key order, handlers finish out of order.
  let k = 0;
  const unordered = await run(4, 200, { capacity: 64, concurrency: 4, key: () => String(k++) }, true);
  expect(inOrderExactlyOnce(unordered, 200)).toBe(false);
  const ordered = await run(4, 200, { capacity: 64, concurrency: 1 }, true);
  expect(inOrderExactlyOnce(ordered, 200)).toBe(true);
});
