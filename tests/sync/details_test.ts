import assert from "node:assert/strict";
import {
  alignBookmarks,
  bookmarkStemOf,
  detailsNeeded,
  type DetailsRules,
  NEW_SNAPSHOT_TXG,
} from "../../lib/sync/details.ts";
import { type Bookmark, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";
import { findCommonPoint } from "../../lib/sync/common_snapshot.ts";

// Snapshots are written "a" (listed by name only: properties pending), "a=g1" (guid g1 known),
// "a!" (made by this run).
function snaps(...specs: string[]): Snapshot[] {
  return specs.map((spec, i) => {
    if (spec.endsWith("!")) {
      return {
        name: spec.slice(0, -1),
        guid: undefined,
        createtxg: NEW_SNAPSHOT_TXG,
        written: 0,
        userrefs: 0,
      };
    }
    const [name, guid] = spec.split("=") as [string, string | undefined];
    const s: Snapshot = { name, guid, createtxg: i + 1, written: guid ? 0 : undefined, userrefs: undefined };
    if (guid === undefined) s.details = "pending";
    return s;
  });
}

function rules(guidCheck: boolean): DetailsRules {
  // Tags are written "name:tag" here.
  return { guidCheck, untagged: (n) => n.replace(/:.*$/, ""), bookmarkStem: bookmarkStemOf("_") };
}

/** What detailsNeeded asks for a source without bookmarks, bookmark list left out. */
function needed(source: Snapshot[], target: Snapshot[], guidCheck: boolean) {
  const { sourceBookmarks, ...rest } = detailsNeeded(
    { snapshots: source, bookmarks: [] },
    target,
    rules(guidCheck),
  );
  assert.deepEqual(sourceBookmarks, []);
  return rest;
}

Deno.test("detailsNeeded: the newest common name needs its guid on both sides, newer target snapshots their written", () => {
  const need = needed(snaps("a", "b", "c", "d!"), snaps("a", "b", "x", "y"), true);
  assert.deepEqual(need, { source: ["b"], target: ["b", "x", "y"] });
});

Deno.test("detailsNeeded: nothing once the common snapshot's guids are known and match", () => {
  assert.deepEqual(needed(snaps("a", "b=1", "c"), snaps("a", "b=1"), true), {
    source: [],
    target: [],
  });
  // Known and matching, but a newer target snapshot's written is still unknown.
  assert.deepEqual(needed(snaps("a", "b=1"), snaps("a", "b=1", "x"), true), {
    source: [],
    target: ["x"],
  });
});

Deno.test("detailsNeeded: a known mismatch moves on to the next older name both sides have", () => {
  const need = needed(snaps("a", "b=1", "c"), snaps("a", "b=2"), true);
  assert.deepEqual(need, { source: ["a"], target: ["a"] });
  // A snapshot made by this run is never a copy of a target snapshot of the same name.
  assert.deepEqual(needed(snaps("a", "b!"), snaps("a", "b"), true), {
    source: ["a"],
    target: ["a", "b"],
  });
});

Deno.test("detailsNeeded: without the guid check the newest common name is the common snapshot", () => {
  assert.deepEqual(needed(snaps("a", "b", "c"), snaps("a", "b", "x"), false), {
    source: [],
    target: ["x"],
  });
});

Deno.test("detailsNeeded: no target snapshots or no common name, nothing to read", () => {
  assert.deepEqual(needed(snaps("a", "b"), [], true), { source: [], target: [] });
  assert.deepEqual(needed(snaps("a", "b"), snaps("x", "y"), true), { source: [], target: [] });
});

/** Bookmarks written "name=guid" (known) or "name" (listed by name only), at listing places `at`. */
function marks(...specs: [string, number][]): Bookmark[] {
  return specs.map(([spec, at]) => {
    const [name, guid] = spec.split("=") as [string, string | undefined];
    const b: Bookmark = { name, guid, createtxg: at };
    if (guid === undefined) b.details = "pending";
    return b;
  });
}

Deno.test("detailsNeeded: every listed bookmark's guid, with the snapshots named like it on both sides", () => {
  // Source: a, b thinned away, c; bookmark of b for target guid 77. Target: a, b.
  const need = detailsNeeded(
    { snapshots: snaps("a", "c"), bookmarks: marks(["b_77", 2]) },
    snaps("a", "b"),
    rules(true),
  );
  assert.deepEqual(need, { source: ["a"], sourceBookmarks: ["b_77"], target: ["a", "b"] });
});

Deno.test("detailsNeeded: a bookmark matched by guid is the point when no snapshot name is shared", () => {
  const need = detailsNeeded(
    { snapshots: snaps("c=3"), bookmarks: marks(["b_77=2", 2]) },
    snaps("a", "b=2", "x"),
    rules(true),
  );
  // b's guid is known on both sides: what the target has after it needs its written.
  assert.deepEqual(need, { source: [], sourceBookmarks: [], target: ["x"] });
});

Deno.test("detailsNeeded: tagged and untagged names match, for snapshots and bookmark stems", () => {
  const need = detailsNeeded(
    { snapshots: snaps("a:nas", "b:nas"), bookmarks: marks(["a_77", 2]) },
    snaps("a", "b:usb"),
    rules(true),
  );
  assert.deepEqual(need, { source: ["b:nas", "a:nas"], sourceBookmarks: ["a_77"], target: ["a", "b:usb"] });
});

Deno.test("bookmarkStemOf: the separator and trailing digits go, anything else stays", () => {
  const stem = bookmarkStemOf(".");
  assert.equal(stem("bak-20101111000000.12345"), "bak-20101111000000");
  assert.equal(stem("bak-20101111000000x12345"), "bak-20101111000000x12345");
  assert.equal(stem("other"), "other");
});

Deno.test("alignBookmarks: a bookmark takes its snapshot's place; the common point is the snapshot, not the bookmark", () => {
  // Listed by name: the snapshot b at place 2, its bookmark right after it at place 3.
  const ds = emptyDataset("p/fs", {
    snapshots: [
      { name: "a", guid: "1", createtxg: 1, written: 0, userrefs: 0 },
      { name: "b", guid: "2", createtxg: 2, written: 0, userrefs: 0 },
    ],
    bookmarks: marks(["b_77=2", 3], ["gone_77=9", 4]),
  });
  alignBookmarks(ds);
  assert.deepEqual(ds.bookmarks.map((b) => [b.name, b.createtxg]), [["b_77", 2], ["gone_77", 4]]);
  const target = [{ name: "b", guid: "2", createtxg: 5, written: 0, userrefs: 0 }];
  const { common } = findCommonPoint(ds.snapshots, ds.bookmarks, target, {
    guidCheck: true,
    untagged: (n) => n,
    ownSuffix: "_77",
    preferBookmark: true,
  });
  assert.deepEqual(common, { target: "b", snapshot: "b", bookmark: "b_77", createtxg: 2 });
});

Deno.test("detailsNeeded: snapshots listed with their guids need only the written of newer target snapshots", () => {
  // Listed with guid and createtxg (zfs 2.2 and newer): written and userrefs stay unread.
  const listed = (...specs: string[]) =>
    snaps(...specs).map((s): Snapshot => ({ ...s, written: undefined, details: "written" }));
  // A quiet run: the common snapshot is the newest on both sides, nothing is read.
  assert.deepEqual(needed(listed("a=1", "b=2"), listed("a=1", "b=2"), true), { source: [], target: [] });
  // Target snapshots after the common one need their written (the incompatible check).
  assert.deepEqual(needed(listed("a=1", "b=2"), listed("a=1", "x=7", "y=8"), true), {
    source: [],
    target: ["x", "y"],
  });
  // A name match whose guids differ is not common: the older match is.
  assert.deepEqual(needed(listed("a=1", "b=2"), listed("a=1", "b=5"), true), { source: [], target: ["b"] });
});
