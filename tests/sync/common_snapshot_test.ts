import assert from "node:assert/strict";
import { type CommonRules, findCommonPoint } from "../../lib/sync/common_snapshot.ts";
import type { Bookmark, Snapshot } from "../../lib/zfs/listing.ts";

/** Snapshots from "name:guid" strings (guid "?" = unknown, made in this run). */
function snaps(...specs: string[]): Snapshot[] {
  return specs.map((s, i) => {
    const [name, guid] = s.split(":");
    return {
      name: name!,
      guid: guid === "?" ? undefined : guid ?? name,
      createtxg: i + 1,
      written: 0,
      userrefs: 0,
    };
  });
}

/** Snapshot matching only, as before bookmarks: the common source snapshot's name and the mismatches. */
function findCommonSnapshot(source: Snapshot[], target: Snapshot[], guidCheck: boolean) {
  const r = findCommonPoint(source, [], target, { ...RULES, guidCheck });
  return { common: r.common?.snapshot, guidMismatches: r.guidMismatches };
}

/** This target's bookmark names end in "_T" (separator and the guid of TARGET-PATH). */
const RULES: CommonRules = { guidCheck: true, untagged: (n) => n, ownSuffix: "_T", preferBookmark: true };

/** Bookmarks from "name:guid:createtxg" strings. */
function marks(...specs: string[]): Bookmark[] {
  return specs.map((s) => {
    const [name, guid, txg] = s.split(":");
    return { name: name!, guid, createtxg: Number(txg) };
  });
}

Deno.test("findCommonSnapshot: newest source snapshot that the target has", () => {
  const r = findCommonSnapshot(snaps("a", "b", "c", "d"), snaps("a", "b", "c"), true);
  assert.deepEqual(r, { common: "c", guidMismatches: [] });
});

Deno.test("findCommonSnapshot: no target snapshots, no common snapshot", () => {
  assert.deepEqual(findCommonSnapshot(snaps("a", "b"), [], true), { common: undefined, guidMismatches: [] });
  assert.deepEqual(findCommonSnapshot([], snaps("a"), true), { common: undefined, guidMismatches: [] });
});

Deno.test("findCommonSnapshot: nothing shared by name", () => {
  assert.deepEqual(findCommonSnapshot(snaps("a", "b"), snaps("x", "y"), true), {
    common: undefined,
    guidMismatches: [],
  });
});

Deno.test("findCommonSnapshot: any snapshot counts, ours or not (migration from manual snapshots)", () => {
  const r = findCommonSnapshot(snaps("migrate1", "test-20101111000000"), snaps("migrate1"), true);
  assert.equal(r.common, "migrate1");
});

Deno.test("findCommonSnapshot: a guid mismatch is skipped and reported, the walk goes on", () => {
  const r = findCommonSnapshot(snaps("a:1", "b:2", "c:3"), snaps("a:1", "b:2", "c:99"), true);
  assert.deepEqual(r, { common: "b", guidMismatches: ["c"] });
  const none = findCommonSnapshot(snaps("a:1", "b:2"), snaps("a:7", "b:8"), true);
  assert.deepEqual(none, { common: undefined, guidMismatches: ["b", "a"] });
});

Deno.test("findCommonSnapshot: --no-guid-check matches by name only", () => {
  assert.deepEqual(findCommonSnapshot(snaps("a:1", "b:2"), snaps("a:7", "b:8"), false), {
    common: "b",
    guidMismatches: [],
  });
});

Deno.test("findCommonSnapshot: a source snapshot made this run (no guid yet) is never common with a target one of its name", () => {
  const r = findCommonSnapshot(snaps("a:1", "b:?"), snaps("a:1", "b:5"), true);
  assert.equal(r.common, "a");
  assert.deepEqual(r.guidMismatches, ["b"]);
  // Without the guid check names alone decide, as upstream's --no-guid-check.
  assert.equal(findCommonSnapshot(snaps("a:1", "b:?"), snaps("a:1", "b:5"), false).common, "b");
});

Deno.test("findCommonSnapshot: a target snapshot recorded this run (no guid) compares by name", () => {
  assert.equal(findCommonSnapshot(snaps("a:1", "b:5"), snaps("a:1", "b:?"), true).common, "b");
});

Deno.test("findCommonSnapshot: target order does not matter, source order does", () => {
  assert.equal(findCommonSnapshot(snaps("a", "b", "c"), snaps("c", "a"), true).common, "c");
  assert.equal(findCommonSnapshot(snaps("c", "b", "a"), snaps("c", "a"), true).common, "a");
});

// ---------------------------------------------------------------------------------------------
// Bookmarks

