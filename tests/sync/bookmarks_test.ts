import assert from "node:assert/strict";
import {
  bookmarkChanges,
  bookmarkVerdict,
  NO_BOOKMARK_CHANGES,
  ownBookmarkSuffix,
} from "../../lib/sync/bookmarks.ts";
import { type Bookmark, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";

const SUFFIX = ownBookmarkSuffix("_", "4242");
const untagged = (n: string) => n.replace(/_tag\w*$/, "");

function snap(name: string, guid: string | undefined, createtxg: number): Snapshot {
  return { name, guid, createtxg, written: 0, userrefs: 0 };
}

function source(snapshots: Snapshot[], bookmarks: Bookmark[]) {
  return emptyDataset("rpool/data", { snapshots, bookmarks });
}

Deno.test("ownBookmarkSuffix: the separator and the guid of TARGET-PATH", () => {
  assert.equal(SUFFIX, "_4242");
  assert.equal(ownBookmarkSuffix(":", "1"), ":1");
});

Deno.test("bookmarkVerdict: both pools need bookmark_written; --no-bookmarks says nothing more", () => {
  const base = {
    noBookmarks: false,
    sourcePool: "rpool",
    targetPool: "backup",
    sourceHas: true,
    targetHas: true,
    targetGuid: "4242",
  };
  assert.equal(bookmarkVerdict(base), undefined);
  assert.equal(bookmarkVerdict({ ...base, noBookmarks: true }), "--no-bookmarks");
  assert.equal(bookmarkVerdict({ ...base, sourceHas: false }), 'source pool "rpool" lacks bookmark_written');
  assert.equal(
    bookmarkVerdict({ ...base, sourceHas: false, targetHas: false }),
    'source pool "rpool" and target pool "backup" lack bookmark_written',
  );
  assert.equal(bookmarkVerdict({ ...base, targetGuid: undefined }), "the guid of TARGET-PATH is unknown");
});

Deno.test("bookmarkChanges: the new common snapshot is bookmarked, the older bookmarks of this target go", () => {
  const src = source(
    [snap("s1", "g1", 10), snap("s2", "g2", 20), snap("s3", undefined, Number.MAX_SAFE_INTEGER)],
    [{ name: "s1_4242", guid: "g1", createtxg: 10 }, { name: "s2_4242", guid: "g2", createtxg: 20 }],
  );
  const own = src.bookmarks;
  assert.deepEqual(bookmarkChanges(src, "s3", own, SUFFIX, untagged), {
    create: { snapshot: "rpool/data@s3", bookmark: "rpool/data#s3_4242" },
    destroy: ["rpool/data#s1_4242", "rpool/data#s2_4242"],
    conflict: undefined,
  });
});

Deno.test("bookmarkChanges: nothing arrived, nothing changes", () => {
  const src = source([snap("s1", "g1", 10)], [{ name: "s1_4242", guid: "g1", createtxg: 10 }]);
  assert.deepEqual(bookmarkChanges(src, undefined, src.bookmarks, SUFFIX, untagged), NO_BOOKMARK_CHANGES);
});

Deno.test("bookmarkChanges: a tagged snapshot's bookmark is named without the tag", () => {
  const src = source([snap("s1_tagA", "g1", 10)], []);
  assert.deepEqual(bookmarkChanges(src, "s1_tagA", [], SUFFIX, untagged).create, {
    snapshot: "rpool/data@s1_tagA",
    bookmark: "rpool/data#s1_4242",
  });
});

Deno.test("bookmarkChanges: an existing bookmark of that name and guid is reused", () => {
  const src = source(
    [snap("s1", "g1", 10), snap("s2", "g2", 20)],
    [{ name: "s1_4242", guid: "g1", createtxg: 10 }, { name: "s2_4242", guid: "g2", createtxg: 20 }],
  );
  assert.deepEqual(bookmarkChanges(src, "s2", src.bookmarks, SUFFIX, untagged), {
    create: undefined,
    destroy: ["rpool/data#s1_4242"],
    conflict: undefined,
  });
});

Deno.test("bookmarkChanges: a bookmark of that name but another snapshot blocks: nothing made or destroyed", () => {
  const src = source(
    [snap("s1", "g1", 10), snap("s2", "g2", 20)],
    [{ name: "s1_4242", guid: "g1", createtxg: 10 }, { name: "s2_4242", guid: "other", createtxg: 30 }],
  );
  assert.deepEqual(bookmarkChanges(src, "s2", [src.bookmarks[0]!], SUFFIX, untagged), {
    create: undefined,
    destroy: [],
    conflict: "rpool/data#s2_4242",
  });
  // A snapshot made by this run cannot have a bookmark yet: one of its name is another's.
  const fresh = source([snap("s3", undefined, Number.MAX_SAFE_INTEGER)], [
    { name: "s3_4242", guid: "g9", createtxg: 5 },
  ]);
  assert.equal(bookmarkChanges(fresh, "s3", [], SUFFIX, untagged).conflict, "rpool/data#s3_4242");
});

Deno.test("bookmarkChanges: only the planner's own bookmarks older than the new one are destroyed", () => {
  const src = source(
    [snap("s1", "g1", 10), snap("s2", "g2", 20)],
    [
      { name: "s1_4242", guid: "g1", createtxg: 10 },
      { name: "s1_7777", guid: "g1", createtxg: 10 },
      { name: "s0_4242", guid: "wrong", createtxg: 5 },
      { name: "manual", guid: "g1", createtxg: 10 },
    ],
  );
  // The planner lists only this target's bookmarks of this chain (s1_4242).
  const changes = bookmarkChanges(src, "s2", [src.bookmarks[0]!], SUFFIX, untagged);
  assert.deepEqual(changes.destroy, ["rpool/data#s1_4242"]);
});
