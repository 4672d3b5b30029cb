/** Small figures shared by the benchmarks in scripts/. */

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** MiB/s of `fn` over `sizeMiB` of data, by wall time. */
export async function mibPerSecond(sizeMiB: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return sizeMiB / ((performance.now() - t0) / 1000);
}
