import { describe, expect, it } from 'vitest';
import { defineEvent, payload } from '../messages/define.js';
import { defineProcessor } from './define-processor.js';
import type { ProcessorSpec } from './processor-types.js';

const handle = (): void => undefined;

function refused(spec: unknown): { code: unknown; message: string } {
  try {
    defineProcessor(spec as ProcessorSpec);
  } catch (error) {
    return { code: (error as { code?: unknown }).code, message: (error as Error).message };
  }
  throw new Error('expected defineProcessor to refuse the spec');
}

describe('defineProcessor', () => {
  it('normalises a spec: defaults, events from names and definitions', () => {
    const OrderPaid = defineEvent('order.paid', payload<{ id: string }>());
    const p = defineProcessor({ name: 'p', events: ['order.placed', OrderPaid, 'order.placed'], handle });
    expect(p).toMatchObject({
      name: 'p',
      effects: 'external',
      filter: { types: ['order.placed', 'order.paid'] },
      concurrency: 1,
      batch: { maxEvents: 100, maxWaitMs: 0 },
      onFailure: 'park-and-continue',
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 30_000, factor: 2 },
      startFrom: 'start',
    });
    expect(Object.isFrozen(p)).toBe(true);
    expect(defineProcessor({ name: 'q', filter: { categories: ['order'] }, handle }).filter).toEqual({
      categories: ['order'],
    });
    expect(defineProcessor({ name: 'r', handle }).filter).toBeUndefined();
  });

  it('refuses unknown keys, naming them', () => {
    expect(refused({ name: 'p', handle, concurency: 2 })).toMatchObject({ code: 'UNKNOWN_OPTION' });
    expect(refused({ name: 'p', handle, batch: { size: 2 } })).toMatchObject({ code: 'UNKNOWN_OPTION' });
    expect(refused({ name: 'p', handle, retry: { attempts: 2 } })).toMatchObject({ code: 'UNKNOWN_OPTION' });
    expect(refused({ name: 'p', handle, filter: { type: ['a'] } })).toMatchObject({ code: 'UNKNOWN_OPTION' });
  });

  it('refuses bad specs with a message that says what to do', () => {
    expect(refused({ name: '', handle }).code).toBe('INVALID_PROCESSOR_NAME');
    expect(refused({ name: 'p' })).toMatchObject({
      code: 'INVALID_PROCESSOR',
      message: expect.stringContaining('neither'),
    });
    expect(refused({ name: 'p', handle, handleBatch: handle }).message).toContain('both');
    expect(refused({ name: 'p', handle, events: ['a'], filter: { types: ['a'] } }).message).toContain(
      "either 'events' or 'filter'",
    );
    expect(refused({ name: 'p', handle, events: [] }).code).toBe('INVALID_PROCESSOR');
    expect(refused({ name: 'p', handle, events: [42] }).message).toContain('events[0]');
    expect(refused({ name: 'p', handle, effects: 'exactly-once' }).message).toContain(
      "'transactional', 'inbox', 'external'",
    );
    expect(refused({ name: 'p', handle, onFailure: 'drop' }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle, concurrency: 0 }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle, concurrency: 1001 }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle, batch: { maxEvents: 0 } }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle, batch: { maxWaitMs: -1 } }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle, retry: { maxAttempts: 0 } }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle, retry: { baseDelayMs: 10, maxDelayMs: 5 } }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle, startFrom: 'middle' }).code).toBe('INVALID_OPTION');
    expect(refused({ name: 'p', handle: 'not a function' }).code).toBe('INVALID_OPTION');
    expect(refused(null).code).toBe('INVALID_PROCESSOR');
  });
});
