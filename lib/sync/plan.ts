/**
 * The per-dataset replication plan (pure): common snapshot, incompatible target snapshots,
 * what to transfer, and what the thinner destroys before and after the transfers, with
 * upstream's rules for each.
 */
import type { Bookmark, Dataset, Snapshot } from "../zfs/listing.ts";
import type { Schedule } from "../thinner/schedule.ts";
import { thinOurs } from "../thinner/thinner.ts";
import { type CommonPoint, findCommonPoint } from "./common_snapshot.ts";

/** Everything the planner needs besides the two datasets. */
export interface PlanRules {
  /** Seconds encoded in an own snapshot name, undefined when the name is not ours. */
  timeOf: (name: string) => number | undefined;
  /** An own snapshot name without its tag (other names as they are). */
  untagged: (name: string) => string;
  otherSnapshots: boolean;
  guidCheck: boolean;
  /**
   * How this target's bookmark names end (tag separator + TARGET-PATH guid), undefined when
   * the guid is unknown. Bookmarks of the source count as common points either way.
   */
  ownBookmarkSuffix: string | undefined;
  /**
   * This dataset is bookmarked (both pools can, no --no-bookmarks): this target's bookmark is
   * the preferred common point, and a source snapshot whose point it holds may be thinned.
   */
  bookmarks: boolean;
  /** The stream is raw (encrypted source without --decrypt): any newer target snapshot is incompatible. */
  raw: boolean;
  /** True when a source snapshot (full name) matches --exclude-snapshot-pattern. */
  excluded: (fullName: string) => boolean;
  keepSource: Schedule;
  keepTarget: Schedule;
  /** Thinning on at all (false with --no-thinning). */
  thinning: boolean;
  /** Unix seconds. */
  now: number;
}

/**
 * One `zfs send` of a snapshot, incremental from `from` when set: a short snapshot name of the
 * same dataset, or a full name (`pool/fs#bookmark`, or a clone's origin `pool/other@snap`).
 */
export interface TransferStep {
  snapshot: string;
  from: string | undefined;
}

/** The plan for one dataset. */
export interface SyncPlan {
  common: CommonPoint | undefined;
  guidMismatches: string[];
  /** This target's bookmarks that name a target snapshot but have another guid (ignored, kept). */
  bookmarkMismatches: string[];
  /** This target's bookmarks that are points of this chain, oldest first (cleanup candidates). */
  ownBookmarks: Bookmark[];
  /** Set when the dataset cannot be synced as things are. */
  error: string | undefined;
  /** Target snapshots after the common one that block receiving. */
  incompatible: string[];
  /** The first source snapshot to send (the resume token must match it). */
  start: string | undefined;
  /** Source snapshots to destroy before transferring. */
  preDestroySource: string[];
  /** Existing target snapshots to destroy before transferring. */
  preDestroyTarget: string[];
  transfers: TransferStep[];
  /** Candidates not sent, with why. */
  skipped: { snapshot: string; why: "target-obsolete" | "excluded" }[];
  sourceObsolete: Set<string>;
  targetObsolete: Set<string>;
}

/** Names the thinner would destroy; the newest own snapshot is always kept. */
function obsolete(names: readonly string[], schedule: Schedule, rules: PlanRules): Set<string> {
  if (!rules.thinning) return new Set();
  const decisions = thinOurs(schedule, names, rules.timeOf, rules.now);
  return new Set(decisions.filter((d) => !d.keep).map((d) => d.item));
}

/**
 * Target snapshots after the common one that would make the receive fail. Non-raw: from the
 * first one with data written (unknown counts as written), everything after it. Raw: all.
 */
export function incompatibleSnapshots(
  target: readonly Snapshot[],
  common: string | undefined,
  raw: boolean,
): string[] {
  if (common === undefined) return [];
  const idx = target.findIndex((t) => t.name === common);
  const after = target.slice(idx + 1);
  if (raw) return after.map((t) => t.name);
  const first = after.findIndex((t) => t.written !== 0);
  return first < 0 ? [] : after.slice(first).map((t) => t.name);
}

