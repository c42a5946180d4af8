import { ValidationError } from 'tidings';
import { DEFAULT_MAX_EVENT_BYTES } from 'tidings/store-kit';
import { describe, expect } from 'vitest';
import { collect, contents, ev, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function payloadCases({ open, test }: ContractContext): void {
  describe('payload rules', () => {
    test('data and metadata round-trip through JSON: a Date becomes an ISO string, undefined properties are dropped', async () => {
      const store = await open();
      const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
      const data = {
        at,
        nested: { list: [at, 1, 'two', null, true, { gone: undefined, kept: 0 }] },
        gone: undefined,
        big: 1e300,
        small: -0.000123,
        exact: 9007199254740991,
        empty: { obj: {}, arr: [], str: '' },
      };
      await store.append('s-1', [ev('x.happened', data, { metadata: { when: at, dropped: undefined } })]);
      const [read] = await collect(store.readStream('s-1'));
      expect(read!.data).toEqual(JSON.parse(JSON.stringify(data)));
      const d = read!.data as Record<string, unknown>;
      expect(d['at']).toBe('2026-01-02T03:04:05.006Z');
      expect('gone' in d).toBe(false);
      expect(read!.metadata).toEqual({ when: '2026-01-02T03:04:05.006Z' });
      expect('dropped' in read!.metadata).toBe(false);
    });

    test('bigint in data or metadata is refused with a ValidationError naming its path', async () => {
      const store = await open();
      const e = await rejects(
        () => store.append('s-1', [ev('x.happened', { a: { b: [1, 2n] } })]),
        ValidationError,
        'NOT_SERIALIZABLE',
      );
      expect(e.issues[0]?.path).toEqual(['data', 'a', 'b', 1]);
      expect(e.message).toContain('bigint');
      await rejects(
        () => store.append('s-1', [ev('x.happened', {}, { metadata: { amount: 5n } })]),
        ValidationError,
        'NOT_SERIALIZABLE',
      );
      expect(await store.headPosition()).toBe(0n);
    });

    test('NUL characters in data, metadata or keys are refused with a ValidationError and nothing is written', async () => {
      const store = await open();
      for (const [data, metadata] of [
        [{ s: 'a\u0000b' }, {}],
        [['\u0000'], {}],
        [{ 'k\u0000': 1 }, {}],
        [{}, { note: 'x\u0000' }],
        ['\u0000', {}],
      ] as const) {
        const e = await rejects(
          () => store.append('s-1', [ev(), ev('x.happened', data, { metadata })]),
          ValidationError,
          'NOT_SERIALIZABLE',
        );
        expect(e.message).toContain('U+0000');
      }
      expect(await contents(store, ['s-1'])).toEqual({ head: 0n, all: [], streams: [expect.anything()] });
      // The text of an escape is not the character: a backslash followed by "u0000" is stored verbatim.
      const text = { s: '\\u0000 and \\\\u0000', k: 'C:\\ud800\\path' };
      await store.append('s-1', [ev('x.happened', text)]);
      expect((await collect(store.readStream('s-1')))[0]!.data).toEqual(text);
    });

    test('lone surrogates are refused; surrogate pairs, other control characters and U+2028 round-trip', async () => {
      const store = await open();
      for (const data of [{ s: '\ud800' }, { s: 'x\udc00y' }, { ['\udfff']: 1 }, ['ok', 'a\ud83d']]) {
        await rejects(() => store.append('s-1', [ev('x.happened', data)]), ValidationError, 'NOT_SERIALIZABLE');
      }
      expect(await store.headPosition()).toBe(0n);
      const kept = {
        emoji: '🎉 注文 éé',
        controls: '\u0001\u0008\u001f\u007f\t\n\r',
        separators: '\u2028\u2029',
        quotes: `'"\\/`,
        ['键 🎉']: 'unicode key',
      };
      await store.append('s-1', [ev('x.happened', kept, { metadata: { note: kept.controls } })]);
      const [read] = await collect(store.readStream('s-1'));
      expect(read!.data).toEqual(kept);
      expect(read!.metadata).toEqual({ note: kept.controls });
    });

    test('unicode and SQL-looking stream ids are stored verbatim and kept apart', async () => {
      const store = await open();
      const ids = [
        'order-注文',
        'émoji-🎉',
        'caf\u00e9-1', // NFC
        'cafe\u0301-1', // NFD: a different id, never normalised into the one above
        "x'); DROP TABLE events; --",
        'a"b-1',
        'q-%_\\*?[]',
        "O'Brien-1",
        ' leading-space',
        'trailing-space ',
        'UPPER-1',
        'upper-1',
      ];
      for (const [i, id] of ids.entries())
        await store.append(id, [ev('x.happened', { i })], { expectedVersion: 'no-stream' });
      for (const [i, id] of ids.entries()) {
        const read = await collect(store.readStream(id));
        expect(read.map((e) => [e.streamId, e.data])).toEqual([[id, { i }]]);
        expect((await store.streamInfo(id)).version).toBe(1n);
      }
      expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(ids);
    });

    test('SQL-looking event types are stored verbatim; types outside the naming rule are refused', async () => {
      const store = await open();
      const types = ['select.from-where', 'DROP_TABLE.events--1', 'union.select_1', 'Order.Placed', 'order.placed'];
      for (const type of types) await store.append('s-1', [ev(type)]);
      expect((await collect(store.readStream('s-1'))).map((e) => e.type)).toEqual(types);
      expect((await collect(store.readByType(['Order.Placed']))).map((e) => e.type)).toEqual(['Order.Placed']);
      for (const type of ["order.paid'; DROP TABLE events; --", 'événement.créé', 'a%.b']) {
        await rejects(() => store.append('s-1', [ev(type)]), ValidationError, 'INVALID_TYPE');
      }
      expect((await store.streamInfo('s-1')).version).toBe(5n);
    });
  });

  describe('size limit', () => {
    // The size of an event is the UTF-8 length of its data JSON plus its metadata JSON ('{}' when none).
    test('an event at maxEventBytes is stored and one byte over is EVENT_TOO_LARGE, writing nothing', async () => {
      const store = await open({ maxEventBytes: 1000 });
      // '"' + 996 characters + '"' + '{}' = 1000 bytes.
      await store.append('s-1', [ev('x.happened', 'a'.repeat(996))]);
      const before = await contents(store, ['s-1']);
      const e = await rejects(
        () => store.append('s-1', [ev(), ev('x.happened', 'a'.repeat(997))]),
        ValidationError,
        'EVENT_TOO_LARGE',
      );
      expect(e.message).toContain('1001');
      expect(e.message).toContain('1000');
      // Multi-byte characters count in UTF-8 bytes: 'é' is 2 bytes, so 498 of them make 1000.
      await store.append('s-1', [ev('x.happened', 'é'.repeat(498))]);
      await rejects(
        () => store.append('s-1', [ev('x.happened', 'é'.repeat(498) + 'a')]),
        ValidationError,
        'EVENT_TOO_LARGE',
      );
      // Metadata counts too: {"m":"…"} is 8 bytes plus the value.
      await store.append('s-1', [ev('x.happened', 'a'.repeat(996 - 6 - 1), { metadata: { m: 'x' } })]);
      await rejects(
        () => store.append('s-1', [ev('x.happened', 'a'.repeat(996 - 6), { metadata: { m: 'x' } })]),
        ValidationError,
        'EVENT_TOO_LARGE',
      );
      const after = (await collect(store.readStream('s-1'))).map((e) => (e.data as string).length);
      expect(after).toEqual([996, 498, 989]);
      expect((before as { head: bigint }).head).toBeLessThan(await store.headPosition());
    });

    test('the default size limit is 1 MiB of JSON per event', async () => {
      const store = await open();
      expect(DEFAULT_MAX_EVENT_BYTES).toBe(1024 * 1024);
      await store.append('s-1', [ev('x.happened', 'a'.repeat(DEFAULT_MAX_EVENT_BYTES - 4))]);
      await rejects(
        () => store.append('s-1', [ev('x.happened', 'a'.repeat(DEFAULT_MAX_EVENT_BYTES - 3))]),
        ValidationError,
        'EVENT_TOO_LARGE',
      );
      const [read] = await collect(store.readStream('s-1'));
      expect((read!.data as string).length).toBe(DEFAULT_MAX_EVENT_BYTES - 4);
      expect((await store.streamInfo('s-1')).version).toBe(1n);
    }, 30_000);
  });
}
