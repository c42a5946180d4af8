import { ValidationError } from 'tidings';
import { describe, expect } from 'vitest';
import { collect, contents, ev, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

// Issue 8 item 11: what `toJSON` returns is held to the payload rule like any other value, and
// nesting is bounded, so a payload either round-trips as JSON or is refused with NOT_SERIALIZABLE —
// never a raw TypeError / RangeError, never stored silently as null or {}.

const withToJSON = (value: () => unknown): object => ({ toJSON: value });

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

export function toJsonCases({ open, test }: ContractContext): void {
  describe('toJSON and nesting', () => {
    test('a toJSON returning what JSON cannot hold is refused with NOT_SERIALIZABLE and nothing is written', async () => {
      const store = await open();
      await store.append('s-1', [ev()]);
      const before = await contents(store, ['s-1']);
      const self: Record<string, unknown> = {};
      self['again'] = withToJSON(() => ({ self }));
      const bad: [string, unknown][] = [
        ['undefined at the root', withToJSON(() => undefined)],
        ['undefined in an array', [withToJSON(() => undefined)]],
        ['a bigint', { at: withToJSON(() => 10n) }],
        ['NaN', { at: withToJSON(() => Number.NaN) }],
        ['Infinity', withToJSON(() => Number.POSITIVE_INFINITY)],
        ['a Map', { at: withToJSON(() => new Map([['a', 1]])) }],
        ['a function', { at: withToJSON(() => () => 1) }],
        ['a cycle through toJSON', self],
        ['a cycle in what it returns', { at: withToJSON(() => self) }],
        [
          'a throw',
          withToJSON(() => {
            throw new Error('no JSON for you');
          }),
        ],
        ['an invalid Date inside an object it returns', { at: withToJSON(() => ({ when: new Date(Number.NaN) })) }],
      ];
      for (const [what, data] of bad) {
        const error = await rejects(() => store.append('s-1', [ev(), ev('x.happened', data)]), ValidationError);
        expect(error.code, what).toBe('NOT_SERIALIZABLE');
      }
      await rejects(
        () => store.append('s-1', [ev('x.happened', {}, { metadata: { at: withToJSON(() => 1n) } })]),
        ValidationError,
        'NOT_SERIALIZABLE',
      );
      expect(await contents(store, ['s-1'])).toEqual(before);
    });

    test('a toJSON result that is JSON is stored as JSON.stringify writes it', async () => {
      const store = await open();
      const data = {
        money: withToJSON(() => ({ amount: '12.50', currency: 'EUR' })),
        when: new Date(Date.UTC(2026, 0, 2)),
        gone: withToJSON(() => undefined), // as a property: dropped, like an undefined property
        list: [withToJSON(() => 'a'), new Date(0)],
        plain: withToJSON(() => null),
      };
      await store.append('s-1', [ev('x.happened', data)]);
      await store.append('s-1', [
        ev(
          'x.happened',
          withToJSON(() => 'the whole payload'),
        ),
      ]);
      const [first, second] = await collect(store.readStream('s-1'));
      expect(first!.data).toEqual(JSON.parse(JSON.stringify(data)));
      expect(first!.data).toEqual({
        money: { amount: '12.50', currency: 'EUR' },
        when: '2026-01-02T00:00:00.000Z',
        list: ['a', '1970-01-01T00:00:00.000Z'],
        plain: null,
      });
      expect(second!.data).toBe('the whole payload');
    });

    test('nesting deeper than 256 levels is refused with NOT_SERIALIZABLE; 256 levels round-trip', async () => {
      const store = await open();
      for (const depth of [257, 20_000]) {
        const e = await rejects(() => store.append('s-1', [ev('x.happened', nested(depth))]), ValidationError);
        expect(e.code).toBe('NOT_SERIALIZABLE');
        await rejects(
          () => store.append('s-1', [ev('x.happened', {}, { metadata: { deep: nested(depth) } })]),
          ValidationError,
          'NOT_SERIALIZABLE',
        );
      }
      expect(await store.headPosition()).toBe(0n);
      await store.append('s-1', [ev('x.happened', nested(256))]);
      const [read] = await collect(store.readStream('s-1'));
      expect(read!.data).toEqual(nested(256));
    });

    test('a codec whose encode returns something JSON cannot hold is refused with NOT_SERIALIZABLE', async () => {
      const store = await open({
        codec: { encode: (data) => ({ sealed: 1n, data }), decode: (data) => data },
      });
      await rejects(() => store.append('s-1', [ev('x.happened', { a: 1 })]), ValidationError, 'NOT_SERIALIZABLE');
      expect(await store.headPosition()).toBe(0n);
    });
  });
}
