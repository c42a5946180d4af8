import { ConcurrencyError, type EventStore, type RecordedEvent } from 'tidings';
import { collect, ev, tick } from './fixtures.js';

// The scenarios behind the suite's ordering and concurrency tests. Each returns the violations it
// found rather than asserting, so a store's own tests can run them against a deliberately broken
// store as a negative control and expect violations.

/** Positions must strictly increase along a forward read. */
export function positionViolations(events: readonly RecordedEvent[], label = 'read'): string[] {
  const out: string[] = [];
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.position <= events[i - 1]!.position) {
      out.push(`${label}: position ${events[i]!.position} follows ${events[i - 1]!.position}`);
    }
  }
  return out;
}

/** Versions must be consecutive (ascending or descending) with no gap or repeat. */
export function contiguityViolations(
  events: readonly RecordedEvent[],
  direction: 'forward' | 'backward',
  label = 'read',
): string[] {
  const step = direction === 'forward' ? 1n : -1n;
  const out: string[] = [];
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.version !== events[i - 1]!.version + step) {
      out.push(`${label}: version ${events[i]!.version} follows ${events[i - 1]!.version}`);
    }
  }
  return out;
}

interface BatchData {
  readonly batch: number;
  readonly index: number;
  readonly size: number;
}

/** A forward read of a stream written in batches must hold whole batches, in order, from version 1. */
function wholeBatchViolations(events: readonly RecordedEvent[], label: string): string[] {
  const out: string[] = [];
  if (events.length > 0 && events[0]!.version !== 1n)
    out.push(`${label}: starts at version ${events[0]!.version}, not 1`);
  let expectBatch = 0;
  let expectIndex = 0;
  let size = 0;
  for (const e of events) {
    const d = e.data as BatchData;
    if (d.batch !== expectBatch || d.index !== expectIndex) {
      out.push(
        `${label}: at version ${e.version} found batch ${d.batch} event ${d.index}, expected batch ${expectBatch} event ${expectIndex}`,
      );
      return out;
    }
    size = d.size;
    expectIndex++;
    if (expectIndex === size) {
      expectBatch++;
      expectIndex = 0;
    }
  }
  if (expectIndex !== 0)
    out.push(`${label}: batch ${expectBatch} is partly visible (${expectIndex} of ${size} events)`);
  return out;
}

/**
 * Appends `batches` batches (sizes 1 to 5) to one stream while a reader repeatedly reads it forward,
 * backward and through readAll. Every read must be a contiguous run of whole batches, and no read
 * may see fewer events than an earlier one.
 */
export async function readsDuringAppends(
  store: EventStore,
  options: { streamId?: string; batches?: number } = {},
): Promise<string[]> {
  const streamId = options.streamId ?? 'contig-1';
  const batches = options.batches ?? 60;
  const violations: string[] = [];
  let done = false;
  let reads = 0;
  const writer = (async () => {
    try {
      for (let b = 0; b < batches; b++) {
        const size = (b % 5) + 1;
        const events = Array.from({ length: size }, (_, index) => ev('contig.written', { batch: b, index, size }));
        await store.append(streamId, events, { expectedVersion: 'any' });
      }
    } finally {
      done = true;
    }
  })();
  const reader = (async () => {
    let seen = 0;
    while (!done) {
      const forward = await collect(store.readStream(streamId));
      violations.push(
        ...contiguityViolations(forward, 'forward', 'readStream forward'),
        ...wholeBatchViolations(forward, 'readStream forward'),
      );
      if (forward.length < seen)
        violations.push(`readStream forward saw ${forward.length} events after having seen ${seen}`);
      seen = Math.max(seen, forward.length);
      const backward = await collect(store.readStream(streamId, { direction: 'backward', limit: 7 }));
      violations.push(...contiguityViolations(backward, 'backward', 'readStream backward'));
      if (backward.length > 0 && backward[0]!.version < BigInt(seen)) {
        violations.push(
          `readStream backward started at version ${backward[0]!.version} after version ${seen} was seen`,
        );
      }
      const all = await collect(store.readAll({ filter: { categories: [streamId.split('-')[0]!] } }));
      violations.push(
        ...positionViolations(all, 'readAll'),
        ...contiguityViolations(all, 'forward', 'readAll'),
        ...wholeBatchViolations(all, 'readAll'),
      );
      reads++;
      if (violations.length > 0) return;
      await tick();
    }
  })();
  await Promise.all([writer, reader]);
  const final = await collect(store.readStream(streamId));
  const total = Array.from({ length: batches }, (_, b) => (b % 5) + 1).reduce((a, b) => a + b, 0);
  if (final.length !== total)
    violations.push(`after all appends the stream holds ${final.length} events, expected ${total}`);
  violations.push(...wholeBatchViolations(final, 'final read'));
  if (reads === 0) violations.push('the reader never ran during the appends: the scenario proved nothing');
  return violations;
}

