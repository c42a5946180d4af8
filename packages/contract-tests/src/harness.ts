import type { Clock, DataCodec, EventStore, Upcast } from 'tidings';
import { expect, it, onTestFinished } from 'vitest';

/** What a store package provides to run the shared suite against its store. */
export interface StoreHarness {
  /** A fresh, empty store isolated from every other test (its own file or schema). */
  create(options?: { clock?: Clock; codec?: DataCodec; upcast?: Upcast; maxEventBytes?: number }): Promise<EventStore>;
  /**
   * A second, independent store instance on the same storage as `store` (its own connections, as
   * another process would open it), for the cases where another writer's commits must reach this
   * one. Omit it only when no second instance can exist (the in-memory store), and list those cases
   * in the suite's `notApplicable`.
   */
  openPeer?(store: EventStore): Promise<EventStore>;
  /** Called once after the suite. */
  dispose?(): Promise<void>;
}

/** Options given to `harness.create`. */
export type StoreOptions = NonNullable<Parameters<StoreHarness['create']>[0]>;

/** A harness capability that some cases need. */
export type Capability = 'openPeer';

/** What each group of contract cases receives. */
export interface ContractContext {
  /** Opens a fresh store through the harness; it is closed when the test finishes. */
  readonly open: (options?: StoreOptions) => Promise<EventStore>;
  /**
   * Opens a second instance on the same storage as `store` (closed when the test finishes). Only
   * inside a test registered with `needs: 'openPeer'`.
   */
  readonly openPeer: (store: EventStore) => Promise<EventStore>;
  /** Registers one contract test. Titles are unique across the suite; `knownGaps` refers to them. */
  readonly test: (title: string, fn: () => Promise<void>, timeoutMs?: number, needs?: Capability) => void;
}

/** Titles -> reasons, for known gaps and cases that do not apply to a store. */
export interface CaseLists {
  readonly knownGaps: Record<string, string>;
  readonly notApplicable: Record<string, string>;
}

/**
 * Builds the context, registering known gaps as expected failures whose title carries the reason,
 * and cases needing a capability the harness lacks as "not applicable" (listed, printed, and
 * checked to still lack it — never skipped silently).
 */
export function createContext(
  name: string,
  harness: StoreHarness,
  lists: CaseLists,
  titles: Set<string>,
): ContractContext {
  const { knownGaps, notApplicable } = lists;
  return {
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
    test: (title, fn, timeoutMs, needs) => {
      if (titles.has(title)) throw new Error(`Contract suite bug: two tests are titled '${title}'.`);
      titles.add(title);
      const reason = notApplicable[title];
      const lacks = (capability: Capability): boolean => harness[capability] === undefined;
      if (needs !== undefined && lacks(needs)) {
        if (reason === undefined) {
          it(`${title} [needs harness.${needs}]`, () => {
            throw new Error(
              `The ${name} harness has no ${needs}, which '${title}' needs. Add it to the harness, or list the case in notApplicable with the reason it cannot apply to this store.`,
            );
          });
          return;
        }
        console.warn(`[${name}] not applicable: '${title}': ${reason}`);
        it(`${title} [not applicable: ${reason}]`, () => {
          expect(lacks(needs), `the ${name} harness now has ${needs}: remove the notApplicable entry`).toBe(true);
        });
        return;
      }
      if (reason !== undefined) {
        it(`${title} [listed as not applicable]`, () => {
          throw new Error(
            `'${title}' is listed in notApplicable (${reason}) but the ${name} harness can run it: remove the entry.`,
          );
        });
        return;
      }
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
}
