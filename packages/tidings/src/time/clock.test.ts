import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock.js';

describe('system clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a timer longer than the platform limit (about 24.8 days) when due, not at once', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const fired = vi.fn();
    const thirtyDays = 30 * 24 * 3_600_000;
    systemClock.setTimeout(fired, thirtyDays);
    vi.advanceTimersByTime(1_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(thirtyDays - 1_001);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('cancels a long timer in any of its legs', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fired = vi.fn();
    const timer = systemClock.setTimeout(fired, 40 * 24 * 3_600_000);
    vi.advanceTimersByTime(30 * 24 * 3_600_000); // past the first leg
    timer.cancel();
    vi.advanceTimersByTime(20 * 24 * 3_600_000);
    expect(fired).not.toHaveBeenCalled();
  });
});
