import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../store/errors.js';
import { createFakeClock } from '../time/fake-clock.js';
import { BatchCoalescer } from './batch-coalescer.js';
import type { BatchCoalescerOptions, MemberOutcome } from './batch-coalescer.js';

interface Member {
  readonly stream: string;
  readonly ids: readonly string[];
  readonly bytes: number;
}
type Result = { position: number };

const member = (stream: string, ids: string[] = [stream], bytes = 10): Member => ({ stream, ids, bytes });

function harness(
  options: {
    fail?: (batch: readonly Member[]) => Error | undefined;
    limits?: Partial<{ maxBatchAppends: number; maxBatchEvents: number; maxBatchBytes: number }>;
    sync?: boolean;
    extra?: Partial<BatchCoalescerOptions<Member, Result>>;
  } = {},
) {
  const batches: string[][] = [];
  const committed: number[] = [];
  let position = 0;
  const decide = (batch: readonly Member[]): MemberOutcome<Result>[] => {
    batches.push(batch.map((a) => a.stream));
    const failure = options.fail?.(batch);
    if (failure !== undefined) throw failure;
    return batch.map((a): MemberOutcome<Result> => {
      if (a.stream.startsWith('conflict')) return { ok: false, error: new ConcurrencyError(a.stream, 'any', 0n) };
      position += a.ids.length;
      return { ok: true, result: { position } };
    });
  };
  const coalescer = new BatchCoalescer<Member, Result>({
    limits: { maxBatchAppends: 100, maxBatchEvents: 100, maxBatchBytes: 1000, ...options.limits },
    size: (a) => ({ events: a.ids.length, bytes: a.bytes }),
    ids: (a) => a.ids,
    write: options.sync === true ? decide : async (batch) => decide(batch),
    retryable: (e) => (e as { retry?: boolean }).retry === true,
    committed: (batch) => committed.push(batch.length),
    ...options.extra,
  });
  return { coalescer, batches, committed };
}

