import { seededRandom } from 'tidings/testing';

/**
 * A small seedable pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every machine, so a failing fuzz run is replayed exactly from its printed seed.
 */
export class Prng {
  readonly #random: () => number;

  constructor(readonly seed: number) {
    this.#random = seededRandom(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.#random();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` hexadecimal digits. */
  hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += '0123456789abcdef'[this.int(16)]!;
    return out;
  }
}

/** The seed from `TIDINGS_FUZZ_SEED` when set (to replay a run), else a fresh one. */
export function fuzzSeed(): number {
  const given = process.env['TIDINGS_FUZZ_SEED'];
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`TIDINGS_FUZZ_SEED must be a non-negative integer, got ${given}.`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 32);
}
