import type { Database as Db } from 'better-sqlite3';
import type { DeleteMode, ExpectedVersion, StreamMetadata } from 'tidings';
import {
  assertStreamId,
  assertTruncateVersion,
  encodeStreamMetadata,
  resolveDeleteOptions,
  type TransactionShell,
} from 'tidings/store-kit';
import type { GroupCommit } from './group-commit.js';
import { StreamAdminSql } from './stream-admin-sql.js';

export interface StoreAdminDeps {
  readonly writer: Db;
  readonly queue: GroupCommit;
  readonly shell: TransactionShell;
  readonly guard: () => void;
}

/** The store's stream administration calls, each run exclusively on the writer between append batches. */
export interface StoreAdmin {
  readonly setStreamMetadata: (streamId: string, metadata: StreamMetadata) => Promise<void>;
  readonly truncateBefore: (streamId: string, before: bigint) => Promise<void>;
  readonly deleteStream: (
    streamId: string,
    options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion },
  ) => Promise<void>;
}

export function storeAdmin(deps: StoreAdminDeps): StoreAdmin {
  const { queue, shell, guard } = deps;
  const admin = new StreamAdminSql(deps.writer);
  return {
    async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
      guard();
      shell.assertNotInWork('setStreamMetadata');
      assertStreamId(streamId);
      const json = encodeStreamMetadata(streamId, metadata);
      await queue.exclusive('setStreamMetadata', () =>
        Promise.resolve(admin.setStreamMetadata(streamId, metadata, json)),
      );
    },
    async truncateBefore(streamId: string, before: bigint): Promise<void> {
      guard();
      shell.assertNotInWork('truncateBefore');
      assertStreamId(streamId);
      assertTruncateVersion(streamId, before);
      await queue.exclusive('truncateBefore', () => Promise.resolve(admin.truncateBefore(streamId, before)));
    },
    async deleteStream(
      streamId: string,
      options?: { mode?: DeleteMode; expectedVersion?: ExpectedVersion },
    ): Promise<void> {
      guard();
      shell.assertNotInWork('deleteStream');
      assertStreamId(streamId);
      const { mode, expectedVersion } = resolveDeleteOptions(streamId, options);
      await queue.exclusive('deleteStream', () => Promise.resolve(admin.delete(streamId, mode, expectedVersion)));
    },
  };
}
