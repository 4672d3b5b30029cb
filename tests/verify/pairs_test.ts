/** Pairing selected datasets with their targets at the newest guid-checked common snapshot. */
import assert from "node:assert/strict";
import { type PairRules, planPairs } from "../../lib/verify/pairs.ts";
import { type Dataset, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";

function snaps(...specs: Array<[string, string | undefined]>): Snapshot[] {
  return specs.map(([name, guid], i) => ({ name, guid, createtxg: i + 1, written: 0, userrefs: 0 }));
}

function ds(name: string, snapshots: Snapshot[], type: Dataset["type"] = "filesystem"): Dataset {
  return emptyDataset(name, { type, snapshots });
}

const RULES: PairRules = { targetOf: (n) => `bk/${n}`, excluded: () => false, untagged: (n) => n };

Deno.test("planPairs: the newest snapshot present on both sides with the same guid", () => {
  const source = [ds("p/a", snaps(["s1", "g1"], ["s2", "g2"], ["s3", "g3"]))];
  const targets = new Map([["bk/p/a", ds("bk/p/a", snaps(["s1", "g1"], ["s2", "g2"]))]]);
  assert.deepEqual(planPairs(source, targets, RULES), [
    { kind: "compare", source: "p/a", target: "bk/p/a", type: "filesystem", snapshot: "s2" },
  ]);
});

Deno.test("planPairs: a same-named snapshot with another guid is not common; the older one is", () => {
  const source = [ds("p/a", snaps(["s1", "g1"], ["s2", "g2"]))];
  const targets = new Map([["bk/p/a", ds("bk/p/a", snaps(["s1", "g1"], ["s2", "other"]))]]);
  assert.equal((planPairs(source, targets, RULES)[0] as { snapshot: string }).snapshot, "s1");
  const none = new Map([["bk/p/a", ds("bk/p/a", snaps(["s2", "other"]))]]);
  assert.deepEqual(planPairs(source, none, RULES), [{
    kind: "unverifiable",
    source: "p/a",
    target: "bk/p/a",
    reason: 'no common snapshot (1 of the same name but another guid, newest "s2")',
  }]);
});

Deno.test("planPairs: a missing target, no snapshots in common, a type mismatch", () => {
  const source = [
    ds("p/gone", snaps(["s1", "g1"])),
    ds("p/fresh", snaps(["s1", "g1"])),
    ds("p/vol", snaps(["s1", "g1"]), "volume"),
  ];
  const targets = new Map([
    ["bk/p/fresh", ds("bk/p/fresh", [])],
    ["bk/p/vol", ds("bk/p/vol", snaps(["s1", "g1"]))],
  ]);
  assert.deepEqual(planPairs(source, targets, RULES).map((p) => p.kind === "unverifiable" ? p.reason : p), [
    'target "bk/p/gone" does not exist',
    "no common snapshot",
    "the source is a volume, the target a filesystem",
  ]);
});

Deno.test("planPairs: --exclude-snapshot-pattern hides source snapshots; order and names kept", () => {
  const source = [ds("p/b", snaps(["s1", "g1"], ["tmp", "g2"])), ds("p/a", snaps(["s1", "h1"]))];
  const targets = new Map([
    ["x/b", ds("x/b", snaps(["s1", "g1"], ["tmp", "g2"]))],
    ["x/a", ds("x/a", snaps(["s1", "h1"]))],
  ]);
  const rules: PairRules = {
    targetOf: (n) => `x/${n.split("/")[1]}`,
    excluded: (full) => full.endsWith("@tmp"),
    untagged: (n) => n,
  };
  assert.deepEqual(
    planPairs(source, targets, rules).map((p) => [p.source, p.target, (p as { snapshot: string }).snapshot]),
    [
      ["p/b", "x/b", "s1"],
      ["p/a", "x/a", "s1"],
    ],
  );
});