/**
 * `writers` appends with the same expected version, spread over a few ticks. Exactly one may win;
 * every other must fail with a ConcurrencyError carrying the expected and the actual version.
 */
export async function conflictingAppends(store: EventStore, writers = 8, streamId = 'race-1'): Promise<string[]> {
  await store.append(streamId, [ev('race.started')], { expectedVersion: 'no-stream' });
  const attempts = Array.from({ length: writers }, async (_, i) => {
    for (let t = 0; t < i % 3; t++) await tick();
    return store.append(streamId, [ev('race.won', { writer: i })], { expectedVersion: 1n });
  });
  const results = await Promise.allSettled(attempts);
  const violations: string[] = [];
  const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
  if (winners.length !== 1)
    violations.push(`${winners.length} of ${writers} conflicting appends succeeded, expected exactly 1`);
  for (const r of results) {
    if (r.status === 'rejected') {
      const e = r.reason as unknown;
      if (!(e instanceof ConcurrencyError))
        violations.push(`a losing append failed with ${String(e)}, expected a ConcurrencyError`);
      else if (e.expected !== 1n || e.actual !== 2n)
        violations.push(
          `ConcurrencyError carried expected ${String(e.expected)} and actual ${e.actual}, expected 1 and 2`,
        );
    }
  }
  const stored = await collect(store.readStream(streamId));
  if (stored.length !== 2) violations.push(`the stream holds ${stored.length} events, expected 2`);
  const won = (stored[1]?.data as { writer?: number } | undefined)?.writer;
  if (winners.length === 1 && won !== winners[0])
    violations.push(`the stored event is writer ${won}'s, but writer ${winners[0]} was told it won`);
  return violations;
}

/**
 * Issues, in one synchronous run (so a group-committing store puts them in one batch), two appends
 * to one stream with the same expected version and a third to another stream. Exactly one of the
 * first two wins; the third succeeds.
 */
export async function sameTickAppends(store: EventStore): Promise<string[]> {
  const results = await Promise.allSettled([
    store.append('tick-a', [ev('tick.first')], { expectedVersion: 0n }),
    store.append('tick-a', [ev('tick.second')], { expectedVersion: 0n }),
    store.append('tick-b', [ev('tick.other')], { expectedVersion: 0n }),
  ]);
  const violations: string[] = [];
  const [first, second, other] = results;
  const aWins = [first, second].filter((r) => r?.status === 'fulfilled').length;
  if (aWins !== 1) violations.push(`${aWins} of the two same-version appends to tick-a succeeded, expected exactly 1`);
  for (const r of [first, second]) {
    if (r?.status === 'rejected' && !(r.reason instanceof ConcurrencyError && r.reason.actual === 1n)) {
      violations.push(
        `the losing append failed with ${String(r.reason)}, expected a ConcurrencyError with actual version 1`,
      );
    }
  }
  if (other?.status !== 'fulfilled')
    violations.push(
      `the append to tick-b in the same tick failed: ${String(other?.status === 'rejected' ? other.reason : other)}`,
    );
  const a = await collect(store.readStream('tick-a'));
  if (a.length !== 1) violations.push(`tick-a holds ${a.length} events, expected 1`);
  const winner = first?.status === 'fulfilled' ? 'tick.first' : 'tick.second';
  if (aWins === 1 && a[0]?.type !== winner)
    violations.push(`tick-a holds ${a[0]?.type}, but ${winner} was told it won`);
  const all = await collect(store.readAll());
  violations.push(...positionViolations(all));
  if (all.length !== 2) violations.push(`the store holds ${all.length} events, expected 2`);
  return violations;
}
