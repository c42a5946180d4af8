import pg from 'pg';
import { StoreBusyError, TidingsError, ValidationError } from 'tidings';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresEventStore } from './index.js';
import { collect, storeFactory } from './test-support/open-store.js';
import { PG_URL, pgAvailable } from './test-support/pg-env.js';

const available = await pgAvailable();

// Issue 8 item 10 on PostgreSQL: one failed statement aborts the whole PostgreSQL transaction, so
// (a) every refusal that belongs to one append happens without a failing statement — the contract
// suite checks that the other appends still commit — and (b) when a statement does fail in the
// database (here a lock timeout), the store says so with a typed error on every later call
// instead of letting raw "current transaction is aborted" errors through.

describe.skipIf(!available)('postgres store transactions', () => {
  const stores = storeFactory('txn');
  afterAll(() => stores.cleanup());

  it('after a statement failed in the database, every tx call and the commit fail with TRANSACTION_ABORTED (negative control: raw 25P02 errors)', async () => {
    const store = await stores.open({ lockTimeoutMs: 200 });
    await store.append('s-1', [{ type: 'x.happened', data: 1 }]);
    // Another session holds the schema's head row, so the transaction's append times out on it.
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`update "${store.schema}".head set position = position`);
      const seen: unknown[] = [];
      const outcome = await store
        .transaction(async (tx) => {
          seen.push(await tx.append('s-1', [{ type: 'x.happened', data: 2 }]).catch((e: unknown) => e));
          seen.push(await tx.streamInfo('s-1').catch((e: unknown) => e));
          seen.push(await collect(tx.readStream('s-1')).catch((e: unknown) => e));
          seen.push(await tx.append('s-2', [{ type: 'x.happened', data: 3 }]).catch((e: unknown) => e));
          return 'work returned';
        })
        .catch((e: unknown) => e);
      expect(seen[0]).toBeInstanceOf(StoreBusyError);
      for (const later of seen.slice(1)) {
        expect(later).toBeInstanceOf(TidingsError);
        expect((later as TidingsError).code).toBe('TRANSACTION_ABORTED');
        expect((later as TidingsError).cause).toBe((seen[0] as Error).cause); // the database's own error
      }
      expect(outcome).toBeInstanceOf(TidingsError);
      expect((outcome as TidingsError).code).toBe('TRANSACTION_ABORTED');
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // Nothing of it was stored, and the store goes on.
    expect((await store.streamInfo('s-1')).version).toBe(1n);
    expect((await store.streamInfo('s-2')).version).toBe(0n);
    await store.append('s-1', [{ type: 'x.happened', data: 4 }]);
    expect((await store.streamInfo('s-1')).version).toBe(2n);
  });

  it('bad input inside a transaction fails before any statement is sent, so the transaction commits', async () => {
    const store = await stores.open();
    const committed = await store.transaction(async (tx) => {
      await tx.append('s-1', [{ type: 'x.happened', data: 1 }]);
      await expect(
        tx.append('s-1', [{ type: 'x.happened', data: 2, metadata: { schemaVersion: 2 ** 31 } }]),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        tx.append('s-1', [{ type: 'x.happened', data: 2, metadata: { correlationId: 'c'.repeat(5000) } }]),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        tx.append('s-1', [{ type: 'x.happened', data: 2 }], { expectedVersion: 2n ** 63n }),
      ).rejects.toBeInstanceOf(ValidationError);
      // The connection is still usable for the caller's own statements.
      return (await tx.connection.query<{ one: number }>('select 1 as one')).rows[0]!.one;
    });
    expect(committed).toBe(1);
    expect((await store.streamInfo('s-1')).version).toBe(1n);
  });

  it('refuses headPollMs, renamed pollIntervalMs, naming the new option', () => {
    let error: unknown;
    try {
      postgresEventStore({ connectionString: PG_URL, headPollMs: 50 } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('UNKNOWN_OPTION');
    expect((error as Error).message).toContain("'headPollMs' was renamed to 'pollIntervalMs'");
  });

  it('refuses options that are not an object, and a pool that is not a pool', () => {
    for (const bad of [undefined, null, 'postgres://x', 5]) {
      expect(() => postgresEventStore(bad as never)).toThrow(ValidationError);
    }
    expect(() => postgresEventStore({ pool: {} as never })).toThrow(/'pool' must be a pg Pool/);
  });
});
