/**
 * Splits long argument lists over several commands. Thousands of datasets in one `zfs
 * snapshot` or `zfs destroy` overflow the OS argument limit (upstream #253/#285); over ssh the
 * whole command is one argument, so the budget is kept well under the usual 128 KiB
 * single-argument limit (MAX_ARG_STRLEN) and the 2 MiB total.
 */

/** Default budget in bytes for the variable part of one command line. */
export const ARG_BUDGET = 100_000;

/** Splits `items` into consecutive chunks whose joined length (plus separators) fits `budget`. */
export function chunkByLength(
  items: readonly string[],
  budget = ARG_BUDGET,
  separatorLength = 1,
): string[][] {
  const chunks: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const item of items) {
    const add = item.length + separatorLength;
    if (cur.length > 0 && len + add > budget) {
      chunks.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(item);
    len += add;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}
