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
});
