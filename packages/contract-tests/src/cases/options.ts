import { ValidationError, type AppendOptions, type EventStore } from 'tidings';
import { describe, expect } from 'vitest';
import { collect, contents, ev, evs, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

// Issue 8 item 8: an options argument that is not an object, or that holds a key the store does
// not know, used to be read as "no options" — for append that meant expectedVersion 'any', so a
// stale writer overwrote silently. Every store now refuses it with a ValidationError and writes nothing.

/** Third arguments that used to disable the version check, and the code each is refused with. */
const MALFORMED_APPEND_OPTIONS: readonly [unknown, string][] = [
  ['no-stream', 'INVALID_OPTIONS'], // the expected version passed where the options go
  [0n, 'INVALID_OPTIONS'],
  [1n, 'INVALID_OPTIONS'],
  [null, 'INVALID_OPTIONS'],
  [[], 'INVALID_OPTIONS'],
  [{ expectedVersion: null }, 'INVALID_EXPECTED_VERSION'],
  [{ expectedversion: 0n }, 'UNKNOWN_OPTION'], // a typo
  [{ ExpectedVersion: 'no-stream' }, 'UNKNOWN_OPTION'],
  [{ expectedVersion: 1n, retries: 3 }, 'UNKNOWN_OPTION'],
];

const append = (store: EventStore, options: unknown): Promise<unknown> =>
  store.append('s-1', [ev()], options as AppendOptions);

export function optionCases({ open, test }: ContractContext): void {
  describe('malformed options', () => {
    test('an append whose options are not an object or hold an unknown key is refused and writes nothing', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      const before = await contents(store, ['s-1']);
      for (const [options, code] of MALFORMED_APPEND_OPTIONS) {
        const e = await rejects(() => append(store, options), ValidationError, code);
        if (code === 'UNKNOWN_OPTION') expect(e.message).toMatch(/expectedVersion/);
      }
      expect(await contents(store, ['s-1'])).toEqual(before);
      // The one-letter typo is named with the option it most likely meant.
      const typo = await rejects(() => append(store, { expectedversion: 0n }), ValidationError, 'UNKNOWN_OPTION');
      expect(typo.message).toMatch(/'expectedversion'.*\(did you mean 'expectedVersion'\?\)/);
      // Still accepted: nothing, an empty object, an explicit undefined.
      await append(store, undefined);
      await append(store, {});
      await append(store, { expectedVersion: undefined });
      expect((await store.streamInfo('s-1')).version).toBe(5n);
    });

    test('malformed tx.append options are refused inside a transaction, which still commits its other appends', async () => {
      const store = await open();
      await store.transaction(async (tx) => {
        await tx.append('s-2', evs(1));
        for (const [options, code] of MALFORMED_APPEND_OPTIONS) {
          await rejects(() => tx.append('s-1', [ev()], options as AppendOptions), ValidationError, code);
        }
        await tx.append('s-2', evs(1), { expectedVersion: 1n });
      });
      expect((await collect(store.readAll())).map((e) => `${e.streamId}@${e.version}`)).toEqual(['s-2@1', 's-2@2']);
    });

    test('read options that are not an object or hold an unknown key are refused', async () => {
      const store = await open();
      await store.append('s-1', evs(3));
      const to = new Date(Date.now() + 60_000);
      const cases: [() => AsyncIterable<unknown>, string][] = [
        [() => store.readStream('s-1', 'backward' as never), 'INVALID_OPTIONS'],
        [() => store.readStream('s-1', null as never), 'INVALID_OPTIONS'],
        [() => store.readStream('s-1', 5n as never), 'INVALID_OPTIONS'],
        [() => store.readStream('s-1', { form: 2n } as never), 'UNKNOWN_OPTION'],
        [() => store.readStream('s-1', { from: 2n, limt: 1 } as never), 'UNKNOWN_OPTION'],
        [() => store.readAll('all' as never), 'INVALID_OPTIONS'],
        [() => store.readAll(null as never), 'INVALID_OPTIONS'],
        [() => store.readAll({ limt: 1 } as never), 'UNKNOWN_OPTION'],
        [() => store.readAll({ filter: { type: ['test.happened'] } } as never), 'UNKNOWN_OPTION'],
        [() => store.readAll({ filter: 'test.happened' } as never), 'INVALID_OPTIONS'],
        [() => store.readAll({ filter: null } as never), 'INVALID_OPTIONS'],
        [() => store.readByType(['test.happened'], { filter: { categories: ['s'] } } as never), 'UNKNOWN_OPTION'],
        [() => store.readByType(['test.happened'], 7 as never), 'INVALID_OPTIONS'],
        [() => store.readByType('test.happened' as never), 'INVALID_READ_OPTIONS'],
        [() => store.readByType([1] as never), 'INVALID_READ_OPTIONS'],
        [() => store.readByTime(null as never), 'INVALID_OPTIONS'],
        [() => store.readByTime({ from: new Date(0), to, limt: 1 } as never), 'UNKNOWN_OPTION'],
        [() => store.readByTime({ from: new Date(0), until: to } as never), 'UNKNOWN_OPTION'],
      ];
      for (const [read, code] of cases) await rejects(() => collect(read), ValidationError, code);
      // Reads inside a transaction are held to the same rule.
      await store.transaction(async (tx) => {
        await rejects(() => collect(tx.readStream('s-1', { form: 2n } as never)), ValidationError, 'UNKNOWN_OPTION');
        await rejects(() => collect(tx.readStream('s-1', null as never)), ValidationError, 'INVALID_OPTIONS');
      });
    });

    test('deleteStream options that are not an object or hold an unknown key are refused and delete nothing', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      const before = await contents(store, ['s-1']);
      const cases: [unknown, string][] = [
        ['hard', 'INVALID_OPTIONS'], // used to soft-delete: the mode was read from a string
        [null, 'INVALID_OPTIONS'],
        [{ Mode: 'hard' }, 'UNKNOWN_OPTION'],
        [{ mode: 'hard', expectedversion: 5n }, 'UNKNOWN_OPTION'],
        [{ expectedVersion: null }, 'INVALID_EXPECTED_VERSION'],
        [{ mode: null }, 'INVALID_DELETE_MODE'],
      ];
      for (const [options, code] of cases) {
        await rejects(() => store.deleteStream('s-1', options as never), ValidationError, code);
      }
      expect(await contents(store, ['s-1'])).toEqual(before);
    });

    test('store factory options that are unknown or out of range are refused', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ lockTimeoutMS: 100 }, 'UNKNOWN_OPTION'],
        [{ maxEventBytes: Number.NaN }, 'INVALID_OPTION'], // used to switch the size limit off
        [{ maxEventBytes: 0 }, 'INVALID_OPTION'],
        [{ maxEventBytes: 1.5 }, 'INVALID_OPTION'],
        [{ maxEventBytes: '1000' }, 'INVALID_OPTION'],
        [{ maxEventBytes: 2 ** 40 }, 'INVALID_OPTION'],
        [{ lockTimeoutMs: null }, 'INVALID_OPTION'],
        [{ lockTimeoutMs: -1 }, 'INVALID_OPTION'],
        [{ lockTimeoutMs: Number.POSITIVE_INFINITY }, 'INVALID_OPTION'],
        [{ clock: {} }, 'INVALID_OPTION'],
        [{ codec: { encode: (d: unknown) => d } }, 'INVALID_OPTION'],
        [{ upcast: 'yes' }, 'INVALID_OPTION'],
        [{ onError: 'console' }, 'INVALID_OPTION'],
      ];
      for (const [options, code] of cases) {
        const e = await rejects(() => open(options as never), ValidationError, code);
        expect(e.message).toContain(`'${Object.keys(options)[0]!}'`);
      }
      // The largest accepted size limit, and a long lock wait, are accepted by every store.
      const store = await open({ maxEventBytes: 256 * 1024 * 1024, lockTimeoutMs: 86_400_000 });
      expect((await store.append('s-1', evs(1))).nextVersion).toBe(1n);
    });
  });
}