/**
 * Index of the first source snapshot after the common point (`src.length` when none is), 0
 * without a common point. A bookmark's point may have no snapshot left: its createtxg decides.
 */
function firstAfterPoint(src: readonly Snapshot[], common: CommonPoint | undefined): number {
  if (common === undefined) return 0;
  if (common.snapshot !== undefined) return src.findIndex((s) => s.name === common.snapshot) + 1;
  const i = src.findIndex((s) => s.createtxg > common.createtxg);
  return i < 0 ? src.length : i;
}

/** Plans the sync of `source` into `target` (undefined = does not exist yet). */
export function planSync(source: Dataset, target: Dataset | undefined, rules: PlanRules): SyncPlan {
  const src = source.snapshots;
  const tgt = target?.snapshots ?? [];
  const isOurs = (n: string) => rules.timeOf(n) !== undefined;
  const wanted = (n: string) => rules.otherSnapshots || isOurs(n);

  const { common, guidMismatches, bookmarkMismatches, ownBookmarks } = findCommonPoint(
    src,
    source.bookmarks,
    tgt,
    {
      guidCheck: rules.guidCheck,
      untagged: rules.untagged,
      ownSuffix: rules.ownBookmarkSuffix,
      preferBookmark: rules.bookmarks,
    },
  );
  let error: string | undefined;
  if (common === undefined && tgt.length > 0) error = "Cannot find common snapshot with target";

  const firstAfter = firstAfterPoint(src, common);
  // Start: the first wanted snapshot after the common point, or from the oldest without one.
  const startIdx = src.findIndex((s, i) => i >= firstAfter && wanted(s.name));
  const start = startIdx < 0 ? undefined : src[startIdx]!.name;
  const candidates = startIdx < 0 ? [] : src.slice(startIdx).filter((s) => wanted(s.name)).map((s) => s.name);

  const incompatible = incompatibleSnapshots(tgt, common?.target, rules.raw);
  const incompatibleSet = new Set(incompatible);
  const targetNames = new Set(tgt.map((t) => t.name));

  const sourceObsolete = obsolete(src.map((s) => s.name), rules.keepSource, rules);
  // The target's future: its snapshots (minus incompatible ones) plus the candidates to come.
  const targetFuture = [
    ...tgt.filter((t) => !incompatibleSet.has(t.name)).map((t) => t.name),
    ...candidates.filter((c) => !targetNames.has(c)),
  ];
  const targetObsolete = obsolete(targetFuture, rules.keepTarget, rules);

  // The common snapshot is the chain unless this target's bookmark holds its point.
  const protectedSnapshot = rules.bookmarks && common?.bookmark !== undefined ? undefined : common?.snapshot;
  const candidateSet = new Set(candidates);
  const preDestroySource: string[] = [];
  src.forEach((s, i) => {
    if (s.name === protectedSnapshot || !sourceObsolete.has(s.name)) return;
    // Queued snapshots the target still wants must survive until sent (upstream #84).
    if (i < firstAfter || !candidateSet.has(s.name) || targetObsolete.has(s.name)) {
      preDestroySource.push(s.name);
    }
  });
  const preDestroyTarget = tgt
    .filter((t) => t.name !== common?.target && targetObsolete.has(t.name) && !incompatibleSet.has(t.name))
    .map((t) => t.name);

  const transfers: TransferStep[] = [];
  const skipped: SyncPlan["skipped"] = [];
  let prev = common?.bookmark !== undefined ? `${source.name}#${common.bookmark}` : common?.snapshot;
  for (const c of candidates) {
    if (targetObsolete.has(c)) skipped.push({ snapshot: c, why: "target-obsolete" });
    else if (rules.excluded(`${source.name}@${c}`)) skipped.push({ snapshot: c, why: "excluded" });
    else {
      transfers.push({ snapshot: c, from: prev });
      prev = c;
    }
  }
  return {
    common,
    guidMismatches,
    bookmarkMismatches,
    ownBookmarks,
    error,
    incompatible,
    start,
    preDestroySource,
    preDestroyTarget,
    transfers,
    skipped,
    sourceObsolete,
    targetObsolete,
  };
}
