import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteEventStore } from '@tidings/sqlite';
import { describe, expect, it } from 'vitest';
import { quickStart } from './quick-start.js';

describe('README quick start', () => {
  it('runs and does what its comments say', async () => {
    const { points, audit, parked } = await quickStart();
    expect(points.get('user-001')).toBe(99);
    expect(audit).toEqual(['order.paid order-o-1001']);
    expect(parked).toEqual(['recommendations']);
  });

  it('does the same on SQLite: only the store option changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-quick-'));
    try {
      await using store = await sqliteEventStore(join(dir, 'shop.db'));
      const { points, audit, parked } = await quickStart(store);
      expect([points.get('user-001'), audit, parked]).toEqual([99, ['order.paid order-o-1001'], ['recommendations']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
