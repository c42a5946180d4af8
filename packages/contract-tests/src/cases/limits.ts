import { ValidationError, type ExpectedVersion } from 'tidings';
import {
  MAX_CORRELATION_ID_LENGTH,
  MAX_SCHEMA_VERSION,
  MAX_STORE_INTEGER,
  MAX_STREAM_MAX_AGE_MS,
  MIN_READ_TIME_MS,
} from 'tidings/store-kit';
import { describe, expect } from 'vitest';
import { collect, contents, ev, evs, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

// Issue 8 item 9: values one store keeps and another cannot (PostgreSQL integer, bigint and
// timestamp ranges, index row size) are refused by every store before anything is written, and
// the largest accepted value works everywhere.

export function limitCases({ open, test }: ContractContext): void {
  describe('limits every store honours', () => {
    test('metadata.schemaVersion above 2^31 - 1 is refused; 2^31 - 1 is stored', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      const before = await contents(store, ['s-1']);
      for (const schemaVersion of [MAX_SCHEMA_VERSION + 1, 2 ** 53, 0, -1, 1.5, '2', null]) {
        await rejects(
          () => store.append('s-1', [ev(), ev('x.happened', {}, { metadata: { schemaVersion } as never })]),
          ValidationError,
          'INVALID_METADATA',
        );
      }
      expect(await contents(store, ['s-1'])).toEqual(before);
      await store.append('s-1', [ev('x.happened', {}, { metadata: { schemaVersion: MAX_SCHEMA_VERSION } })]);
      const [, last] = await collect(store.readStream('s-1'));
      expect(last!.metadata['schemaVersion']).toBe(MAX_SCHEMA_VERSION);
    });

    test('a correlationId or causationId longer than 256 characters, or not a string, is refused', async () => {
      const store = await open();
      expect(MAX_CORRELATION_ID_LENGTH).toBe(256);
      for (const key of ['correlationId', 'causationId']) {
        for (const bad of ['c'.repeat(MAX_CORRELATION_ID_LENGTH + 1), 'é'.repeat(3000), 42, null, { id: 'x' }]) {
          await rejects(
            () => store.append('s-1', [ev(), ev('x.happened', {}, { metadata: { [key]: bad } })]),
            ValidationError,
            'INVALID_METADATA',
          );
        }
      }
      expect(await store.headPosition()).toBe(0n);
      // The longest accepted, in 4-byte UTF-8 characters (surrogate pairs: 2 code units each).
      const longest = '🎉'.repeat(MAX_CORRELATION_ID_LENGTH / 2);
      await store.append('s-1', [ev('x.happened', {}, { metadata: { correlationId: longest, causationId: longest } })]);
      const [read] = await collect(store.readStream('s-1'));
      expect(read!.metadata).toEqual({ correlationId: longest, causationId: longest });
    });

    test('an expected version, read position or truncation point above 2^63 - 1 is refused', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      const before = await contents(store, ['s-1']);
      const over = MAX_STORE_INTEGER + 1n;
      await rejects(
        () => store.append('s-1', [ev()], { expectedVersion: over }),
        ValidationError,
        'INVALID_EXPECTED_VERSION',
      );
      await rejects(
        () => store.deleteStream('s-1', { expectedVersion: over as ExpectedVersion }),
        ValidationError,
        'INVALID_EXPECTED_VERSION',
      );
      await rejects(() => store.truncateBefore('s-1', over), ValidationError, 'INVALID_VERSION');
      for (const read of [
        () => store.readStream('s-1', { from: over }),
        () => store.readStream('s-1', { from: over, direction: 'backward' }),
        () => store.readAll({ from: over }),
        () => store.readAll({ from: over, direction: 'backward' }),
        () => store.readByType(['test.happened'], { from: over }),
      ]) {
        await rejects(() => collect(read), ValidationError, 'INVALID_READ_OPTIONS');
      }
      expect(await contents(store, ['s-1'])).toEqual(before);
      // The largest value is a valid one everywhere: a conflict, empty reads, a capped truncation.
      const max = MAX_STORE_INTEGER;
      const conflict = await rejects(() => store.append('s-1', [ev()], { expectedVersion: max }), Error);
      expect((conflict as { code?: string }).code).toBe('CONCURRENCY_CONFLICT');
      expect(await collect(store.readStream('s-1', { from: max }))).toEqual([]);
      expect(await collect(store.readAll({ from: max }))).toEqual([]);
      expect((await collect(store.readAll({ from: max, direction: 'backward' }))).length).toBe(2);
      expect((await collect(store.readStream('s-1', { from: max, direction: 'backward' }))).length).toBe(2);
      await store.truncateBefore('s-1', max);
      expect(await collect(store.readStream('s-1'))).toEqual([]);
      expect((await store.streamInfo('s-1')).truncatedBefore).toBe(3n);
    });

    test('readByTime before 4713 BC is refused; from 4713 BC to the last JavaScript date is read', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      const first = new Date(MIN_READ_TIME_MS);
      const last = new Date(8.64e15);
      const beforeFirst = new Date(MIN_READ_TIME_MS - 1);
      for (const options of [
        { from: beforeFirst, to: last },
        { from: new Date(-8.64e15), to: last },
        { from: first, to: beforeFirst },
      ]) {
        await rejects(() => collect(store.readByTime(options)), ValidationError, 'INVALID_READ_OPTIONS');
      }
      expect((await collect(store.readByTime({ from: first, to: last }))).length).toBe(2);
      expect(await collect(store.readByTime({ from: first, to: new Date(0) }))).toEqual([]);
    });

    test('stream maxAge above 1,000 years is refused, and the largest accepted keeps every read working', async () => {
      const store = await open();
      await store.append('s-1', evs(2));
      await store.append('s-2', evs(1));
      const before = await contents(store, ['s-1']);
      for (const maxAge of [MAX_STREAM_MAX_AGE_MS + 1, 10_000 * 365.25 * 24 * 3600 * 1000, Number.MAX_SAFE_INTEGER]) {
        await rejects(() => store.setStreamMetadata('s-1', { maxAge }), ValidationError, 'INVALID_STREAM_METADATA');
      }
      expect(await contents(store, ['s-1'])).toEqual(before);
      await store.setStreamMetadata('s-1', { maxAge: MAX_STREAM_MAX_AGE_MS, maxCount: Number.MAX_SAFE_INTEGER });
      expect((await collect(store.readAll())).length).toBe(3);
      expect((await collect(store.readStream('s-1'))).length).toBe(2);
      expect((await collect(store.readByType(['test.happened']))).length).toBe(3);
      expect((await collect(store.readByTime({ from: new Date(0), to: new Date(8.64e15) }))).length).toBe(3);
    });

    test('event metadata that is not a plain object is refused', async () => {
      const store = await open();
      for (const metadata of [null, new Date(0), [], 'x', new Map()]) {
        await rejects(
          () => store.append('s-1', [ev(), { type: 'x.happened', data: {}, metadata: metadata as never }]),
          ValidationError,
          'NOT_SERIALIZABLE',
        );
      }
      expect(await store.headPosition()).toBe(0n);
    });
  });
}
