/**
 * A small seeded pseudo-random number generator for tests and benchmarks that need the same
 * "random" data on every run.
 */

/**
 * mulberry32: returns a function yielding numbers in [0, 1), the same sequence for the same
 * seed (taken as an unsigned 32-bit integer).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
