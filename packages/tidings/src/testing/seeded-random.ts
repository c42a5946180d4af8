/**
 * A small seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same sequence for the
 * same seed on every machine. For simulations, crash trials and fuzzing whose runs replay from a
 * printed seed. Not for anything secret.
 *
 * @example
 * const random = seededRandom(42);
 * const killAt = Math.floor(random() * 100); // the same point every run with seed 42
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
