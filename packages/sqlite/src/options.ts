import type { Clock, DataCodec, Upcast } from 'tidings';
import type { CommonStoreOptions, StoreErrorHandler } from 'tidings/store-kit';

/**
 * Options of {@link sqliteEventStore}: the options every store shares (`clock`, `codec`, `upcast`,
 * `maxEventBytes`, `lockTimeoutMs`, `onError`) and SQLite's own. Every field has a sensible
 * default; an unknown key or an out-of-range value is refused with a `ValidationError`.
 */
export interface SqliteEventStoreOptions extends CommonStoreOptions {
  /**
   * Durability of an acknowledged append (WAL mode either way):
   * - `'normal'` (default): survives a crash of the process; an OS crash or power loss may lose the
   *   last commits, never corrupts the file.
   * - `'full'`: each commit waits for fsync of the WAL, so it survives power loss too; slower.
   */
  readonly synchronous?: 'normal' | 'full' | undefined;
  /**
   * SQLite's own blocking wait per attempt before the store retries asynchronously. Kept short
   * (default 10 ms) because it blocks the event loop.
   */
  readonly busyTimeoutMs?: number | undefined;
  /** Group commit: most appends coalesced into one transaction. Default 512. */
  readonly maxBatchAppends?: number | undefined;
  /** Group commit: most bytes of event JSON coalesced into one transaction. Default 8 MiB. */
  readonly maxBatchBytes?: number | undefined;
  /** Events fetched per short read transaction by the read methods. Default 500. */
  readonly readPageSize?: number | undefined;
  /**
   * How often `PRAGMA data_version` is polled to notice other processes' commits, while there are
   * `onHeadMoved` listeners. Default 100 ms. The timer never keeps the process alive.
   */
  readonly pollIntervalMs?: number | undefined;
  /** Randomness for back-off jitter, in [0, 1). Default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

export interface ResolvedOptions {
  readonly synchronous: 'normal' | 'full';
  readonly lockTimeoutMs: number;
  readonly busyTimeoutMs: number;
  readonly maxBatchAppends: number;
  readonly maxBatchBytes: number;
  readonly maxEventBytes: number;
  readonly readPageSize: number;
  readonly pollIntervalMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly codec: DataCodec | undefined;
  readonly upcast: Upcast | undefined;
  readonly onError: StoreErrorHandler;
}
