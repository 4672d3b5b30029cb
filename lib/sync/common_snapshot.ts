/** Finding the newest snapshot both sides share (pure). */
import type { Snapshot } from "../zfs/listing.ts";

/** The result of the search. */
export interface CommonSearch {
  /** Name of the newest common snapshot, if any. */
  common: string | undefined;
  /** Names that matched by name but not by guid (newest first), for warnings. */
  guidMismatches: string[];
}

/**
 * Walks the source snapshots newest to oldest (ours or not) and returns the first whose
 * name exists on the target, with the same guid unless `guidCheck` is off. A source snapshot
 * without a known guid was made during this run, so a target snapshot of that name cannot be
 * a copy of it: with `guidCheck` it counts as a mismatch.
 */
export function findCommonSnapshot(
  source: readonly Snapshot[],
  target: readonly Snapshot[],
  guidCheck: boolean,
): CommonSearch {
  const byName = new Map(target.map((t) => [t.name, t]));
  const guidMismatches: string[] = [];
  for (let i = source.length - 1; i >= 0; i--) {
    const s = source[i]!;
    const t = byName.get(s.name);
    if (!t) continue;
    if (guidCheck && (s.guid === undefined || (t.guid !== undefined && s.guid !== t.guid))) {
      guidMismatches.push(s.name);
      continue;
    }
    return { common: s.name, guidMismatches };
  }
  return { common: undefined, guidMismatches };
}
