import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFlashSaleDemo } from './demo.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start: the flash-sale simulation', () => {
  it('runs to completion on an SQLite file with every check passing (small numbers)', async () => {
    let text = '';
    const result = await runFlashSaleDemo({
      path: join(dir, 'shop.db'),
      customers: 80,
      stock: { 'sneaker-retro': 20, 'watch-nova': 10 },
      speed: 1000,
      tty: false,
      write: (t) => (text += t),
    });
    expect(result.problems, text).toEqual([]);
    expect(result.ok).toBe(true);
    // The crowd did all the sale's paths: paid, timed out, waited and got released stock.
    expect(result.progress.paid).toBeGreaterThan(0);
    expect(result.progress.timedOut).toBeGreaterThan(0);
    expect(result.progress.servedFromWaitList).toBeGreaterThan(0);
    // The flaky CRM observer parked events, and the retry from the parked list cleared them.
    expect(result.parkedBefore).toBeGreaterThan(0);
    expect(result.parkedAfter).toBe(0);
    expect(text).toContain('all passed');
    expect(text).toContain(join(dir, 'shop.db'));
    expect(text).toMatch(/orders \d+ {2}paid \d+ {2}timed out \d+ {2}waiting \d+ {2}events \d+/);
  });
});
