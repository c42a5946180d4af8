import { describe, expect, it } from 'vitest';
import { SequenceTracker } from './sequence-tracker.js';

describe('SequenceTracker', () => {
  it('tells next, gap, duplicate and recovered apart, per producer', () => {
    const tracker = new SequenceTracker();
    const gaps: unknown[] = [];
    const see = (producer: string, seq: number): string => tracker.observe(producer, seq, (g) => gaps.push(g));
    expect([see('p', 5), see('p', 6), see('q', 1), see('p', 6), see('p', 9), see('p', 8), see('p', 8)]).toEqual([
      'next', // the first number heard from a producer starts its sequence: earlier ones are not ours
      'next',
      'next',
      'duplicate',
      'gap',
      'recovered',
      'duplicate',
    ]);
    expect(gaps).toEqual([{ producer: 'p', from: 7, to: 8, count: 2 }]);
    expect(tracker).toMatchObject({ lost: 1, recovered: 1, duplicates: 2 });
  });

  it('counts a large gap whole', () => {
    const tracker = new SequenceTracker();
    tracker.observe('p', 1, () => undefined);
    tracker.observe('p', 1_000_002, () => undefined);
    expect(tracker.lost).toBe(1_000_000);
  });
});
