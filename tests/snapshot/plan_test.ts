import assert from "node:assert/strict";
import {
  decideWritten,
  groupWrittenQueries,
  newestOurs,
  planSnapshots,
  snapshotCalls,
} from "../../lib/snapshot/plan.ts";
import { type Dataset, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";
import { snapshotArgv, type SnapshotCall } from "../../lib/zfs/snapshot.ts";

const isOurs = (n: string): boolean => /^test-\d{14}$/.test(n);

function snap(name: string, txg: number): Snapshot {
  return { name, guid: String(txg), createtxg: txg, written: 0, userrefs: 0 };
}

/** A filesystem with snapshots (oldest first) and its own `written` ("unknown" = not listed). */
function ds(name: string, snapshots: string[] = [], written: number | "unknown" = 0): Dataset {
  return emptyDataset(name, {
    createtxg: 1,
    written: written === "unknown" ? undefined : written,
    encryption: "off",
    snapshots: snapshots.map((s, i) => snap(s, i + 10)),
  });
}

const S1 = "test-20101111000000";
const S2 = "test-20101111000001";

// ---------------------------------------------------------------------------------------------
// planSnapshots

Deno.test("newestOurs: the newest snapshot that parses, skipping others", () => {
  assert.equal(newestOurs(ds("p", [S1, S2, "manual"]), isOurs), S2);
  assert.equal(newestOurs(ds("p", ["manual"]), isOurs), undefined);
  assert.equal(newestOurs(ds("p"), isOurs), undefined);
});

Deno.test("planSnapshots: --allow-empty (min-change 0) always snapshots", () => {
  const { decisions, queries } = planSnapshots([ds("p/a", [S1], 0), ds("p/b")], 0, isOurs, true);
  assert.deepEqual(decisions.get("p/a")!.reason, { snapshot: true, why: "allow-empty" });
  assert.deepEqual(decisions.get("p/b")!.reason, { snapshot: true, why: "allow-empty" });
  assert.deepEqual(queries, []);
});

Deno.test("planSnapshots: a dataset without own snapshots is always snapshotted", () => {
  const { decisions } = planSnapshots([ds("p/a"), ds("p/b", ["manual"], 0)], 1, isOurs, true);
  assert.deepEqual(decisions.get("p/a")!.reason, { snapshot: true, why: "no-snapshots" });
  assert.deepEqual(decisions.get("p/b")!.reason, { snapshot: true, why: "no-snapshots" });
});

Deno.test("planSnapshots: the dataset's own written decides when our snapshot is its newest", () => {
  const { decisions, queries } = planSnapshots(
    [ds("p/changed", [S1], 4096), ds("p/exact", [S1], 1000), ds("p/idle", [S1], 999)],
    1000,
    isOurs,
    true,
  );
  assert.deepEqual(decisions.get("p/changed")!.reason, { snapshot: true, why: "changed" });
  assert.deepEqual(decisions.get("p/exact")!.reason, { snapshot: true, why: "changed" });
  assert.deepEqual(decisions.get("p/idle")!.reason, { snapshot: false, why: "unchanged", since: S1 });
  assert.deepEqual(queries, []);
});

Deno.test("planSnapshots: a newer foreign snapshot needs a written@ours query", () => {
  const { decisions, queries } = planSnapshots(
    [ds("p/a", [S1, "manual"], 0), ds("p/b", [S1], "unknown")],
    1,
    isOurs,
    true,
  );
  assert.equal(decisions.size, 0);
  assert.deepEqual(queries, [{ dataset: "p/a", snapshot: S1 }, { dataset: "p/b", snapshot: S1 }]);
});

Deno.test("planSnapshots: zfs without written snapshots everything", () => {
  const { decisions, queries } = planSnapshots([ds("p/a", [S1], "unknown")], 1, isOurs, false);
  assert.deepEqual(decisions.get("p/a")!.reason, { snapshot: true, why: "written-unknown" });
  assert.deepEqual(queries, []);
});

Deno.test("decideWritten: threshold is inclusive", () => {
  assert.deepEqual(decideWritten(1, 1, S1), { snapshot: true, why: "changed" });
  assert.deepEqual(decideWritten(0, 1, S1), { snapshot: false, why: "unchanged", since: S1 });
});

Deno.test("groupWrittenQueries: one group per snapshot name, datasets in order", () => {
  const g = groupWrittenQueries([
    { dataset: "p/a", snapshot: S1 },
    { dataset: "p/b", snapshot: S2 },
    { dataset: "q/c", snapshot: S1 },
  ]);
  assert.deepEqual([...g], [[S1, ["p/a", "q/c"]], [S2, ["p/b"]]]);
  assert.equal(groupWrittenQueries([]).size, 0);
});

// ---------------------------------------------------------------------------------------------
// snapshotCalls

const argvs = (calls: SnapshotCall[]) => calls.map((c) => snapshotArgv(c).join(" "));

Deno.test("snapshotCalls: one call per pool, as upstream (§7.1)", () => {
  const all = [
    "test_source1",
    "test_source1/fs1",
    "test_source1/fs1/sub",
    "test_source2",
    "test_source2/fs2",
    "test_source2/fs2/sub",
    "test_source2/fs2/other",
  ];
  const calls = snapshotCalls(
    ["test_source1/fs1/sub", "test_source2/fs2/sub", "test_source1/fs1"].sort(),
    S1,
    all,
    [],
  );
  assert.deepEqual(argvs(calls), [
    `zfs snapshot -r test_source1/fs1@${S1}`,
    `zfs snapshot test_source2/fs2/sub@${S1}`,
  ]);
  assert.deepEqual(calls.map((c) => c.pool), ["test_source1", "test_source2"]);
  assert.deepEqual(calls[0]!.datasets, ["test_source1/fs1", "test_source1/fs1/sub"]);
  assert.deepEqual(calls[1]!.datasets, ["test_source2/fs2/sub"]);
});

Deno.test("snapshotCalls: no -r when a chosen dataset has an unchosen child", () => {
  const all = ["p", "p/a", "p/a/b", "p/a/c"];
  const calls = snapshotCalls(["p/a", "p/a/b"], S1, all, []);
  assert.deepEqual(argvs(calls), [`zfs snapshot p/a@${S1} p/a/b@${S1}`]);
  // A gap in the middle (p/a/b excluded) also rules out -r.
  const gap = snapshotCalls(["p/a", "p/a/b/c"], S1, ["p", "p/a", "p/a/b", "p/a/b/c"], []);
  assert.deepEqual(argvs(gap), [`zfs snapshot p/a@${S1} p/a/b/c@${S1}`]);
});

Deno.test("snapshotCalls: -r over several whole subtrees in one call", () => {
  const all = ["p", "p/a", "p/a/x", "p/b", "p/b/y", "p/b/y/z", "p/c"];
  const calls = snapshotCalls(["p/a", "p/a/x", "p/b", "p/b/y", "p/b/y/z"], S1, all, []);
  assert.deepEqual(argvs(calls), [`zfs snapshot -r p/a@${S1} p/b@${S1}`]);
  assert.deepEqual(calls[0]!.datasets, ["p/a", "p/a/x", "p/b", "p/b/y", "p/b/y/z"]);
});

Deno.test("snapshotCalls: a whole pool with -r", () => {
  const all = ["p", "p/a", "p/a/x"];
  assert.deepEqual(argvs(snapshotCalls(all, S1, all, [])), [`zfs snapshot -r p@${S1}`]);
});

Deno.test("snapshotCalls: leaves only, or a single dataset, are listed (no -r gain)", () => {
  const all = ["p", "p/a", "p/b"];
  assert.deepEqual(argvs(snapshotCalls(["p/a", "p/b"], S1, all, [])), [`zfs snapshot p/a@${S1} p/b@${S1}`]);
  assert.deepEqual(argvs(snapshotCalls(["p/a"], S1, all, [])), [`zfs snapshot p/a@${S1}`]);
  // A single dataset with children: -r would snapshot the unchosen children.
  assert.deepEqual(argvs(snapshotCalls(["p"], S1, all, [])), [`zfs snapshot p@${S1}`]);
});

Deno.test("snapshotCalls: snapshot properties come first as -o", () => {
  const calls = snapshotCalls(["p/a", "p/b"], S1, ["p", "p/a", "p/b"], [{ name: "foo:bar", value: "1" }, {
    name: "x:y",
    value: "a b",
  }]);
  assert.deepEqual(snapshotArgv(calls[0]!), [
    "zfs",
    "snapshot",
    "-o",
    "foo:bar=1",
    "-o",
    "x:y=a b",
    `p/a@${S1}`,
    `p/b@${S1}`,
  ]);
  const r = snapshotCalls(["p/a", "p/a/x"], S1, ["p/a", "p/a/x"], [{ name: "foo:bar", value: "1" }]);
  assert.deepEqual(snapshotArgv(r[0]!), ["zfs", "snapshot", "-o", "foo:bar=1", "-r", `p/a@${S1}`]);
});

Deno.test("snapshotCalls: old zfs takes one snapshot per call", () => {
  const all = ["p", "p/a", "p/b", "q", "q/c"];
  const calls = snapshotCalls(["p/a", "p/b", "q/c"], S1, all, [{ name: "k:v", value: "1" }], false);
  assert.deepEqual(argvs(calls), [
    `zfs snapshot -o k:v=1 p/a@${S1}`,
    `zfs snapshot -o k:v=1 p/b@${S1}`,
    `zfs snapshot -o k:v=1 q/c@${S1}`,
  ]);
  assert.deepEqual(calls.map((c) => c.datasets), [["p/a"], ["p/b"], ["q/c"]]);
});

Deno.test("snapshotCalls: old zfs still uses -r for a single whole subtree", () => {
  const all = ["p", "p/a", "p/a/x", "p/a/y"];
  assert.deepEqual(argvs(snapshotCalls(["p/a", "p/a/x", "p/a/y"], S1, all, [], false)), [
    `zfs snapshot -r p/a@${S1}`,
  ]);
  // Two subtrees cannot share one call there.
  const two = snapshotCalls(
    ["p/a", "p/a/x", "p/b", "p/b/y"],
    S1,
    ["p", "p/a", "p/a/x", "p/b", "p/b/y"],
    [],
    false,
  );
  assert.equal(two.length, 4);
});

Deno.test("snapshotCalls: a small budget splits a pool's list, keeping order and every dataset", () => {
  const members = Array.from({ length: 10 }, (_, i) => `p/ds${i}`);
  const all = ["p", ...members];
  const name = S1;
  const budget = 3 * `p/ds0@${name}`.length + 3;
  const calls = snapshotCalls(members, name, all, [], true, budget);
  assert.deepEqual(calls.map((c) => c.datasets.length), [3, 3, 3, 1]);
  assert.deepEqual(calls.flatMap((c) => c.datasets), members);
  assert.deepEqual(calls.flatMap((c) => snapshotArgv(c).slice(2)), members.map((m) => `${m}@${name}`));
  assert.ok(calls.every((c) => c.pool === "p"));
});

Deno.test("snapshotCalls: -r roots are split too under a small budget", () => {
  // Ten subtrees of two datasets each: ten -r roots that do not fit one call.
  const roots = Array.from({ length: 10 }, (_, i) => `p/ds${i}`);
  const members = roots.flatMap((r) => [r, `${r}/child`]);
  const budget = 3 * `p/ds0@${S1}`.length + 3;
  const calls = snapshotCalls(members, S1, ["p", ...members], [], true, budget);
  assert.deepEqual(calls.map((c) => c.datasets.length), [6, 6, 6, 2]);
  assert.ok(calls.every((c) => snapshotArgv(c)[2] === "-r"));
  assert.deepEqual(snapshotArgv(calls[3]!), ["zfs", "snapshot", "-r", `p/ds9@${S1}`]);
  assert.deepEqual(calls[3]!.datasets, ["p/ds9", "p/ds9/child"]);
  for (const c of calls) {
    const names = snapshotArgv(c).filter((a) => a.includes("@"));
    assert.ok(names.join(" ").length + 1 <= budget, `over budget: ${snapshotArgv(c).join(" ")}`);
  }
  // Every chosen dataset is covered exactly once, nothing else.
  assert.deepEqual(calls.flatMap((c) => c.datasets).sort(), [...members].sort());
});

Deno.test("snapshotCalls: nothing to snapshot, no calls", () => {
  assert.deepEqual(snapshotCalls([], S1, ["p"], []), []);
});
