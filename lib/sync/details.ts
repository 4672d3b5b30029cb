/**
 * Which per-snapshot properties a plan still needs (pure). Listings of modern zfs read snapshot
 * and bookmark names only: `zfs list -o name` is the cheapest listing there is, and any property
 * makes zfs read each snapshot's statistics (measured on the OpenZFS 2.3 guest: 30% more time
 * for guid and createtxg, 45% with written and userrefs too). A plan needs the guid of the
 * common point on both sides (and of each newer name match whose guid turned out not to match)
 * and `written` of the target snapshots after it (the incompatible check); these are read
 * afterwards for all datasets in one `zfs get` per side. `userrefs` is left unknown: a destroy
 * that fails because of a hold looks the holds up then (run/destroy_step.ts).
 *
 * Bookmarks are few (a run keeps one per target and dataset), so every listed bookmark's guid is
 * read, with the guids of the snapshots named like it on both sides: that is what tells which
 * bookmark is a point of the chain, and which ones a run may clean up.
 */
import type { Bookmark, Dataset, Snapshot } from "../zfs/listing.ts";

/** createtxg given to snapshots this run made: newer than anything listed. */
export const NEW_SNAPSHOT_TXG = Number.MAX_SAFE_INTEGER;

/** True for a snapshot this run made (it has no guid yet, and is on no target). */
export function madeThisRun(s: Snapshot): boolean {
  return s.createtxg === NEW_SNAPSHOT_TXG;
}

/** A listed snapshot or bookmark whose properties (its guid among them) were not read yet. */
export function detailsPending(s: Snapshot | Bookmark): boolean {
  return s.details === "pending";
}

/** A listed snapshot whose `written` was not read yet (listed by name, or with its guid only). */
export function writtenPending(s: Snapshot): boolean {
  return s.details !== undefined;
}

/** Short snapshot and bookmark names whose properties are still needed, per side. */
export interface DetailsNeeded {
  source: string[];
  sourceBookmarks: string[];
  target: string[];
}

/** How names are matched (as in the common-point search). */
export interface DetailsRules {
  /** Compare guids (off with --no-guid-check: snapshot names decide). */
  guidCheck: boolean;
  /** A name without its tag, so tagged and untagged names match. */
  untagged: (name: string) => string;
  /** The snapshot name a bookmark is named after (our bookmarks end in separator + guid). */
  bookmarkStem: (name: string) => string;
}

/** The bookmark stem for `separator`: the name without a trailing separator and digits. */
export function bookmarkStemOf(separator: string): (name: string) => string {
  const suffix = new RegExp(`${separator.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\d+$`);
  return (name) => name.replace(suffix, "");
}

/**
 * What the common-point search and the incompatible check of one dataset still need, given
 * what is known so far. The search walks the source newest first to the first name the target
 * has: a pending guid on either side is needed; a known mismatch moves on to the next older
 * match. Pending bookmarks are needed, with the snapshots named like them on both sides. The
 * target snapshots after the first match that is not known to mismatch (or else after the
 * newest bookmark match) need `written`. Empty when everything the plan looks at is known.
 */
export function detailsNeeded(
  source: Pick<Dataset, "snapshots" | "bookmarks">,
  target: readonly Snapshot[],
  rules: DetailsRules,
): DetailsNeeded {
  const needed: DetailsNeeded = { source: [], sourceBookmarks: [], target: [] };
  if (target.length === 0) return needed;
  const { guidCheck, untagged } = rules;
  const byName = new Map(target.map((t, i) => [untagged(t.name), i]));
  const pendingTarget = new Set<number>();
  const pendingSource = new Set<string>();

  let commonIndex = -1;
  for (let i = source.snapshots.length - 1; i >= 0; i--) {
    const s = source.snapshots[i]!;
    const ti = byName.get(untagged(s.name));
    if (ti === undefined) continue;
    if (guidCheck && madeThisRun(s)) continue; // Cannot be a copy of a target snapshot.
    const t = target[ti]!;
    if (guidCheck && (detailsPending(s) || detailsPending(t))) {
      if (detailsPending(s)) pendingSource.add(s.name);
      if (detailsPending(t)) pendingTarget.add(ti);
      commonIndex = ti;
      break;
    }
    if (guidCheck && (s.guid === undefined || (t.guid !== undefined && s.guid !== t.guid))) continue;
    commonIndex = ti;
    break;
  }

  let bookmarkIndex = -1;
  if (source.bookmarks.length > 0) {
    const byGuid = new Map(target.flatMap((t, i) => (t.guid === undefined ? [] : [[t.guid, i] as const])));
    const sourceByName = new Map(source.snapshots.map((s) => [untagged(s.name), s]));
    for (const b of source.bookmarks) {
      if (detailsPending(b)) needed.sourceBookmarks.push(b.name);
      const stem = untagged(rules.bookmarkStem(b.name));
      const ti = byName.get(stem);
      if (ti !== undefined && detailsPending(target[ti]!)) pendingTarget.add(ti);
      const s = sourceByName.get(stem);
      if (s && detailsPending(s)) pendingSource.add(s.name);
      const matched = b.guid === undefined ? undefined : byGuid.get(b.guid);
      if (matched !== undefined) bookmarkIndex = Math.max(bookmarkIndex, matched);
    }
  }

  const start = commonIndex >= 0 ? commonIndex : bookmarkIndex;
  if (start >= 0) {
    for (let ti = start + 1; ti < target.length; ti++) if (writtenPending(target[ti]!)) pendingTarget.add(ti);
  }
  needed.source = [...pendingSource];
  needed.target = [...pendingTarget].sort((a, b) => a - b).map((ti) => target[ti]!.name);
  return needed;
}

/**
 * Gives each bookmark whose guid is a source snapshot's that snapshot's createtxg. Listed by name
 * only, a bookmark and the snapshot it marks get neighbouring places in creation order (zfs
 * lists them in either order): once both guids are known they are the same point again.
 */
export function alignBookmarks(ds: Dataset): void {
  if (ds.bookmarks.length === 0) return;
  const byGuid = new Map(ds.snapshots.flatMap((s) => (s.guid === undefined ? [] : [[s.guid, s] as const])));
  for (const b of ds.bookmarks) {
    const s = b.guid === undefined ? undefined : byGuid.get(b.guid);
    if (s) b.createtxg = s.createtxg;
  }
  ds.bookmarks.sort((x, y) => x.createtxg - y.createtxg);
}