Deno.test("findCommonPoint: a bookmark newer than every shared snapshot is the point (its snapshot is gone)", () => {
  // Source a(1) b(2) were sent; b was destroyed by hand, its bookmark b_T stays.
  const r = findCommonPoint(snaps("a", "c"), marks("b_T:b:2"), snaps("a", "b"), RULES);
  assert.deepEqual(r.common, { target: "b", snapshot: undefined, bookmark: "b_T", createtxg: 2 });
  assert.deepEqual(r.ownBookmarks.map((b) => b.name), ["b_T"]);
});

Deno.test("findCommonPoint: at the same point this target's bookmark is preferred, only when bookmarks are used", () => {
  const src = snaps("a", "b");
  const bm = marks("b_OTHER:b:2", "b_T:b:2");
  assert.deepEqual(findCommonPoint(src, bm, snaps("a", "b"), RULES).common, {
    target: "b",
    snapshot: "b",
    bookmark: "b_T",
    createtxg: 2,
  });
  const off = findCommonPoint(src, bm, snaps("a", "b"), { ...RULES, preferBookmark: false });
  assert.equal(off.common?.bookmark, undefined);
  assert.equal(off.common?.snapshot, "b");
});

Deno.test("findCommonPoint: another target's bookmark is used only when the snapshot is gone", () => {
  const withSnapshot = findCommonPoint(snaps("a", "b"), marks("b_OTHER:b:2"), snaps("a", "b"), RULES);
  assert.equal(withSnapshot.common?.bookmark, undefined);
  const gone = findCommonPoint(snaps("a"), marks("b_OTHER:b:2"), snaps("a", "b"), RULES);
  assert.deepEqual(gone.common, { target: "b", snapshot: undefined, bookmark: "b_OTHER", createtxg: 2 });
  assert.deepEqual(gone.ownBookmarks, [], "another target's bookmark is never cleaned up");
});

Deno.test("findCommonPoint: this target's bookmark with the right name but the wrong guid is ignored and reported", () => {
  // b_T was made from another snapshot (guid x) after b: the older point a is chosen instead.
  const r = findCommonPoint(snaps("a"), marks("b_T:x:5"), snaps("a", "b"), RULES);
  assert.deepEqual(r.common, { target: "a", snapshot: "a", bookmark: undefined, createtxg: 1 });
  assert.deepEqual(r.bookmarkMismatches, ["b_T"]);
  assert.deepEqual(r.ownBookmarks, [], "never cleaned up");
  // Under --no-guid-check bookmarks still count by guid only.
  assert.equal(
    findCommonPoint(snaps("a"), marks("b_T:x:5"), snaps("a", "b"), { ...RULES, guidCheck: false })
      .common?.target,
    "a",
  );
});

Deno.test("findCommonPoint: the newest point wins, bookmark or snapshot", () => {
  // An old bookmark does not beat a newer shared snapshot.
  const r = findCommonPoint(snaps("a", "b", "c"), marks("a_T:a:1"), snaps("a", "b"), RULES);
  assert.deepEqual(r.common, { target: "b", snapshot: "b", bookmark: undefined, createtxg: 2 });
  assert.deepEqual(r.ownBookmarks.map((b) => b.name), ["a_T"]);
});

Deno.test("findCommonPoint: no shared point, bookmark or snapshot", () => {
  const r = findCommonPoint(snaps("c"), marks("b_T:b:2"), snaps("x", "y"), RULES);
  assert.equal(r.common, undefined);
});

Deno.test("findCommonPoint: a renamed snapshot is still the same point by guid", () => {
  const r = findCommonPoint(snaps("renamed:7", "c"), [], snaps("orig:7"), RULES);
  assert.deepEqual(r.common, { target: "orig", snapshot: "renamed", bookmark: undefined, createtxg: 1 });
});

Deno.test("findCommonPoint: tagged and untagged names of one time match by name under --no-guid-check", () => {
  const untagged = (n: string) => n.replace(/_tag\w*$/, "");
  const r = findCommonPoint(snaps("a:1", "b_tagA:2"), [], snaps("a:1", "b:9"), {
    ...RULES,
    guidCheck: false,
    untagged,
  });
  assert.deepEqual(r.common, { target: "b", snapshot: "b_tagA", bookmark: undefined, createtxg: 2 });
  // With the guid check the guids decide.
  const checked = findCommonPoint(snaps("a:1", "b_tagA:2"), [], snaps("a:1", "b:9"), { ...RULES, untagged });
  assert.equal(checked.common?.target, "a");
  assert.deepEqual(checked.guidMismatches, ["b_tagA"]);
});
