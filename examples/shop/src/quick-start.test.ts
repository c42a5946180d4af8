import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { quickStart } from './quick-start.js';

describe('README quick start', () => {
  it('runs and does what its comments say', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { points, audit } = await quickStart();
    expect(points.get('user-001')).toBe(99);
    expect(audit).toEqual(['order.paid order-o-1001']);
    expect(spy).toHaveBeenCalledTimes(1); // the failing observer, reported by the default onError
    spy.mockRestore();
  });

  it('is what the README shows, verbatim', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const source = readFileSync(new URL('./quick-start.ts', import.meta.url), 'utf8');
    const block = /<!-- quick-start -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(source);
  });
});
