/**
 * What zfs-autoverify compares (pure): each selected source dataset with its target, at the
 * newest snapshot both have with the same guid. A dataset that cannot be compared (no target,
 * no common snapshot, a filesystem backed up as a volume) gets the reason instead.
 */
import { findCommonPoint } from "../sync/common_snapshot.ts";
import type { Dataset } from "../zfs/listing.ts";

/** One dataset to compare. */
export interface VerifyPair {
  kind: "compare";
  source: string;
  target: string;
  type: "filesystem" | "volume";
  /** The common snapshot's short name (after "@"). */
  snapshot: string;
}

/** One dataset that cannot be compared. */
export interface UnverifiablePair {
  kind: "unverifiable";
  source: string;
  target: string;
  reason: string;
}

/** The plan for one selected dataset. */
export type PairPlan = VerifyPair | UnverifiablePair;

/** Names and rules the pairing needs. */
export interface PairRules {
  /** The target dataset name of a source dataset (TARGET-PATH, --strip-path). */
  targetOf: (source: string) => string;
  /** --exclude-snapshot-pattern: true for a full source snapshot name that never counts. */
  excluded: (fullSnapshotName: string) => boolean;
  /** A snapshot name without its tag (--tag), so tagged and untagged copies match. */
  untagged: (name: string) => string;
}

/** Pairs every selected dataset, in the given order. */
export function planPairs(
  selected: readonly Dataset[],
  targets: ReadonlyMap<string, Dataset>,
  rules: PairRules,
): PairPlan[] {
  return selected.map((src) => planPair(src, targets, rules));
}

function planPair(src: Dataset, targets: ReadonlyMap<string, Dataset>, rules: PairRules): PairPlan {
  const target = rules.targetOf(src.name);
  const fail = (reason: string): UnverifiablePair => ({
    kind: "unverifiable",
    source: src.name,
    target,
    reason,
  });
  const tgt = targets.get(target);
  if (!tgt) return fail(`target "${target}" does not exist`);
  if (tgt.type !== src.type) return fail(`the source is a ${src.type}, the target a ${tgt.type}`);
  const candidates = src.snapshots.filter((s) => !rules.excluded(`${src.name}@${s.name}`));
  // Contents can only be compared at a snapshot that still exists on both sides, so source
  // bookmarks do not count here.
  const found = findCommonPoint(candidates, [], tgt.snapshots, {
    guidCheck: true,
    untagged: rules.untagged,
    ownSuffix: undefined,
    preferBookmark: false,
  });
  const snapshot = found.common?.snapshot;
  if (snapshot === undefined) {
    const mismatch = found.guidMismatches.length
      ? ` (${found.guidMismatches.length} of the same name but another guid, newest "${
        found.guidMismatches[0]
      }")`
      : "";
    return fail(`no common snapshot${mismatch}`);
  }
  return { kind: "compare", source: src.name, target, type: src.type, snapshot };
}
