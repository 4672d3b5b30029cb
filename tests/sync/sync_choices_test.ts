import assert from "node:assert/strict";
import { holdChanges, obsoleteAfterTransfers } from "../../lib/sync/sync_choices.ts";
import type { SyncPlan } from "../../lib/sync/plan.ts";
import type { CommonPoint } from "../../lib/sync/common_snapshot.ts";

const AT_S1: CommonPoint = { target: "s1", snapshot: "s1", bookmark: undefined, createtxg: 1 };
const RULES = { noHolds: false, bookmarks: false, commonHeldOnSource: true };

Deno.test("holdChanges: without bookmarks the new common snapshot is held on both sides, the old released", () => {
  assert.deepEqual(holdChanges("p/fs", "b/p/fs", AT_S1, "s2", RULES), {
    holdSource: ["p/fs@s2"],
    holdTarget: ["b/p/fs@s2"],
    releaseSource: ["p/fs@s1"],
    releaseTarget: ["b/p/fs@s1"],
  });
});

Deno.test("holdChanges: a bookmarked dataset whose old source snapshot's holds were not read releases it only if held", () => {
  const unknown = holdChanges("p/fs", "b/p/fs", AT_S1, "s2", {
    ...RULES,
    bookmarks: true,
    commonHeldOnSource: undefined,
  });
  assert.deepEqual(unknown, {
    holdSource: [],
    holdTarget: ["b/p/fs@s2"],
    releaseSource: [],
    releaseTarget: ["b/p/fs@s1"],
    releaseSourceIfHeld: ["p/fs@s1"],
  });
  // Without bookmarks the old source snapshot is ours to release, whatever the listing read.
  assert.deepEqual(
    holdChanges("p/fs", "b/p/fs", AT_S1, "s2", { ...RULES, commonHeldOnSource: undefined }).releaseSource,
    ["p/fs@s1"],
  );
  // Nothing arrived: nothing to look up.
  const none = holdChanges("p/fs", "b/p/fs", AT_S1, undefined, {
    ...RULES,
    bookmarks: true,
    commonHeldOnSource: undefined,
  });
  assert.equal(none.releaseSourceIfHeld, undefined);
});

Deno.test("holdChanges: a bookmarked dataset holds only the target; a held old source snapshot is released", () => {
  const taken = holdChanges("p/fs", "b/p/fs", AT_S1, "s2", { ...RULES, bookmarks: true });
  assert.deepEqual(taken, {
    holdSource: [],
    holdTarget: ["b/p/fs@s2"],
    releaseSource: ["p/fs@s1"],
    releaseTarget: ["b/p/fs@s1"],
  });
  const plain = holdChanges("p/fs", "b/p/fs", AT_S1, "s2", {
    ...RULES,
    bookmarks: true,
    commonHeldOnSource: false,
  });
  assert.deepEqual(plain.releaseSource, [], "nothing to release: no command");
});

Deno.test("holdChanges: a common point that is only a bookmark releases only on the target", () => {
  const atMark: CommonPoint = { target: "s1", snapshot: undefined, bookmark: "s1_42", createtxg: 1 };
  const c = holdChanges("p/fs", "b/p/fs", atMark, "s2", { ...RULES, bookmarks: true });
  assert.deepEqual(c.releaseSource, []);
  assert.deepEqual(c.releaseTarget, ["b/p/fs@s1"]);
});

Deno.test("holdChanges: nothing arrived or --no-holds: nothing moves", () => {
  const none = { holdSource: [], holdTarget: [], releaseSource: [], releaseTarget: [] };
  assert.deepEqual(holdChanges("p/fs", "b/p/fs", AT_S1, undefined, RULES), none);
  assert.deepEqual(holdChanges("p/fs", "b/p/fs", AT_S1, "s2", { ...RULES, noHolds: true }), none);
});

/** A plan with just what obsoleteAfterTransfers reads. */
function planOf(
  common: CommonPoint | undefined,
  transfers: SyncPlan["transfers"],
  obsolete: string[],
): SyncPlan {
  return {
    common,
    guidMismatches: [],
    bookmarkMismatches: [],
    ownBookmarks: [],
    error: undefined,
    incompatible: [],
    start: transfers[0]?.snapshot,
    preDestroySource: [],
    preDestroyTarget: [],
    transfers,
    skipped: [],
    sourceObsolete: new Set(obsolete),
    targetObsolete: new Set(obsolete),
  };
}

Deno.test("obsoleteAfterTransfers: the bases of arrived transfers that the thinner drops", () => {
  const p = planOf(AT_S1, [{ snapshot: "s2", from: "s1" }, { snapshot: "s3", from: "s2" }], ["s1", "s2"]);
  assert.deepEqual(obsoleteAfterTransfers(p, 1, undefined), { source: ["s1"], target: ["s1"] });
  assert.deepEqual(obsoleteAfterTransfers(p, 2, undefined), { source: ["s1", "s2"], target: ["s1", "s2"] });
});

Deno.test("obsoleteAfterTransfers: a bookmark base is never destroyed as a snapshot; its target snapshot is", () => {
  const atMark: CommonPoint = { target: "s1", snapshot: undefined, bookmark: "s1_42", createtxg: 1 };
  const p = planOf(atMark, [{ snapshot: "s2", from: "p/fs#s1_42" }], ["s1"]);
  assert.deepEqual(obsoleteAfterTransfers(p, 1, undefined), { source: [], target: ["s1"] });
});

Deno.test("obsoleteAfterTransfers: a common point whose target snapshot has another name", () => {
  const renamed: CommonPoint = { target: "orig", snapshot: "renamed", bookmark: undefined, createtxg: 1 };
  const p = planOf(renamed, [{ snapshot: "s2", from: "renamed" }], ["renamed", "orig"]);
  assert.deepEqual(obsoleteAfterTransfers(p, 1, undefined), { source: ["renamed"], target: ["orig"] });
});
