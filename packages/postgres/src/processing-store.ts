import type { PoolClient } from 'pg';
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
import type { ProcessingSql } from './processing-sql.js';
import type { WithClient } from './reads.js';

export interface ProcessingDeps {
  /** Throws StoreClosedError once the store is closed (checked before validation, as in every store). */
  readonly assertOpen: () => void;
  /** Runs `use` on a pooled connection after the store-open and schema checks; maps driver errors. */
  readonly withClient: WithClient;
  /** Runs `work` in BEGIN … COMMIT on a pooled connection (rolled back when it throws). */
  readonly inTransaction: <R>(what: string, work: (client: PoolClient) => Promise<R>) => Promise<R>;
}

/**
 * `store.processing` on PostgreSQL. Every input is validated (the shared validators) before a
 * connection is taken; lease changes run in a transaction of their own that locks the lease row,
 * so they wait for any fenced transaction holding it (decision 0622).
 */
export function postgresProcessingStore(deps: ProcessingDeps, sql: ProcessingSql): ProcessingStore {
  const { assertOpen, withClient, inTransaction } = deps;
  return {
    async getCheckpoint(processor, partition = 0) {
      assertOpen();
      assertProcessorName(processor);
      assertPartition(partition);
      return withClient((c) => sql.getCheckpoint(c, processor, partition));
    },
    listCheckpoints: () => withClient((c) => sql.listCheckpoints(c)), // withClient checks for a closed store first
    async deleteCheckpoints(processor) {
      assertOpen();
      assertProcessorName(processor);
      await withClient((c) => sql.deleteCheckpoints(c, processor));
    },
    async acquireLease(request) {
      assertOpen();
      assertLeaseRequest(request);
      return inTransaction(`acquireLease('${request.processor}')`, (c) => sql.acquireLease(c, request));
    },
    async renewLease(lease, ttlMs) {
      assertOpen();
      assertLease(lease);
      assertLeaseTtl(ttlMs);
      return withClient((c) => sql.renewLease(c, lease, ttlMs));
    },
    async releaseLease(lease) {
      assertOpen();
      assertLease(lease);
      await withClient((c) => sql.releaseLease(c, lease));
    },
    async getLease(processor, partition = 0) {
      assertOpen();
      assertProcessorName(processor);
      assertPartition(partition);
      return withClient((c) => sql.getLease(c, processor, partition));
    },
    async listParked(filter) {
      assertOpen();
      assertParkedFilter(filter);
      return withClient((c) => sql.listParked(c, filter));
    },
    async getParked(id) {
      assertOpen();
      assertParkedId('getParked', id);
      return withClient((c) => sql.getParked(c, id));
    },
  };
}

/**
 * `tx.processing` on PostgreSQL: statements on the transaction's connection, so they commit or roll
 * back with the unit of work. `useTx` refuses calls once the transaction finished and maps driver
 * errors. A fenced write locks the lease row FOR SHARE until the transaction ends.
 */
export function postgresTransactionProcessing(
  sql: ProcessingSql,
  useTx: WithClient,
  now: () => Date,
  active: () => void,
): TransactionProcessing {
  // The finished-transaction check comes first, as for the rest of tx; then validation; then SQL.
  const run = async <T>(validate: () => void, use: (c: PoolClient) => Promise<T>): Promise<T> => {
    active();
    validate();
    return useTx(use);
  };
  return {
    getCheckpoint: (processor, partition = 0) =>
      run(
        () => {
          assertProcessorName(processor);
          assertPartition(partition);
        },
        (c) => sql.getCheckpoint(c, processor, partition),
      ),
    saveCheckpoint: (write) =>
      run(
        () => assertCheckpointWrite(write),
        async (c) => {
          await sql.fence(c, write.processor, write.partition ?? 0, write.epoch);
          await sql.saveCheckpoint(c, write, now());
        },
      ),
    claimInbox: (processor, event, options) =>
      run(
        () => assertInboxClaim(processor, event, options),
        async (c) => {
          await sql.fence(c, processor, options?.partition ?? 0, options?.epoch);
          return sql.claimInbox(c, processor, event.id, event.position);
        },
      ),
    park: (request) =>
      run(
        () => assertParkRequest(request),
        async (c) => {
          await sql.fence(c, request.processor, request.partition ?? 0, request.epoch);
          return sql.park(c, request, uuidv7(), now());
        },
      ),
    unpark: (id, options) =>
      run(
        () => assertUnpark(id, options),
        async (c) => {
          const entry = await sql.getParked(c, id);
          if (entry === undefined) return false;
          await sql.fence(c, entry.processor, entry.partition, options?.epoch);
          await sql.unpark(c, id);
          return true;
        },
      ),
  };
}
