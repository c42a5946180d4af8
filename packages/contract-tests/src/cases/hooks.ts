import type { DataCodec, RecordedEvent, Upcast } from 'tidings';
import { describe, expect } from 'vitest';
import { collect, ev } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

/** A toy cipher with per-stream keys that can be forgotten (crypto-shredding). */
function shreddingCodec(): {
  codec: DataCodec;
  keys: Set<string>;
  seen: { op: string; streamId: string; type: string; data: unknown }[];
} {
  const keys = new Set<string>();
  const seen: { op: string; streamId: string; type: string; data: unknown }[] = [];
  const codec: DataCodec = {
    encode(data, event) {
      seen.push({ op: 'encode', streamId: event.streamId, type: event.type, data });
      keys.add(event.streamId);
      return { sealed: [...JSON.stringify(data)].reverse().join(''), for: event.streamId };
    },
    decode(data, event) {
      const box = data as { sealed?: unknown; for?: unknown };
      seen.push({ op: 'decode', streamId: event.streamId, type: event.type, data });
      if (typeof box.sealed !== 'string' || box.for !== event.streamId)
        throw new Error(`decode received data that was not encoded: ${JSON.stringify(data)}`);
      if (!keys.has(event.streamId)) return { shredded: true };
      return JSON.parse([...box.sealed].reverse().join('')) as unknown;
    },
  };
  return { codec, keys, seen };
}

export function hookCases({ open, test }: ContractContext): void {
  describe('codec and upcast', () => {
    test('the codec encodes data before storage and decodes it on every read', async () => {
      const { codec, keys, seen } = shreddingCodec();
      const store = await open({ codec });
      const data = { name: 'Ada', card: '4111', at: new Date(0) };
      await store.append('user-1', [ev('user.registered', data, { metadata: { source: 'signup' } })]);
      await store.append('user-2', [ev('user.registered', { name: 'Bob' })]);
      const encodes = seen.filter((s) => s.op === 'encode');
      expect(encodes.map((s) => [s.streamId, s.type])).toEqual([
        ['user-1', 'user.registered'],
        ['user-2', 'user.registered'],
      ]);
      const plain = { name: 'Ada', card: '4111', at: '1970-01-01T00:00:00.000Z' };
      expect((await collect(store.readStream('user-1')))[0]!.data).toEqual(plain);
      expect((await collect(store.readAll())).map((e) => e.data)).toEqual([plain, { name: 'Bob' }]);
      expect((await collect(store.readByType(['user.registered'], { limit: 1 })))[0]!.data).toEqual(plain);
      await store.transaction(async (tx) => {
        expect((await collect(tx.readStream('user-2')))[0]!.data).toEqual({ name: 'Bob' });
      });
      expect(seen.filter((s) => s.op === 'decode').length).toBeGreaterThanOrEqual(5);
      // Forgetting the key shreds the data on read: it was stored encoded and decoded only on the way out.
      keys.delete('user-1');
      expect((await collect(store.readStream('user-1')))[0]!.data).toEqual({ shredded: true });
      expect((await collect(store.readStream('user-2')))[0]!.data).toEqual({ name: 'Bob' });
    });

    test('upcast rewrites events on every read, after the codec', async () => {
      const upcast: Upcast = (event: RecordedEvent) => {
        if (event.type !== 'user.registered' || (event.metadata.schemaVersion ?? 1) !== 1) return event;
        const old = event.data as { fullName: string };
        const [first, last] = old.fullName.split(' ');
        return { ...event, data: { first, last }, metadata: { ...event.metadata, schemaVersion: 2 } };
      };
      const store = await open({ upcast });
      await store.append('user-1', [ev('user.registered', { fullName: 'Ada Lovelace' })]);
      await store.append('user-2', [
        ev('user.registered', { first: 'Bob', last: 'B' }, { metadata: { schemaVersion: 2 } }),
      ]);
      await store.append('user-1', [ev('user.renamed', { fullName: 'A L' })]);
      const expected = [{ first: 'Ada', last: 'Lovelace' }, { first: 'Bob', last: 'B' }, { fullName: 'A L' }];
      expect((await collect(store.readAll())).map((e) => e.data)).toEqual(expected);
      expect((await collect(store.readStream('user-1', { direction: 'backward' }))).map((e) => e.data)).toEqual([
        expected[2],
        expected[0],
      ]);
      expect((await collect(store.readByType(['user.registered']))).map((e) => e.metadata.schemaVersion)).toEqual([
        2, 2,
      ]);
      await store.transaction(async (tx) => {
        expect((await collect(tx.readStream('user-1', { limit: 1 })))[0]!.data).toEqual(expected[0]);
      });
    });
  });
}
