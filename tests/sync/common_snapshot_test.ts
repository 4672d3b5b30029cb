import assert from "node:assert/strict";
import { findCommonSnapshot } from "../../lib/sync/common_snapshot.ts";
import type { Snapshot } from "../../lib/zfs/listing.ts";

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
