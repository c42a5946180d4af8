import { describe, expect, it, vi } from 'vitest';
import { TidingsError } from '../errors.js';
import { compose } from '../bus/middleware.js';
import { createFakeClock } from '../time/fake-clock.js';
import { createIdempotencyStore, type IdempotencyStore } from './idempotency-store.js';
import { idempotencyMiddleware, idempotent } from './idempotency.js';
import { deferred, drain, expectInvalidOption, flush, settle, testContext } from './__fixtures__/helpers.js';

/** The same store seen through another object: what a second process sharing a durable store looks like. */
function otherProcess(store: IdempotencyStore): IdempotencyStore {
  return {
    get: (key) => store.get(key),
    begin: (key, options) => store.begin(key, options),
    complete: (key, owner, result, options) => store.complete(key, owner, result, options),
    fail: (key, owner) => store.fail(key, owner),
  };
}

describe('idempotent', () => {
  it('runs the handler once for 100 concurrent duplicates, and every caller gets the first result', async () => {
    const store = createIdempotencyStore();
    const gate = deferred();
    let runs = 0;
    const handler = async (): Promise<{ receipt: number }> => {
      runs += 1;
      await gate.promise;
      return { receipt: runs };
    };
    const calls = Array.from({ length: 100 }, () => idempotent(handler, { store, key: 'charge:o-1' }));
    await flush();
    gate.resolve();
    const results = await Promise.all(calls);
    expect(runs).toBe(1);
    expect(new Set(results.map((r) => r.receipt))).toEqual(new Set([1]));
    await expect(idempotent(handler, { store, key: 'charge:o-1' })).resolves.toEqual({ receipt: 1 });
    expect(runs).toBe(1);
  });

  it('negative control: the same duplicate check catches check-then-run without an atomic claim', async () => {
    const store = createIdempotencyStore();
    let runs = 0;
    const naive = async (key: string, fn: () => Promise<unknown>): Promise<unknown> => {
      const seen = await store.get(key);
      if (seen?.status === 'completed') return seen.result;
      const result = await fn();
      const claim = await store.begin(key, { leaseMs: 1_000 });
      if (claim.claimed) await store.complete(key, claim.owner, result, { ttlMs: 1_000 });
      return result;
    };
    await Promise.all(
      Array.from({ length: 100 }, () =>
        naive('k', async () => {
          runs += 1;
          await flush();
          return runs;
        }),
      ),
    );
    expect(runs).toBeGreaterThan(1);
  });

  it('shares one run with a duplicate in another process by polling the store', async () => {
    const clock = createFakeClock();
    const store = createIdempotencyStore({ clock });
    const gate = deferred();
    const first = vi.fn(async () => {
      await gate.promise;
      return 'from the first process';
    });
    const second = vi.fn(() => 'must not run');
    const a = settle(idempotent(first, { store, key: 'k', clock }));
    await flush();
    const b = settle(idempotent(second, { store: otherProcess(store), key: 'k', clock, pollIntervalMs: 50 }));
    await clock.advance(200);
    expect(b.result.status).toBe('pending');
    gate.resolve();
    await drain(clock);
    expect(a.result).toEqual({ status: 'fulfilled', value: 'from the first process' });
    expect(b.result).toEqual({ status: 'fulfilled', value: 'from the first process' });
    expect(second).not.toHaveBeenCalled();
  });

  it('does not let a failure poison the key: joiners share the error, the next repeat runs again', async () => {
    const store = createIdempotencyStore();
    const gate = deferred();
    let runs = 0;
    const flaky = async (): Promise<string> => {
      runs += 1;
      if (runs === 1) {
        await gate.promise;
        throw new Error('payment gateway timeout');
      }
      return 'charged';
    };
    const first = settle(idempotent(flaky, { store, key: 'pay-001' }));
    const joiner = settle(idempotent(flaky, { store, key: 'pay-001' }));
    await flush();
    gate.resolve();
    await flush();
    expect((first.result as { reason: Error }).reason.message).toBe('payment gateway timeout');
    expect((joiner.result as { reason: Error }).reason.message).toBe('payment gateway timeout');
    expect(await store.get('pay-001')).toBeUndefined();
    await expect(idempotent(flaky, { store, key: 'pay-001' })).resolves.toBe('charged');
    await expect(idempotent(flaky, { store, key: 'pay-001' })).resolves.toBe('charged');
    expect(runs).toBe(2);
  });

  it('forgets a completed key after its TTL', async () => {
    const clock = createFakeClock();
    const store = createIdempotencyStore({ clock });
    let runs = 0;
    const fn = (): number => ++runs;
    await idempotent(fn, { store, key: 'k', ttlMs: 1_000, clock });
    await clock.advance(999);
    await expect(idempotent(fn, { store, key: 'k', ttlMs: 1_000, clock })).resolves.toBe(1);
    await clock.advance(1);
    await expect(idempotent(fn, { store, key: 'k', ttlMs: 1_000, clock })).resolves.toBe(2);
  });

  it('lets another caller take over a claim whose lease expired; the stale owner can no longer complete it', async () => {
    const clock = createFakeClock();
    const store = createIdempotencyStore({ clock });
    const crashed = await store.begin('k', { leaseMs: 1_000 });
    expect(crashed.claimed).toBe(true);
    const early = await store.begin('k', { leaseMs: 1_000 });
    expect(early).toMatchObject({ claimed: false, record: { status: 'in-progress' } });
    await clock.advance(1_000);
    await expect(idempotent(() => 'recovered', { store, key: 'k', clock })).resolves.toBe('recovered');
    if (!crashed.claimed) throw new Error('unreachable');
    await expect(store.complete('k', crashed.owner, 'stale', { ttlMs: 1_000 })).resolves.toBe(false);
    await expect(store.fail('k', crashed.owner)).resolves.toBe(false);
    expect(await store.get('k')).toMatchObject({ status: 'completed', result: 'recovered' });
  });

  it("with onFull: 'refuse', refuses a new key when full of live keys rather than forget one, and prunes expired ones first", async () => {
    const clock = createFakeClock();
    const store = createIdempotencyStore({ clock, maxEntries: 2, onFull: 'refuse' });
    await idempotent(() => 1, { store, key: 'a', ttlMs: 100, clock });
    await idempotent(() => 2, { store, key: 'b', ttlMs: 1_000, clock });
    const full = await idempotent(() => 3, { store, key: 'c', clock }).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(TidingsError);
    expect(full).toMatchObject({ code: 'IDEMPOTENCY_STORE_FULL' });
    await clock.advance(100);
    await expect(idempotent(() => 3, { store, key: 'c', clock })).resolves.toBe(3);
    expect(store.size).toBe(2);
  });

  it('by default evicts the oldest completed key when full, never one in progress', async () => {
    const clock = createFakeClock();
    const store = createIdempotencyStore({ clock, maxEntries: 2 });
    await idempotent(() => 1, { store, key: 'a', ttlMs: 60_000, clock });
    await idempotent(() => 2, { store, key: 'b', ttlMs: 60_000, clock });
    await expect(idempotent(() => 3, { store, key: 'c', clock })).resolves.toBe(3);
    expect(store.size).toBe(2);
    expect(await store.get('a')).toBeUndefined(); // the oldest went
    expect(await store.get('b')).toMatchObject({ status: 'completed', result: 2 });
    // Both slots in progress: nothing may be forgotten, so a third key is refused.
    const busy = createIdempotencyStore({ clock, maxEntries: 2 });
    await busy.begin('x', { leaseMs: 10_000 });
    await busy.begin('y', { leaseMs: 10_000 });
    await expect(busy.begin('z', { leaseMs: 10_000 })).rejects.toMatchObject({ code: 'IDEMPOTENCY_STORE_FULL' });
    expect(() => createIdempotencyStore({ onFull: 'drop' as 'refuse' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('a record written after a prune with an earlier expiry is still pruned before refusing', async () => {
    const clock = createFakeClock();
    const store = createIdempotencyStore({ clock, maxEntries: 2, onFull: 'refuse' });
    await idempotent(() => 1, { store, key: 'long', ttlMs: 60_000, clock });
    const held = await store.begin('held', { leaseMs: 100_000 });
    // Full: the exhaustive prune finds nothing and notes that nothing expires before t=60000.
    await expect(store.begin('x', { leaseMs: 1_000 })).rejects.toMatchObject({ code: 'IDEMPOTENCY_STORE_FULL' });
    await store.fail('held', (held as { owner: string }).owner);
    await idempotent(() => 2, { store, key: 'short', ttlMs: 10, clock }); // expires long before t=60000
    await clock.advance(10);
    // 'short' sits behind the live 'long', so only an exhaustive prune finds it expired.
    await expect(idempotent(() => 3, { store, key: 'y', clock })).resolves.toBe(3);
  });

  // Negative control for the three cases below: before results were copied, the memory store and
  // the in-flight join handed every duplicate caller the first caller's object, so the mutation
  // below showed up in what later callers received.
  it('hands every duplicate caller its own copy of the result: one caller mutating it changes nothing for the others', async () => {
    const store = createIdempotencyStore();
    const charge = vi.fn(() => ({ receipt: 'r-1', lines: [{ sku: 'a', qty: 1 }], at: new Date(0) }));
    const first = await idempotent(charge, { store, key: 'charge:o-1' });
    first.lines.push({ sku: 'b', qty: 2 });
    first.receipt = 'changed';
    const second = await idempotent(charge, { store, key: 'charge:o-1' });
    expect(second).toEqual({ receipt: 'r-1', lines: [{ sku: 'a', qty: 1 }], at: new Date(0) });
    expect(second.at).toBeInstanceOf(Date); // a structured clone keeps Dates, Maps, Sets
    second.lines[0]!.qty = 99;
    const third = await idempotent(charge, { store, key: 'charge:o-1' });
    expect(third.lines).toEqual([{ sku: 'a', qty: 1 }]);
    expect(third).not.toBe(second);
    const record = await store.get('charge:o-1');
    expect(record).toMatchObject({ status: 'completed', result: { receipt: 'r-1' } });
    expect(charge).toHaveBeenCalledTimes(1);
  });

  it('gives concurrent duplicates in one process their own copies, taken before the first caller can mutate', async () => {
    const store = createIdempotencyStore();
    const gate = deferred();
    const handler = async (): Promise<{ items: number[] }> => {
      await gate.promise;
      return { items: [1] };
    };
    const firstCall = idempotent(handler, { store, key: 'k' }).then((r) => {
      r.items.push(2); // the first caller mutates as soon as it gets its result
      return r;
    });
    const joiners = Array.from({ length: 3 }, () => idempotent(handler, { store, key: 'k' }));
    await flush();
    gate.resolve();
    const first = await firstCall;
    const others = await Promise.all(joiners);
    expect(first.items).toEqual([1, 2]);
    for (const other of others) expect(other).toEqual({ items: [1] });
    expect(new Set(others).size).toBe(3);
  });

  it('freezes a result that cannot be cloned (it holds a function) and shares that frozen object', async () => {
    const store = createIdempotencyStore();
    type Receipt = { id: string; tags: string[]; print: () => string };
    const first = await idempotent((): Receipt => ({ id: 'r-1', tags: ['x'], print: () => 'r-1' }), {
      store,
      key: 'k',
    });
    const again = await idempotent((): Receipt => ({ id: 'other', tags: [], print: () => '' }), { store, key: 'k' });
    expect(again).toBe(first);
    expect(again.print()).toBe('r-1');
    expect(Object.isFrozen(again) && Object.isFrozen(again.tags)).toBe(true);
    expect(() => again.tags.push('y')).toThrow(TypeError);
  });

  it('rejects empty keys and bad settings before running anything', async () => {
    const store = createIdempotencyStore();
    const fn = vi.fn(() => 'never');
    await expect(idempotent(fn, { store, key: '' })).rejects.toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY' });
    await expect(idempotent(fn, { store, key: 'k', ttlMs: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(fn).not.toHaveBeenCalled();
    expectInvalidOption(() => idempotencyMiddleware({ store, ttlMs: -1 }), 'ttlMs', '-1');
    expectInvalidOption(() => idempotencyMiddleware({ store, leaseMs: 0 }), 'leaseMs', '0');
    expectInvalidOption(() => idempotencyMiddleware({ store, pollIntervalMs: Number.NaN }), 'pollIntervalMs', 'NaN');
    expectInvalidOption(() => idempotencyMiddleware({ store: undefined as never }), 'store', 'undefined');
    expectInvalidOption(() => createIdempotencyStore({ maxEntries: 0 }), 'maxEntries', '0');
  });
});

describe('idempotencyMiddleware', () => {
  it('keys by handler and message id by default: a redelivery is skipped, another handler of the same message is not', async () => {
    const store = createIdempotencyStore();
    const runs: string[] = [];
    const chain = compose([idempotencyMiddleware({ store })], (ctx) => {
      runs.push(`${ctx.handler}:${ctx.message.id}`);
      return runs.length;
    });
    await expect(Promise.resolve(chain(testContext({ id: 'm-1', handler: 'points' })))).resolves.toBe(1);
    await expect(Promise.resolve(chain(testContext({ id: 'm-1', handler: 'points' })))).resolves.toBe(1);
    await expect(Promise.resolve(chain(testContext({ id: 'm-1', handler: 'inventory' })))).resolves.toBe(2);
    await expect(Promise.resolve(chain(testContext({ id: 'm-2', handler: 'points' })))).resolves.toBe(3);
    expect(runs).toEqual(['points:m-1', 'inventory:m-1', 'points:m-2']);
  });

  it('uses a key function when given, and refuses an empty key without running the handler', async () => {
    const store = createIdempotencyStore();
    const handler = vi.fn(() => 'charged');
    const chain = compose(
      [idempotencyMiddleware({ store, key: (ctx) => `pay:${(ctx.message.data as { paymentId: string }).paymentId}` })],
      handler,
    );
    await chain(testContext({ data: { paymentId: 'pay-001' } }));
    await chain(testContext({ data: { paymentId: 'pay-001' } })); // a different message id, same payment
    expect(handler).toHaveBeenCalledTimes(1);
    const empty = compose([idempotencyMiddleware({ store, key: () => '' })], handler);
    await expect(Promise.resolve(empty(testContext()))).rejects.toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY' });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
