import { describe, expect, it, vi } from 'vitest';
import { createFakeClock } from 'tidings/testing';
import type { Discarded } from 'tidings/streams';
import { StageError, batch, compose, filter, flatMap, map, pipe } from 'tidings/streams';
import { QueueFullError } from 'tidings';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** An async source that yields `items` one per microtask and records how far it was pulled. */
function tracked<T>(items: readonly T[]): AsyncIterable<T> & { pulled: number; returned: boolean } {
  const state = {
    pulled: 0,
    returned: false,
    async *[Symbol.asyncIterator](): AsyncGenerator<T> {
      try {
        for (const item of items) {
          await Promise.resolve();
          state.pulled++;
          yield item;
        }
      } finally {
        state.returned = true;
      }
    },
  };
  return state;
}

describe('pipe', () => {
  it('runs map, filter and flatMap over a sync source, in order', async () => {
    const out = await collect(
      pipe(
        [1, 2, 3, 4, 5],
        map((n) => n * 10),
        filter((n) => n !== 30),
        flatMap((n) => [n, n + 1]),
      ),
    );
    expect(out).toEqual([10, 11, 20, 21, 40, 41, 50, 51]);
  });

  it('keeps order through asynchronous stages whose promises settle out of order', async () => {
    const clock = createFakeClock();
    // Later items finish sooner: without serialization they would overtake.
    const slow = map(async (n: number) => {
      await clock.sleep(100 - n * 10);
      return n;
    });
    const running = pipe(
      [1, 2, 3, 4, 5],
      slow,
      map((n) => `#${n}`),
    ).start({ clock });
    const done = collect(running);
    await clock.runAll();
    expect(await done).toEqual(['#1', '#2', '#3', '#4', '#5']);
  });

  it('pulls from the source only as fast as the consumer takes results (backpressure)', async () => {
    const source = tracked([1, 2, 3, 4, 5, 6, 7, 8]);
    const running = pipe(
      source,
      map((n) => n),
    ).start();
    expect(source.pulled).toBe(0); // nothing runs before it is consumed
    expect((await running.next()).value).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(source.pulled).toBeLessThanOrEqual(2); // one in hand, at most one waiting at the end
    await running.stop();
    await vi.waitFor(() => expect(source.returned).toBe(true), { timeout: 1_000 });
  });

  it('compose() joins stages into one reusable stage', async () => {
    const tens = compose(
      map((n: number) => n * 10),
      filter((n) => n > 10),
    );
    expect(await collect(pipe([1, 2, 3], tens))).toEqual([20, 30]);
    expect(pipe([1], tens, map(String)).stageNames).toEqual(['map', 'filter', 'map']);
  });

  it('pipeTo writes every result to the sink, awaits it, and resolves with the final stats', async () => {
    const clock = createFakeClock();
    const written: number[] = [];
    const done = pipe(
      [1, 2, 3],
      map((n) => n + 1),
    )
      .start({ clock })
      .pipeTo(async (n) => {
        await clock.sleep(10);
        written.push(n);
      });
    await clock.runAll();
    const stats = await done;
    expect(written).toEqual([2, 3, 4]);
    expect(stats).toMatchObject({ state: 'ended', in: 3, out: 3 });
  });

  it('refuses a second consumer', async () => {
    const running = pipe([1, 2]).start();
    await running.next();
    expect(() => running.pipeTo(() => undefined)).toThrow(/already consumed/);
  });

  it('reports the source’s own stats and per-stage counters', async () => {
    const source = Object.assign([1, 2, 3, 4], { stats: () => ({ queued: 7 }) });
    const running = pipe(
      source,
      filter((n) => n % 2 === 0),
      batch({ size: 5 }),
    ).start();
    await collect(running);
    const stats = running.stats();
    expect(stats.source).toEqual({ queued: 7 });
    expect(stats.stages.map((s) => [s.name, s.in, s.out])).toEqual([
      ['filter', 4, 2],
      ['batch(5)', 2, 1],
    ]);
    expect(stats).toMatchObject({ in: 4, out: 1, state: 'ended', buffered: 0 });
  });

  it('measures throughput on the pipeline clock', async () => {
    const clock = createFakeClock({ now: 1_000 });
    async function* ticking(): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        await clock.sleep(100); // 10 items per second
        yield i;
      }
    }
    const running = pipe(ticking()).start({ clock });
    const done = running.pipeTo(() => undefined);
    await clock.advance(1_000);
    expect(running.stats().perSecond).toBe(10);
    await clock.advance(500);
    expect(running.stats().recentPerSecond).toBe(10);
    await clock.runAll();
    await done;
    expect(running.stats()).toMatchObject({ in: 20, elapsedMs: 2_000, perSecond: 10 });
  });
});

