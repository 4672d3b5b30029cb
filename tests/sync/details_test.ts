import assert from "node:assert/strict";
import { detailsNeeded, NEW_SNAPSHOT_TXG } from "../../lib/sync/details.ts";
import type { Snapshot } from "../../lib/zfs/listing.ts";

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

Deno.test("detailsNeeded: the newest common name needs its guid on both sides, newer target snapshots their written", () => {
  const need = detailsNeeded(snaps("a", "b", "c", "d!"), snaps("a", "b", "x", "y"), true);
  assert.deepEqual(need, { source: ["b"], target: ["b", "x", "y"] });
});

Deno.test("detailsNeeded: nothing once the common snapshot's guids are known and match", () => {
  assert.deepEqual(detailsNeeded(snaps("a", "b=1", "c"), snaps("a", "b=1"), true), {
    source: [],
    target: [],
  });
  // Known and matching, but a newer target snapshot's written is still unknown.
  assert.deepEqual(detailsNeeded(snaps("a", "b=1"), snaps("a", "b=1", "x"), true), {
    source: [],
    target: ["x"],
  });
});

Deno.test("detailsNeeded: a known mismatch moves on to the next older name both sides have", () => {
  const need = detailsNeeded(snaps("a", "b=1", "c"), snaps("a", "b=2"), true);
  assert.deepEqual(need, { source: ["a"], target: ["a"] });
  // A snapshot made by this run is never a copy of a target snapshot of the same name.
  assert.deepEqual(detailsNeeded(snaps("a", "b!"), snaps("a", "b"), true), {
    source: ["a"],
    target: ["a", "b"],
  });
});

Deno.test("detailsNeeded: without the guid check the newest common name is the common snapshot", () => {
  assert.deepEqual(detailsNeeded(snaps("a", "b", "c"), snaps("a", "b", "x"), false), {
    source: [],
    target: ["x"],
  });
});

Deno.test("detailsNeeded: no target snapshots or no common name, nothing to read", () => {
  assert.deepEqual(detailsNeeded(snaps("a", "b"), [], true), { source: [], target: [] });
  assert.deepEqual(detailsNeeded(snaps("a", "b"), snaps("x", "y"), true), { source: [], target: [] });
});
