import { describe, expect, it } from 'vitest';
import { statementName } from './identifiers.js';

describe('statementName', () => {
  it('keeps short names readable and gives long schemas distinct names within 63 bytes', () => {
    expect(statementName('lone_one', 'shop')).toBe('tidings_lone_one_shop');
    // Two 63-character schemas sharing a long prefix: PostgreSQL would truncate both to one name.
    const a = statementName('lone_many_ids', `${'t'.repeat(62)}a`);
    const b = statementName('lone_many_ids', `${'t'.repeat(62)}b`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(b.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
  });
});
