import type { PoolClient } from 'pg';
import type { DeleteMode, ExpectedVersion, StreamMetadata } from 'tidings';
import { assertStreamId, assertTruncateVersion, resolveDeleteOptions } from 'tidings/store-kit';
import type { TransactionShell } from 'tidings/store-kit';
import { mapPgError } from './connection.js';
import type { SessionSettings } from './connection.js';
import type { WithClient } from './reads.js';
import { deleteStream, setStreamMetadata, truncateBefore } from './stream-admin.js';

export interface StoreAdminDeps {
  readonly s: string;
  readonly settings: SessionSettings;
  readonly shell: TransactionShell;
  readonly assertOpen: () => void;
  readonly withClient: WithClient;
}

/** The store's stream administration calls, and the one-connection transaction they (and processing) run in. */
export interface StoreAdmin {
  readonly setStreamMetadata: (streamId: string, metadata: StreamMetadata) => Promise<void>;
  readonly truncateBefore: (streamId: string, before: bigint) => Promise<void>;
  readonly deleteStream: (
    streamId: string,
    options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion },
  ) => Promise<void>;
  /** BEGIN … COMMIT on one connection; rolled back and mapped on failure. */
  readonly inTransaction: <R>(what: string, work: (client: PoolClient) => Promise<R>) => Promise<R>;
}

export function storeAdmin(deps: StoreAdminDeps): StoreAdmin {
  const { s, settings, shell, assertOpen, withClient } = deps;

  const inTransaction = <R>(what: string, work: (client: PoolClient) => Promise<R>): Promise<R> =>
    withClient(async (client) => {
      await client.query('begin');
      try {
        const result = await work(client);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw mapPgError(error, what, settings);
      }
    });

  return {
    async setStreamMetadata(streamId: string, metadata: StreamMetadata) {
      assertOpen();
      shell.assertNotInWork('setStreamMetadata');
      await withClient((c) => setStreamMetadata(c, s, streamId, metadata));
    },
    async truncateBefore(streamId: string, before: bigint) {
      assertOpen();
      shell.assertNotInWork('truncateBefore');
      assertStreamId(streamId);
      assertTruncateVersion(streamId, before);
      await inTransaction(`truncateBefore('${streamId}')`, (c) => truncateBefore(c, s, streamId, before));
    },
    async deleteStream(streamId: string, options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion }) {
      assertOpen();
      shell.assertNotInWork('deleteStream');
      assertStreamId(streamId);
      const { mode, expectedVersion } = resolveDeleteOptions(streamId, options);
      await inTransaction(`deleteStream('${streamId}')`, (c) => deleteStream(c, s, streamId, mode, expectedVersion));
    },
    inTransaction,
  };
}
