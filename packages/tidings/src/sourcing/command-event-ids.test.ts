import { describe, expect, it } from 'vitest';
import { isUuid } from '../messages/ids.js';
import { commandEventIds, hexBytes, uuidv5 } from './command-event-ids.js';

describe('commandEventIds', () => {
  it('computes standard version-5 UUIDs (the well-known DNS example)', async () => {
    expect(await uuidv5(hexBytes('6ba7b810-9dad-11d1-80b4-00c04fd430c8'), 'python.org')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  it('is deterministic per (stream, command, index) and distinct across each', async () => {
    const a = await commandEventIds('cmd-1', 'user-1', 3);
    expect(await commandEventIds('cmd-1', 'user-1', 3)).toEqual(a);
    expect(new Set(a).size).toBe(3);
    for (const id of a) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('5');
      expect('89ab').toContain(id[19]);
      expect(id).toBe(id.toLowerCase());
    }
    expect(await commandEventIds('cmd-1', 'user-1', 2, 1)).toEqual(a.slice(1));
    const others = [...(await commandEventIds('cmd-2', 'user-1', 1)), ...(await commandEventIds('cmd-1', 'user-2', 1))];
    for (const id of others) expect(a).not.toContain(id);
    // No ambiguity from concatenation: ('a-b', 'c') and ('a', 'b-c') differ.
    expect(await commandEventIds('c', 'a-b', 1)).not.toEqual(await commandEventIds('b-c', 'a', 1));
  });

  it('refuses an empty or oversized command id', async () => {
    await expect(commandEventIds('', 'user-1', 1)).rejects.toMatchObject({ code: 'INVALID_COMMAND_ID' });
    await expect(commandEventIds('x'.repeat(513), 'user-1', 1)).rejects.toMatchObject({ code: 'INVALID_COMMAND_ID' });
  });
});
