/** Produces unique, time-ordered message ids. Injectable so tests are deterministic. */
export type IdGenerator = () => string;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Fills `bytes` with random values; defaults to the platform's crypto. */
export type RandomSource = (bytes: Uint8Array) => void;

const defaultRandom: RandomSource = (bytes) => {
  globalThis.crypto.getRandomValues(bytes);
};

/**
 * Creates a UUIDv7 generator (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter
 * that keeps ids strictly increasing within one millisecond (method 1 of §6.2), then random bits.
 * Random bytes are drawn in blocks to keep the per-id cost low.
 *
 * @example
 * const nextId = uuidv7Generator();
 * nextId(); // '0193a5b2-7c41-7000-8f3e-…'
 */
export function uuidv7Generator(options: { now?: () => number; random?: RandomSource } = {}): IdGenerator {
  const now = options.now ?? Date.now;
  const random = options.random ?? defaultRandom;
  const pool = new Uint8Array(8 * 256);
  let poolAt = pool.length;
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      if (poolAt >= pool.length) {
        random(pool);
        poolAt = 0;
      }
      // Start the counter in the lower half of its range so many ids fit in one millisecond.
      counter = (pool[poolAt]! << 3) & 0x7ff;
    } else {
      ms = lastMs;
      counter++;
      if (counter > 0xfff) {
        // Counter exhausted: borrow the next millisecond rather than break the order.
        lastMs = ++ms;
        counter = 0;
      }
    }
    if (poolAt + 8 > pool.length) {
      random(pool);
      poolAt = 0;
    }
    const r = poolAt;
    poolAt += 8;
    const hi = Math.floor(ms / 0x10000);
    const lo = ms & 0xffff;
    return (
      HEX[(hi >>> 24) & 0xff]! +
      HEX[(hi >>> 16) & 0xff]! +
      HEX[(hi >>> 8) & 0xff]! +
      HEX[hi & 0xff]! +
      '-' +
      HEX[lo >>> 8]! +
      HEX[lo & 0xff]! +
      '-' +
      HEX[0x70 | (counter >>> 8)]! +
      HEX[counter & 0xff]! +
      '-' +
      HEX[0x80 | (pool[r]! & 0x3f)]! +
      HEX[pool[r + 1]!]! +
      '-' +
      HEX[pool[r + 2]!]! +
      HEX[pool[r + 3]!]! +
      HEX[pool[r + 4]!]! +
      HEX[pool[r + 5]!]! +
      HEX[pool[r + 6]!]! +
      HEX[pool[r + 7]!]!
    );
  };
}

/** The process-wide default generator. */
export const uuidv7: IdGenerator = uuidv7Generator();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical 8-4-4-4-12 hexadecimal UUID string. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** The millisecond timestamp stored in a UUIDv7. */
export function uuidv7Time(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
