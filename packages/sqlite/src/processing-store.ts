import type { Database } from 'better-sqlite3';
import { uuidv7, type ProcessingStore, type TransactionProcessing } from 'tidings';
import {
  assertCheckpointWrite,
  assertInboxClaim,
  assertLease,
  assertLeaseRequest,
  assertLeaseTtl,
  assertParkedFilter,
  assertParkedId,
  assertParkRequest,
  assertPartition,
  assertProcessorName,
  assertUnpark,
} from 'tidings/store-kit';
import { withBusyRetry, type BusyRetry } from './busy.js';
import { ProcessingSql } from './processing-sql.js';

export interface ProcessingDeps {
  readonly reader: Database;
  readonly storeId: string;
  readonly retry: BusyRetry;
  /** Throws StoreClosedError once the store is closed. */
  readonly guard: () => void;
  /** Runs `work` alone in one write transaction on the writer connection (the store's write queue). */
  readonly exclusive: <R>(what: string, work: () => R) => Promise<R>;
  readonly now: () => number;
}

/** Runs `fn` and returns its result as a promise, turning a throw into a rejection. */
const settle = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));

/**
 * `store.processing` on SQLite. Reads use the read connection (committed state); lease changes and
 * deletions go through the write queue, so they are ordered with every transaction, fenced ones
 * included: one writer per file, and SQLite's write lock orders writers of other processes too.
 * Leases are timed by the store's clock (`options.clock`): one file, one host.
 */
export function sqliteProcessingStore(deps: ProcessingDeps, writerSql: ProcessingSql): ProcessingStore {
  const readerSql = new ProcessingSql(deps.reader, deps.storeId);
  const read = async <T>(what: string, fn: () => T): Promise<T> => {
    deps.guard();
    return withBusyRetry(what, deps.retry, fn);
  };
  const write = async <T>(what: string, validate: () => void, fn: () => T): Promise<T> => {
    deps.guard();
    validate();
    return deps.exclusive(what, fn);
  };
  return {
    getCheckpoint: (processor, partition = 0) =>
      read('getCheckpoint', () => {
        assertProcessorName(processor);
        assertPartition(partition);
        return readerSql.getCheckpoint(processor, partition);
      }),
    listCheckpoints: () => read('listCheckpoints', () => readerSql.listCheckpoints()),
    deleteCheckpoints: (processor) =>
      write(
        'deleteCheckpoints',
        () => assertProcessorName(processor),
        () => writerSql.deleteCheckpoints(processor),
      ),
    acquireLease: (request) =>
      write(
        'acquireLease',
        () => assertLeaseRequest(request),
        () => writerSql.acquireLease(request, deps.now()),
      ),
    renewLease: (lease, ttlMs) =>
      write(
        'renewLease',
        () => {
          assertLease(lease);
          assertLeaseTtl(ttlMs);
        },
        () => writerSql.renewLease(lease, ttlMs, deps.now()),
      ),
    releaseLease: (lease) =>
      write(
        'releaseLease',
        () => assertLease(lease),
        () => writerSql.releaseLease(lease, deps.now()),
      ),
    getLease: (processor, partition = 0) =>
      read('getLease', () => {
        assertProcessorName(processor);
        assertPartition(partition);
        return readerSql.getLease(processor, partition);
      }),
    listParked: (filter) =>
      read('listParked', () => {
        assertParkedFilter(filter);
        return readerSql.listParked(filter);
      }),
    getParked: (id) =>
      read('getParked', () => {
        assertParkedId('getParked', id);
        return readerSql.getParked(id);
      }),
  };
}

/**
 * `tx.processing` on SQLite: statements on the writer connection inside the transaction's
 * `BEGIN IMMEDIATE`, so they commit or roll back with the rest of the unit of work. Fencing reads
 * the lease row in the same transaction; the single writer orders a takeover before or after it.
 */
export function sqliteTransactionProcessing(
  sql: ProcessingSql,
  active: (what: string) => void,
  now: () => number,
): TransactionProcessing {
  const run = <T>(what: string, fn: () => T): Promise<T> =>
    settle(() => {
      active(`processing.${what}`);
      return fn();
    });
  return {
    getCheckpoint: (processor, partition = 0) =>
      run('getCheckpoint', () => {
        assertProcessorName(processor);
        assertPartition(partition);
        return sql.getCheckpoint(processor, partition);
      }),
    saveCheckpoint: (write) =>
      run('saveCheckpoint', () => {
        assertCheckpointWrite(write);
        sql.fence(write.processor, write.partition ?? 0, write.epoch);
        sql.saveCheckpoint(write, now());
      }),
    claimInbox: (processor, event, options) =>
      run('claimInbox', () => {
        assertInboxClaim(processor, event, options);
        sql.fence(processor, options?.partition ?? 0, options?.epoch);
        return sql.claimInbox(processor, event.id, event.position);
      }),
    park: (request) =>
      run('park', () => {
        assertParkRequest(request);
        sql.fence(request.processor, request.partition ?? 0, request.epoch);
        return sql.park(request, uuidv7(), now());
      }),
    unpark: (id, options) =>
      run('unpark', () => {
        assertUnpark(id, options);
        const entry = sql.getParked(id);
        if (entry === undefined) return false;
        sql.fence(entry.processor, entry.partition, options?.epoch);
        sql.unpark(id);
        return true;
      }),
  };
}
