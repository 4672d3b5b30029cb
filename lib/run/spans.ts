/** Time covered by spans that may overlap (pure). */

/** Seconds covered by at least one of `spans` ([from, to] in milliseconds): overlaps count once. */
export function coveredSeconds(spans: Iterable<readonly [number, number]>): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total / 1000;
}
