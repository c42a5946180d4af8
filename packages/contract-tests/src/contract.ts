import { afterAll, describe, expect, it } from 'vitest';
import { appendCases } from './cases/append.js';
import { badInputCases } from './cases/bad-input.js';
import { concurrencyCases } from './cases/concurrency.js';
import { deletionCases } from './cases/deletion.js';
import { fuzzCases } from './cases/fuzz.js';
import { headCases } from './cases/head.js';
import { hookCases } from './cases/hooks.js';
import { idempotencyCases } from './cases/idempotency.js';
import { leaseCases } from './cases/leases.js';
import { lifecycleCases } from './cases/lifecycle.js';
import { limitCases } from './cases/limits.js';
import { nestedCases } from './cases/nested.js';
import { optionCases } from './cases/options.js';
import { payloadCases } from './cases/payload.js';
import { processingInputCases } from './cases/processing-input.js';
import { processingStateCases } from './cases/processing-state.js';
import { processorCases } from './cases/processors.js';
import { readCases } from './cases/reads.js';
import { retentionCases } from './cases/retention.js';
import { subscriptionCases } from './cases/subscriptions.js';
import { timerCases } from './cases/timers.js';
import { timerParkingCases } from './cases/timer-parking.js';
import { toJsonCases } from './cases/to-json.js';
import { transactionCases } from './cases/transactions.js';
import { createContext, type HarnessCapability, type StoreHarness } from './harness.js';

/** Options of {@link eventStoreContract}. */
export interface EventStoreContractOptions {
  /**
   * Test title -> why the store does not meet it yet. Such a test is registered as an expected
   * failure with the reason in its title and printed once, never skipped silently; when the store
   * starts passing it, the test fails until the entry is removed.
   */
  readonly knownGaps?: Record<string, string>;
  /**
   * Optional harness capabilities the store does not offer -> why. The tests needing one are not
   * run and each is printed; an absent capability missing from this list fails the suite.
   */
  readonly absentCapabilities?: Partial<Record<HarnessCapability, string>>;
}

/**
 * Registers the shared event store contract suite (vitest `describe`/`it`) for one store. Every
 * test opens a fresh store through `harness.create` and closes it when done.
 *
 * @example
 * import { eventStoreContract } from '@tidings/contract-tests';
 * import { createInMemoryEventStore } from 'tidings';
 *
 * eventStoreContract(
 *   'memory',
 *   { create: async (options) => createInMemoryEventStore(options) },
 *   { absentCapabilities: { openPeer: 'no second instance can share the in-memory store' } },
 * );
 */
export function eventStoreContract(name: string, harness: StoreHarness, options: EventStoreContractOptions = {}): void {
  const knownGaps = options.knownGaps ?? {};
  const titles = new Set<string>();
  describe(`event store contract: ${name}`, () => {
    const context = createContext(name, harness, knownGaps, titles, options.absentCapabilities);
    for (const cases of [
      appendCases,
      idempotencyCases,
      badInputCases,
      optionCases,
      limitCases,
      payloadCases,
      toJsonCases,
      readCases,
      retentionCases,
      deletionCases,
      transactionCases,
      nestedCases,
      headCases,
      concurrencyCases,
      hookCases,
      lifecycleCases,
      processingStateCases,
      leaseCases,
      processingInputCases,
      processorCases,
      subscriptionCases,
      timerCases,
      timerParkingCases,
      fuzzCases,
    ]) {
      cases(context);
    }

    it('knownGaps name only tests of this suite', () => {
      expect(Object.keys(knownGaps).filter((title) => !titles.has(title))).toEqual([]);
    });

    afterAll(async () => {
      await harness.dispose?.();
    });
  });
}
