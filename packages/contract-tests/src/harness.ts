import type { Clock, DataCodec, EventStore, StoreTransaction, Upcast } from 'tidings';
import { it, onTestFinished } from 'vitest';

/** What a store package provides to run the shared suite against its store. */
export interface StoreHarness {
  /** A fresh, empty store isolated from every other test (its own file or schema). */
  create(options?: { clock?: Clock; codec?: DataCodec; upcast?: Upcast; maxEventBytes?: number }): Promise<EventStore>;
  /** Called once after the suite. */
  dispose?(): Promise<void>;
  /**
   * Capability: a "read-model write" inside `store.transaction`, the application's own state that
   * must commit with a checkpoint (for SQL stores a table written through `tx.connection`). When
   * absent, list it in `EventStoreContractOptions.absentCapabilities` with the reason.
   */
  readonly readModel?: ReadModelHarness | undefined;
  /**
   * How leases are timed. `'clock-option'`: by the `clock` given to `create`, so the suite moves a
   * fake clock past a lease's expiry. `'server'` (default): by a clock the suite cannot move (the
   * database's), so it takes short leases and polls, with a bound, until they expire.
   */
  readonly leaseClock?: 'clock-option' | 'server' | undefined;
  /**
   * Capability: a second, independent store instance on the same storage as `store` (its own
   * connections, as another process would open it), for the cases where another writer's commits
   * must reach this one. When absent (the in-memory store: nothing else can share its memory), list
   * it in `EventStoreContractOptions.absentCapabilities` with the reason.
   */
  readonly openPeer?: ((store: EventStore) => Promise<EventStore>) | undefined;
}

/** A key -> integer read model written inside a store transaction (see {@link StoreHarness.readModel}). */
export interface ReadModelHarness {
  /** Sets `key` to `value` through `tx` (creating whatever it needs). */
  write(store: EventStore, tx: StoreTransaction, key: string, value: number): Promise<void>;
  /** The committed value of `key`, `undefined` when never written. */
  read(store: EventStore, key: string): Promise<number | undefined>;
}

/** Optional harness capabilities; one that is absent is listed with its reason, never skipped silently. */
export type HarnessCapability = 'readModel' | 'openPeer';

/** Options given to `harness.create`. */
export type StoreOptions = NonNullable<Parameters<StoreHarness['create']>[0]>;

/** What each group of contract cases receives. */
export interface ContractContext {
  /** Opens a fresh store through the harness; it is closed when the test finishes. */
  readonly open: (options?: StoreOptions) => Promise<EventStore>;
  /**
   * Opens a second instance on the same storage as `store` (closed when the test finishes). Only
   * inside a test registered with `testWith('openPeer', …)`.
   */
  readonly openPeer: (store: EventStore) => Promise<EventStore>;
  /** Registers one contract test. Titles are unique across the suite; `knownGaps` refers to them. */
  readonly test: (title: string, fn: () => Promise<void>, timeoutMs?: number) => void;
  /** The harness, for its optional capabilities. */
  readonly harness: StoreHarness;
  /**
   * Registers a test that needs `capability`: when the harness lacks it, the test is not registered
   * and the absence (listed with its reason in `absentCapabilities`) is printed instead.
   */
  readonly testWith: (
    capability: HarnessCapability,
    title: string,
    fn: () => Promise<void>,
    timeoutMs?: number,
  ) => void;
}

/** Builds the context, registering known gaps as expected failures whose title carries the reason. */
export function createContext(
  name: string,
  harness: StoreHarness,
  knownGaps: Record<string, string>,
  titles: Set<string>,
  absentCapabilities: Partial<Record<HarnessCapability, string>> = {},
): ContractContext {
  const context: ContractContext = {
    harness,
    testWith: (capability, title, fn, timeoutMs) => {
      if (harness[capability] !== undefined) {
        context.test(title, fn, timeoutMs);
        return;
      }
      const why = absentCapabilities[capability];
      if (why === undefined) {
        throw new Error(
          `[${name}] the harness has no '${capability}' capability and does not list it in absentCapabilities: either provide it or list it with the reason.`,
        );
      }
      titles.add(title);
      console.warn(`[${name}] not run, capability '${capability}' absent (${why}): '${title}'`);
    },
    open: async (options) => {
      const store = await harness.create(options);
      onTestFinished(async () => {
        await store.close();
      });
      return store;
    },
    openPeer: async (store) => {
      if (harness.openPeer === undefined) throw new Error(`The ${name} harness has no openPeer.`);
      const peer = await harness.openPeer(store);
      onTestFinished(async () => {
        await peer.close();
      });
      return peer;
    },
    test: (title, fn, timeoutMs) => {
      if (titles.has(title)) throw new Error(`Contract suite bug: two tests are titled '${title}'.`);
      titles.add(title);
      const gap = knownGaps[title];
      if (gap === undefined) {
        it(title, fn, timeoutMs);
        return;
      }
      // A known gap must still fail: once the store is fixed, this test fails and the gap must be removed.
      console.warn(`[${name}] known gap: '${title}': ${gap}`);
      it.fails(`${title} [known gap: ${gap}]`, fn, timeoutMs);
    },
  };
  return context;
}
