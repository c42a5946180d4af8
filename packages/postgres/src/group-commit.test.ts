import { ConcurrencyError } from 'tidings';
import { describe, expect, it } from 'vitest';
import type { AppendOutcome, PreparedAppend } from './append-batch.js';
import { GroupCommitter } from './group-commit.js';

const append = (streamId: string, ids: string[] = [streamId], bytes = 10): PreparedAppend => ({
  streamId,
  expectedVersion: 'any',
  bytes,
  events: ids.map((id) => ({
    id,
    type: 't.x',
    data: '{}',
    metadata: '{}',
    correlationId: undefined,
    causationId: undefined,
    schemaVersion: 1,
  })),
});

function harness(
  options: {
    fail?: (batch: readonly PreparedAppend[]) => Error | undefined;
    bounds?: Partial<{ maxBatchAppends: number; maxBatchEvents: number; maxBatchBytes: number }>;
  } = {},
) {
  const batches: string[][] = [];
  const heads: bigint[] = [];
  let position = 0n;
  const committer = new GroupCommitter(
    {
      write: async (batch) => {
        await Promise.resolve();
        batches.push(batch.map((a) => a.streamId));
        const failure = options.fail?.(batch);
        if (failure !== undefined) throw failure;
        return batch.map((a): AppendOutcome => {
          if (a.streamId.startsWith('conflict'))
            return { ok: false, error: new ConcurrencyError(a.streamId, 'any', 0n) };
          position += BigInt(a.events.length);
          return { ok: true, result: { nextVersion: 1n, position } };
        });
      },
      retryable: (e) => (e as { retry?: boolean }).retry === true,
      toError: (e) => e,
      committed: (p) => heads.push(p),
    },
    { maxBatchAppends: 100, maxBatchEvents: 100, maxBatchBytes: 1000, ...options.bounds },
  );
  return { committer, batches, heads };
}

describe('group commit', () => {
  it('writes a lone append at once and coalesces appends that arrive while a batch is in flight', async () => {
    const { committer, batches, heads } = harness();
    const first = committer.submit(append('a'));
    await Promise.resolve();
    await Promise.resolve();
    const rest = ['b', 'c', 'd'].map((s) => committer.submit(append(s)));
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    expect(heads).toEqual([1n, 4n]);
  });

  it('gives each append its own outcome: a conflict fails only its caller', async () => {
    const { committer, batches } = harness();
    const results = await Promise.allSettled([
      committer.submit(append('a')),
      committer.submit(append('conflict-1')),
      committer.submit(append('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([['a', 'conflict-1', 'b']]);
  });

  it('retries a batch that failed as a whole member by member, and only when retryable', async () => {
    const poison = (batch: readonly PreparedAppend[]) =>
      batch.some((a) => a.streamId === 'poison') ? Object.assign(new Error('poisoned'), { retry: true }) : undefined;
    const { committer, batches } = harness({ fail: poison });
    const results = await Promise.allSettled(['a', 'poison', 'b'].map((s) => committer.submit(append(s))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([['a', 'poison', 'b'], ['a'], ['poison'], ['b']]);

    const lost = harness({ fail: () => new Error('connection lost') });
    const all = await Promise.allSettled(['a', 'b'].map((s) => lost.committer.submit(append(s))));
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(lost.batches).toEqual([['a', 'b']]);
  });

  it('respects the count, event and byte bounds, and never batches two appends sharing an event id', async () => {
    const { committer, batches } = harness({ bounds: { maxBatchAppends: 2, maxBatchBytes: 25 } });
    await Promise.all([
      committer.submit(append('a')),
      committer.submit(append('b')),
      committer.submit(append('c')),
      committer.submit(append('big', ['big'], 100)),
      committer.submit(append('d', ['same'])),
      committer.submit(append('e', ['same'])),
    ]);
    expect(batches).toEqual([['a', 'b'], ['c'], ['big'], ['d'], ['e']]);
  });

  it('idle() resolves once everything submitted has settled', async () => {
    const { committer } = harness();
    let settled = 0;
    for (const s of ['a', 'b', 'c']) void committer.submit(append(s)).then(() => settled++);
    await committer.idle();
    await Promise.resolve();
    expect(settled).toBe(3);
  });
});
