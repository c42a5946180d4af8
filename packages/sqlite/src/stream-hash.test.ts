import { describe, expect, it } from 'vitest';
import { streamHash } from './stream-hash.js';

/** The plain definition: FNV-1a over the UTF-8 bytes. The fast ASCII path must agree with it exactly. */
function reference(streamId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(streamId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

describe('streamHash', () => {
  it('is 32-bit FNV-1a of the UTF-8 bytes (published test vectors)', () => {
    expect(streamHash('a')).toBe(0xe40c292c);
    expect(streamHash('foobar')).toBe(0xbf9cf968);
  });

  it('gives the same value on the ASCII fast path and the UTF-8 path', () => {
    const ids = [
      'order-42',
      'x',
      'o\'rder-"1"; DROP TABLE events',
      'ünï-çødé',
      'order-🙂',
      'abc-é',
      'é-abc',
      '\u007f-\u0080',
    ];
    for (let i = 0; i < 200; i++) {
      let s = '';
      for (let j = 0; j < 1 + (i % 17); j++)
        s += String.fromCharCode(32 + ((i * 31 + j * 7) % (i % 3 === 0 ? 400 : 95)));
      ids.push(s);
    }
    for (const id of ids) expect(streamHash(id), id).toBe(reference(id));
  });
});
