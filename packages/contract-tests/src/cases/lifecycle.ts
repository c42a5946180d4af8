import { StoreClosedError } from 'tidings';
import { describe, expect } from 'vitest';
import { collect, evs, rejects } from '../fixtures.js';
import type { ContractContext } from '../harness.js';

export function lifecycleCases({ open, test }: ContractContext): void {
  describe('lifecycle', () => {
    test('info() reports the kind, a stable storeId and the durability', async () => {
      const store = await open();
      const info = await store.info();
      expect(typeof info.kind).toBe('string');
      expect(info.kind.length).toBeGreaterThan(0);
      expect(info.storeId.length).toBeGreaterThan(0);
      expect(info.durability.length).toBeGreaterThan(0);
      await store.append('s-1', evs(1));
      expect((await store.info()).storeId).toBe(info.storeId);
      const other = await open();
      expect((await other.info()).storeId).not.toBe(info.storeId);
    });

    test('after close() every call fails with StoreClosedError and close() can be called again', async () => {
      const store = await open();
      await store.append('s-1', evs(1));
      await store.close();
      await store.close();
      const calls: (() => unknown)[] = [
        () => store.append('s-1', evs(1)),
        () => collect(() => store.readStream('s-1')),
        () => collect(() => store.readAll()),
        () => collect(() => store.readByType(['test.happened'])),
        () => collect(() => store.readByTime({ from: new Date(0), to: new Date() })),
        () => store.streamInfo('s-1'),
        () => store.setStreamMetadata('s-1', {}),
        () => store.truncateBefore('s-1', 1n),
        () => store.deleteStream('s-1'),
        () => store.transaction(() => Promise.resolve()),
        () => store.headPosition(),
        () => store.info(),
      ];
      for (const call of calls) await rejects(call, StoreClosedError, 'STORE_CLOSED');
    });

    test('Symbol.asyncDispose closes the store', async () => {
      const store = await open();
      {
        await using disposable = store;
        await disposable.append('s-1', evs(1));
      }
      await rejects(() => store.headPosition(), StoreClosedError);
    });
  });
}
