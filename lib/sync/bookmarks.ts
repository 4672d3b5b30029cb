/**
 * Bookmarks of the source (pure): whether a dataset is bookmarked, how a bookmark is named, and
 * which bookmark a sync makes and which older ones of the same target it then destroys.
 *
 * A sent snapshot `pool/fs@<name>[<sep><tag>]` is bookmarked as
 * `pool/fs#<name><sep><guid of TARGET-PATH>`: the guid keeps the bookmarks of two targets of
 * one source apart, and the suffix is how a run recognises the bookmarks it may clean up.
 */
import type { Bookmark, Dataset } from "../zfs/listing.ts";

/** The pool feature both pools need: bookmarks with the accounting zfs send uses. */
export const BOOKMARK_FEATURE = "bookmark_written";

/** Why a dataset is not bookmarked (undefined = it is). */
export function bookmarkVerdict(opts: {
  noBookmarks: boolean;
  /** Pool names of the source and the target dataset. */
  sourcePool: string;
  targetPool: string;
  sourceHas: boolean;
  targetHas: boolean;
  targetGuid: string | undefined;
}): string | undefined {
  if (opts.noBookmarks) return "--no-bookmarks";
  const lacking = [
    ...(opts.sourceHas ? [] : [`source pool "${opts.sourcePool}"`]),
    ...(opts.targetHas ? [] : [`target pool "${opts.targetPool}"`]),
  ];
  if (lacking.length) {
    return `${lacking.join(" and ")} lack${lacking.length === 1 ? "s" : ""} ${BOOKMARK_FEATURE}`;
  }
  if (opts.targetGuid === undefined) return "the guid of TARGET-PATH is unknown";
  return undefined;
}

/** How this target's bookmark names end: the tag separator and the guid of TARGET-PATH. */
export function ownBookmarkSuffix(separator: string, targetGuid: string): string {
  return `${separator}${targetGuid}`;
}

/** What a sync does with the bookmarks of one source dataset, once its transfers are done. */
export interface BookmarkChanges {
  /** `pool/fs@snap` to bookmark as `pool/fs#name`, or nothing (none arrived, or it exists). */
  create: { snapshot: string; bookmark: string } | undefined;
  /** Older bookmarks of this target (full names), destroyed once the new one exists. */
  destroy: string[];
  /**
   * The bookmark name is taken by a bookmark of another snapshot (full name): nothing is made
   * or destroyed, and the source snapshot is held instead.
   */
  conflict: string | undefined;
}

/** No bookmark changes. */
export const NO_BOOKMARK_CHANGES: BookmarkChanges = { create: undefined, destroy: [], conflict: undefined };

/**
 * The bookmark for `done` (the newest snapshot that arrived, short name) and the cleanup of the
 * older ones. `ownBookmarks` are this target's bookmarks that are points of this chain (the
 * planner's list); an existing bookmark of the right name and guid is reused. Bookmarks of
 * other targets, of other tools, and of this target's name with another guid are never touched.
 */
export function bookmarkChanges(
  source: Dataset,
  done: string | undefined,
  ownBookmarks: readonly Bookmark[],
  suffix: string,
  untagged: (name: string) => string,
): BookmarkChanges {
  if (done === undefined) return NO_BOOKMARK_CHANGES;
  const snapshot = source.snapshots.find((s) => s.name === done);
  const name = `${untagged(done)}${suffix}`;
  const existing = source.bookmarks.find((b) => b.name === name);
  // A snapshot made by this run has no known guid yet, so a bookmark of its name is another one's.
  if (existing && (snapshot?.guid === undefined || existing.guid !== snapshot.guid)) {
    return { create: undefined, destroy: [], conflict: `${source.name}#${name}` };
  }
  const txg = snapshot?.createtxg ?? Number.MAX_SAFE_INTEGER;
  return {
    create: existing ? undefined : { snapshot: `${source.name}@${done}`, bookmark: `${source.name}#${name}` },
    destroy: ownBookmarks.filter((b) => b.name !== name && b.createtxg < txg).map((b) =>
      `${source.name}#${b.name}`
    ),
    conflict: undefined,
  };
}