describe('batch coalescer', () => {
  it('writes a lone append at once and coalesces appends that arrive while a batch is in flight', async () => {
    const { coalescer, batches, committed } = harness();
    const first = coalescer.append(member('a'));
    await Promise.resolve();
    const rest = ['b', 'c', 'd'].map((s) => coalescer.append(member(s)));
    expect(await Promise.all([first, ...rest])).toEqual([1, 2, 3, 4].map((position) => ({ position })));
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    expect(committed).toEqual([1, 3]);
  });

  it('gives each member its own outcome: a refusal fails only its caller', async () => {
    const { coalescer, batches } = harness();
    const results = await Promise.allSettled([
      coalescer.append(member('a')),
      coalescer.append(member('conflict-1')),
      coalescer.append(member('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(batches).toEqual([['a', 'conflict-1', 'b']]);
  });

  it('retries a batch that failed as a whole member by member, first and in order, only when retryable', async () => {
    const poison = (batch: readonly Member[]) =>
      batch.some((a) => a.stream === 'poison') ? Object.assign(new Error('poisoned'), { retry: true }) : undefined;
    const { coalescer, batches } = harness({ fail: poison });
    const first = ['a', 'poison', 'b'].map((s) => coalescer.append(member(s)));
    await Promise.resolve();
    await Promise.resolve();
    // Queued while the first batch is in flight: written after the retried members, together.
    const later = ['c', 'd'].map((s) => coalescer.append(member(s)));
    const results = await Promise.allSettled([...first, ...later]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(batches).toEqual([['a', 'poison', 'b'], ['a'], ['poison'], ['b'], ['c', 'd']]);

    const lost = harness({ fail: () => new Error('connection lost') });
    const all = await Promise.allSettled(['a', 'b'].map((s) => lost.coalescer.append(member(s))));
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(lost.batches).toEqual([['a', 'b']]);
  });

  it('maps a whole-batch failure to each member with toError', async () => {
    const { coalescer } = harness({
      fail: () => new Error('gone'),
      extra: { toError: (error, m) => new Error(`${m.stream}: ${(error as Error).message}`) },
    });
    await expect(coalescer.append(member('a'))).rejects.toThrow('a: gone');
  });

  it('respects the count, event and byte bounds, and never batches two members sharing an id', async () => {
    const { coalescer, batches } = harness({ limits: { maxBatchAppends: 2, maxBatchBytes: 25, maxBatchEvents: 3 } });
    await Promise.all([
      coalescer.append(member('a')),
      coalescer.append(member('b')),
      coalescer.append(member('c')),
      coalescer.append(member('big', ['big'], 100)),
      coalescer.append(member('d', ['same'])),
      coalescer.append(member('e', ['same'])),
      coalescer.append(member('f', ['f1', 'f2'])),
      coalescer.append(member('g', ['g1', 'g2'])),
    ]);
    expect(batches).toEqual([['a', 'b'], ['c'], ['big'], ['d'], ['e', 'f'], ['g']]);
  });

  it('runs a synchronous write in the same turn as the pass that formed the batch', async () => {
    const { coalescer, batches } = harness({ sync: true });
    const settled: string[] = [];
    await Promise.all(['a', 'b'].map((s) => coalescer.append(member(s)).then(() => settled.push(s))));
    expect(batches).toEqual([['a', 'b']]);
    expect(settled).toEqual(['a', 'b']);
  });

  it('enters the write section before forming each batch, so what queued during the wait rides along', async () => {
    let release: (() => void) | undefined;
    const entered: string[] = [];
    const { coalescer, batches } = harness({
      extra: {
        enter: (head) => {
          entered.push(head.kind === 'append' ? head.member.stream : head.what);
          if (entered.length > 1) return true;
          return new Promise<boolean>((resolve) => (release = () => resolve(true)));
        },
      },
    });
    const first = coalescer.append(member('a'));
    while (release === undefined) await Promise.resolve();
    const rest = ['b', 'c'].map((s) => coalescer.append(member(s)));
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(entered).toEqual(['a']);
  });

  it('runs exclusive jobs alone, in queue order, between batches', async () => {
    const order: string[] = [];
    const { coalescer, batches } = harness({
      extra: {
        write: async (batch) => {
          order.push(`batch ${batch.map((m) => m.stream).join('')}`);
          batches.push(batch.map((m) => m.stream));
          return batch.map(() => ({ ok: true, result: { position: 0 } }));
        },
      },
    });
    const jobs = [
      coalescer.append(member('a')),
      coalescer.append(member('b')),
      coalescer.exclusive('tx', async () => {
        order.push('tx');
        return 42;
      }),
      coalescer.append(member('c')),
      coalescer.exclusive('failing', () => Promise.reject(new Error('work failed'))),
      coalescer.append(member('d')),
    ];
    const results = await Promise.allSettled(jobs);
    expect(order).toEqual(['batch ab', 'tx', 'batch c', 'batch d']);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseFulfilledResult<number>).value).toBe(42);
  });

  it('lets a failed enter reject queued jobs by predicate and carry on with the rest', async () => {
    let calls = 0;
    let failedOnce = false;
    const { coalescer, batches } = harness({
      extra: {
        deadline: () => ++calls,
        enter: () => {
          if (calls > 0 && batches.length === 0 && !failedOnce) {
            failedOnce = true;
            coalescer.rejectWhere(
              (job) => job.deadline <= 2,
              (job) => new Error(`busy: ${job.kind === 'append' ? job.member.stream : job.what}`),
            );
            return false;
          }
          return true;
        },
      },
    });
    const results = await Promise.allSettled(['a', 'b', 'c'].map((s) => coalescer.append(member(s))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('busy: a'));
    expect(batches).toEqual([['c']]);
  });

  it('while an exclusive job runs, fails queued jobs as their deadlines pass (expire), and only then', async () => {
    const clock = createFakeClock({ now: 1000 });
    let finish: (() => void) | undefined;
    const { coalescer, batches } = harness({
      extra: {
        deadline: () => clock.now() + 50,
        expire: { clock, error: (job) => new Error(`busy: ${job.kind === 'append' ? job.member.stream : job.what}`) },
      },
    });
    const work = coalescer.exclusive('tx', () => new Promise<void>((resolve) => (finish = resolve)));
    while (finish === undefined) await Promise.resolve();
    const early = coalescer.append(member('early')).catch((e: unknown) => e);
    await clock.advance(30);
    const late = coalescer.append(member('late')).catch((e: unknown) => e);
    await clock.advance(25); // 'early' is past its deadline (1050), 'late' (1080) is not
    expect(await early).toEqual(new Error('busy: early'));
    finish();
    await work;
    expect(await late).toEqual({ position: 1 });
    expect(batches).toEqual([['late']]);
    // No exclusive job running: a queued job waits, whatever its deadline.
    await clock.advance(1000);
    expect(await coalescer.append(member('after'))).toEqual({ position: 2 });
  });

  it('idle() resolves once everything queued has settled', async () => {
    const { coalescer } = harness();
    await coalescer.idle();
    let settled = 0;
    for (const s of ['a', 'b', 'c']) void coalescer.append(member(s)).then(() => settled++);
    await coalescer.idle();
    await Promise.resolve();
    expect(settled).toBe(3);
  });

  it('fails every member with a protocol error when the write returns the wrong number of outcomes', async () => {
    const { coalescer } = harness({ extra: { write: async () => [] } });
    await expect(coalescer.append(member('a'))).rejects.toMatchObject({ code: 'STORE_PROTOCOL' });
  });
});