describe('stopping', () => {
  it('stops mid-stream on abort: nothing more is pulled, held items are counted, the source is returned', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<number> {
      for (let i = 0; ; i++) {
        await clock.sleep(10);
        yield i;
      }
    }
    const running = pipe(endless(), batch({ size: 100 })).start({ clock, signal: controller.signal });
    const done = running.pipeTo(() => undefined);
    await clock.advance(255); // 25 items in the open batch
    controller.abort();
    const stats = await done;
    expect(stats).toMatchObject({ state: 'stopped', in: 25, out: 0, discardedOnStop: 25, buffered: 0 });
    await clock.advance(1_000);
    expect(running.stats().in).toBe(25);
    expect(clock.pending()).toBe(0); // no timer left behind
  });

  it('ends the loop when the consumer breaks out of it', async () => {
    const source = tracked([1, 2, 3, 4, 5]);
    const running = pipe(
      source,
      map((n) => n),
    ).start();
    for await (const n of running) if (n === 2) break;
    expect(running.stats().state).toBe('stopped');
    // The generator finishes the pull it was in, then runs its finally block.
    await vi.waitFor(() => expect(source.returned).toBe(true), { timeout: 1_000 });
    expect(source.pulled).toBeLessThanOrEqual(3);
  });

  it('an already-aborted signal starts stopped', async () => {
    const running = pipe([1, 2, 3]).start({ signal: AbortSignal.abort() });
    expect(await collect(running)).toEqual([]);
    expect(running.stats()).toMatchObject({ state: 'stopped', in: 0 });
  });

  it('stop() returns even when the source never answers', async () => {
    const hanging: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<number>>(() => undefined) }),
    };
    const running = pipe(
      hanging,
      map((n) => n),
    ).start();
    const next = running.next();
    const stats = await running.stop();
    expect(stats.state).toBe('stopped');
    expect(await next).toEqual({ value: undefined, done: true });
  });
});

describe('errors', () => {
  it('a throwing stage stops the pipeline and surfaces once, naming the stage and the item', async () => {
    const source = tracked([1, 2, 3, 4, 5]);
    const running = pipe(
      source,
      map((n) => {
        if (n === 3) throw new Error('bad reading');
        return n;
      }),
    ).start();
    const seen: number[] = [];
    const error = await (async () => {
      try {
        for await (const n of running) seen.push(n);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(seen).toEqual([1, 2]);
    expect(error).toBeInstanceOf(StageError);
    expect(error).toMatchObject({ code: 'STAGE_FAILED', stage: 'map', item: 3 });
    expect((error as Error).message).toMatch(/bad reading/);
    // Once: the next call ends, it does not throw again.
    expect(await running.next()).toEqual({ value: undefined, done: true });
    expect(running.stats()).toMatchObject({ state: 'failed', error });
    expect(source.returned).toBe(true);
    expect(source.pulled).toBe(3);
  });

  it('an async stage rejecting fails pipeTo with the stage named', async () => {
    const failing = map(
      async (n: number) => {
        await Promise.resolve();
        if (n === 2) throw new Error('enrichment down');
        return n;
      },
      { name: 'enrich' },
    );
    await expect(
      pipe([1, 2, 3], failing)
        .start()
        .pipeTo(() => undefined),
    ).rejects.toMatchObject({ stage: 'enrich', item: 2 });
  });

  it("onError: 'skip' counts and reports the item and goes on", async () => {
    const discarded: Discarded[] = [];
    const parse = map(
      (s: string) => {
        const n = Number(s);
        if (Number.isNaN(n)) throw new Error(`not a number: ${s}`);
        return n;
      },
      { onError: 'skip' },
    );
    const running = pipe(['1', 'x', '3'], parse).start({ onDiscard: (d) => discarded.push(d) });
    expect(await collect(running)).toEqual([1, 3]);
    expect(running.stats()).toMatchObject({ state: 'ended', skipped: 1 });
    expect(discarded).toEqual([{ stage: 'map', reason: 'error', item: 'x', error: new Error('not a number: x') }]);
  });

  it("the pipeline's onError applies to stages without their own", async () => {
    const running = pipe(
      [1, 2, 3],
      map((n) => {
        if (n === 2) throw new Error('no');
        return n;
      }),
    ).start({ onError: 'skip' });
    expect(await collect(running)).toEqual([1, 3]);
  });

  it('a failing source surfaces as a StageError of the source', async () => {
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      throw new Error('connection reset');
    }
    await expect(
      collect(
        pipe(
          broken(),
          map((n) => n),
        ),
      ),
    ).rejects.toMatchObject({ stage: 'source' });
  });

  it('a failing sink stops the pipeline', async () => {
    const running = pipe([1, 2, 3]).start();
    await expect(
      running.pipeTo({
        name: 'archive',
        write: (n) => {
          if (n === 2) throw new Error('disk full');
        },
      }),
    ).rejects.toMatchObject({ stage: 'archive', item: 2 });
  });

  it('an onDiscard that throws stops the pipeline instead of losing the report', async () => {
    const running = pipe(
      [1, 2],
      map(
        () => {
          throw new Error('x');
        },
        { onError: 'skip' },
      ),
    ).start({
      onDiscard: () => {
        throw new Error('reporter broken');
      },
    });
    await expect(collect(running)).rejects.toMatchObject({ stage: 'onDiscard' });
  });

  it('a buffer with overflow error fails with QueueFullError as the cause', async () => {
    const { buffer } = await import('tidings/streams');
    const clock = createFakeClock();
    const running = pipe(
      [1, 2, 3, 4, 5],
      buffer({ capacity: 2, overflow: 'error' }),
      map(async (n: number) => {
        await clock.sleep(10);
        return n;
      }),
    ).start({ clock });
    const done = running.pipeTo(() => undefined);
    const failed = expect(done).rejects.toSatisfy(
      (e: unknown) => e instanceof StageError && e.cause instanceof QueueFullError,
    );
    await clock.runAll();
    await failed;
  });
});
