/**
 * Finding the newest point both sides share (pure): a source snapshot or a source bookmark, and
 * the target snapshot that is its copy. A copy has the guid of its original, so guids decide;
 * names only decide for snapshots under --no-guid-check (or a target snapshot whose guid is not
 * known yet).
 */
import type { Bookmark, Snapshot } from "../zfs/listing.ts";

/** The newest point the source and the target share. */
export interface CommonPoint {
  /** The target's snapshot at that point (short name). */
  target: string;
  /** The source snapshot at that point, when it still exists (short name). */
  snapshot: string | undefined;
  /** The source bookmark the next incremental is sent from (short name), when one is used. */
  bookmark: string | undefined;
  /** createtxg of the point on the source: what comes after it is newer. */
  createtxg: number;
}

/** The result of the search. */
export interface CommonSearch {
  common: CommonPoint | undefined;
  /** Source snapshots whose name the target has but not their guid (newest first), for warnings. */
  guidMismatches: string[];
  /** This target's bookmarks named for a target snapshot but of another guid (newest first). */
  bookmarkMismatches: string[];
  /**
   * This target's bookmarks that are points of this chain (their guid is a target snapshot's),
   * oldest first: the only bookmarks the run may clean up.
   */
  ownBookmarks: Bookmark[];
}

/** How points are matched. */
export interface CommonRules {
  /** Compare guids (off with --no-guid-check: snapshot names decide). */
  guidCheck: boolean;
  /** A name without its tag when it is one of ours, so tagged and untagged names match. */
  untagged: (name: string) => string;
  /** How this target's bookmark names end (separator + TARGET-PATH guid); undefined = unknown. */
  ownSuffix: string | undefined;
  /** At the same point, send from this target's bookmark rather than the snapshot. */
  preferBookmark: boolean;
}

/**
 * The newest shared point. Source snapshots are walked newest to oldest (ours or not): one
 * counts when its guid is a target snapshot's, or, without the guid check, when the target
 * has its name. A source snapshot without a known guid was made during this run, so a target
 * snapshot of that name cannot be a copy of it: with the guid check it is a mismatch.
 * Bookmarks count by guid only. A bookmark newer than every shared snapshot is the point;
 * at the same point this target's bookmark is used when `preferBookmark`, and any bookmark
 * when the snapshot is gone. A bookmark with this target's name but another guid never counts.
 */
export function findCommonPoint(
  source: readonly Snapshot[],
  bookmarks: readonly Bookmark[],
  target: readonly Snapshot[],
  rules: CommonRules,
): CommonSearch {
  const byGuid = new Map<string, Snapshot>();
  const byName = new Map<string, Snapshot>();
  for (const t of target) {
    if (t.guid !== undefined) byGuid.set(t.guid, t);
    byName.set(rules.untagged(t.name), t);
  }

  const guidMismatches: string[] = [];
  let snap: { s: Snapshot; t: Snapshot } | undefined;
  for (let i = source.length - 1; i >= 0 && !snap; i--) {
    const s = source[i]!;
    const sameGuid = s.guid === undefined ? undefined : byGuid.get(s.guid);
    if (sameGuid) {
      snap = { s, t: sameGuid };
      break;
    }
    const t = byName.get(rules.untagged(s.name));
    if (!t) continue;
    if (rules.guidCheck && (s.guid === undefined || (t.guid !== undefined && s.guid !== t.guid))) {
      guidMismatches.push(s.name);
    } else snap = { s, t };
  }

  const isOwn = (b: Bookmark) => rules.ownSuffix !== undefined && b.name.endsWith(rules.ownSuffix);
  let mark: { b: Bookmark; t: Snapshot } | undefined;
  for (let i = bookmarks.length - 1; i >= 0 && !mark; i--) {
    const b = bookmarks[i]!;
    const t = b.guid === undefined ? undefined : byGuid.get(b.guid);
    if (!t) continue;
    // Several bookmarks of one snapshot (one per target): this target's own first.
    const same = bookmarks.filter((x) => x.guid === b.guid);
    mark = { b: same.find(isOwn) ?? b, t };
  }

  let common: CommonPoint | undefined;
  // A bookmark of the shared snapshot itself is the same point, whatever order they were listed in.
  if (mark && (!snap || (mark.b.guid !== snap.s.guid && mark.b.createtxg > snap.s.createtxg))) {
    common = { target: mark.t.name, snapshot: undefined, bookmark: mark.b.name, createtxg: mark.b.createtxg };
  } else if (snap) {
    const atSamePoint = mark && mark.b.guid === snap.s.guid && isOwn(mark.b) && rules.preferBookmark;
    common = {
      target: snap.t.name,
      snapshot: snap.s.name,
      bookmark: atSamePoint ? mark!.b.name : undefined,
      createtxg: snap.s.createtxg,
    };
  }

  const targetGuids = new Set(byGuid.keys());
  const own = bookmarks.filter(isOwn);
  const ownBookmarks = own.filter((b) => b.guid !== undefined && targetGuids.has(b.guid));
  const bookmarkMismatches: string[] = [];
  for (let i = own.length - 1; i >= 0; i--) {
    const b = own[i]!;
    if (common && b.createtxg <= common.createtxg) break;
    const t = byName.get(b.name.slice(0, -rules.ownSuffix!.length));
    if (t && t.guid !== undefined && t.guid !== b.guid) bookmarkMismatches.push(b.name);
  }
  return { common, guidMismatches, bookmarkMismatches, ownBookmarks };
}
