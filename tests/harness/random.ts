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

/** Seeded integers and picks on top of mulberry32. */
export class Random {
  readonly #next: () => number;

  /** @param seed the same seed gives the same sequence */
  constructor(readonly seed: number) {
    this.#next = mulberry32(seed);
  }

  /** A number in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#next() * (hi - lo + 1));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}
