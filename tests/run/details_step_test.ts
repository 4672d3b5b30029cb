/**
 * readDetails: the snapshot properties a plan needs, read for all datasets in one `zfs get` per
 * side and round, driven through replayed source and target hosts.
 */
import assert from "node:assert/strict";
import { readDetails } from "../../lib/run/details_step.ts";
import { BackupContext } from "../../lib/run/context.ts";
import { TargetTree } from "../../lib/run/target_tree.ts";
import type { BackupJob } from "../../lib/job/job.ts";
import { parseOptions } from "../../lib/cli/parse.ts";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";
import { shellJoin } from "../../lib/exec/quote.ts";
import { probeArgv, PROBES } from "../../lib/zfs/features.ts";
import { type Dataset, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";
import { findCommonPoint } from "../../lib/sync/common_snapshot.ts";

/** The common snapshot of `source` and `target` as a backup plan finds it. */
function commonOf(source: Dataset, target: Snapshot[]): string | undefined {
  return findCommonPoint(source.snapshots, source.bookmarks, target, {
    guidCheck: true,
    untagged: (n) => n,
    ownSuffix: "_77",
    preferBookmark: true,
  }).common?.target;
}

const probe = (label: string) =>
  `$ [${label}] ${shellJoin(probeArgv())}
${Object.values(PROBES).map((p) => `> #probe ${p}:1`).join("\n")}
= 0
`;

function pending(...names: string[]): Snapshot[] {
  return names.map((name, i) => ({
    name,
    guid: undefined,
    createtxg: i + 1,
    written: undefined,
    userrefs: undefined,
    details: "pending",
  }));
}

/** The three rows `zfs get` prints for one snapshot (or bookmark): guid, userrefs, written. */
function props(name: string, guid: string, userrefs: string, written: string): string[] {
  return [`${name} guid ${guid}`, `${name} userrefs ${userrefs}`, `${name} written ${written}`];
}

/** `zfs get` of `props` for `names`, answered with `rows` ("name prop value"). */
function get(label: string, names: string[], rows: string[], code = 0): string {
  return `$ [${label}] zfs get -H -p -o name,property,value guid,userrefs,written ${names.join(" ")}
${rows.map((r) => `> ${r.split(" ").join("\t")}`).join("\n")}
= ${code}
`;
}

function setup(fixture: string, target: Dataset[]) {
  const parsed = parseOptions(["offsite", "backup", "--utc"]);
  if (parsed.kind !== "run") throw new Error("unreachable");
  const sink = new MemorySink();
  const log = new Logger(
    { verbose: false, debug: false, debugOutput: false, color: false, progress: false },
    sink,
    sink,
  );
  const script = new ReplayScript(parseFixture(fixture));
  const opts = { log, testMode: false };
  const src = new ReplayHost("Source", undefined, opts, script);
  const tgt = new ReplayHost("Target", undefined, opts, script);
  const ctx = new BackupContext(parsed.job as BackupJob, log, 0, src, tgt);
  const tree = new TargetTree(new Map(target.map((t) => [t.name, t])));
  const targetOf = (name: string) => tree.get(`backup/${name}`);
  return { ctx, script, tree, targetOf };
}

Deno.test("readDetails: a guid mismatch reads the next older name; newer target snapshots get written", async () => {
  const src = emptyDataset("p/a", { snapshots: pending("s1", "s2", "s3") });
  const tgt = emptyDataset("backup/p/a", { snapshots: pending("s1", "s2", "x") });
  const fixture = [
    probe("Source"),
    get("Source", ["p/a@s2"], props("p/a@s2", "22", "0", "0")),
    get("Source", ["p/a@s1"], props("p/a@s1", "11", "0", "0")),
    get("Target", ["backup/p/a@s2", "backup/p/a@x"], [
      ...props("backup/p/a@s2", "99", "1", "0"),
      ...props("backup/p/a@x", "5", "0", "4096"),
    ]),
    get("Target", ["backup/p/a@s1"], [
      ...props("backup/p/a@s1", "11", "0", "0"),
    ]),
  ].join("\n");
  const { ctx, script, tree, targetOf } = setup(fixture, [tgt]);
  await readDetails(ctx, ctx.target, [src], targetOf);
  assert.deepEqual(script.unused(), []);
  const t = tree.get("backup/p/a")!;
  assert.deepEqual(t.snapshots.map((s) => [s.name, s.guid, s.written, s.userrefs]), [
    ["s1", "11", 0, 0],
    ["s2", "99", 0, 1],
    ["x", "5", 4096, 0],
  ]);
  // s3 was never needed: still pending.
  assert.deepEqual(src.snapshots.map((s) => s.details), [undefined, undefined, "pending"]);
  assert.equal(commonOf(src, t.snapshots), "s1");
});

Deno.test("readDetails: a snapshot destroyed since the listing leaves its list, so it is never the common one", async () => {
  const src = emptyDataset("p/a", { snapshots: pending("s1", "s2") });
  const tgt = emptyDataset("backup/p/a", { snapshots: pending("s1", "s2") });
  const fixture = [
    probe("Source"),
    get("Source", ["p/a@s2"], props("p/a@s2", "22", "0", "0")),
    get("Source", ["p/a@s1"], props("p/a@s1", "11", "0", "0")),
    // zfs get of a name that is gone: the others are printed, the exit code is 1.
    get("Target", ["backup/p/a@s2"], [], 1),
    get("Target", ["backup/p/a@s1"], [
      ...props("backup/p/a@s1", "11", "0", "0"),
    ]),
  ].join("\n");
  const { ctx, script, tree, targetOf } = setup(fixture, [tgt]);
  await readDetails(ctx, ctx.target, [src], targetOf);
  assert.deepEqual(script.unused(), []);
  assert.deepEqual(tree.get("backup/p/a")!.snapshots.map((s) => s.name), ["s1"]);
  assert.equal(commonOf(src, tree.get("backup/p/a")!.snapshots), "s1");
});

Deno.test("readDetails: nothing is read for a dataset whose target does not exist or has no snapshots", async () => {
  const a = emptyDataset("p/a", { snapshots: pending("s1") });
  const b = emptyDataset("p/b", { snapshots: pending("s1") });
  const { ctx, script, targetOf } = setup("", [emptyDataset("backup/p/b")]);
  await readDetails(ctx, ctx.target, [a, b], targetOf);
  assert.deepEqual(script.asked, []);
});

Deno.test("readDetails: bookmarks are read with the common snapshot in the same gets; one thinned on the source is the point", async () => {
  // s1 was thinned on the source; its bookmark stays. The newest shared name, s2, has another guid.
  const src = emptyDataset("p/a", {
    snapshots: pending("s2", "s3"),
    bookmarks: [{ name: "s1_77", guid: undefined, createtxg: 0, details: "pending" }],
  });
  const tgt = emptyDataset("backup/p/a", { snapshots: pending("s1", "s2") });
  const fixture = [
    probe("Source"),
    get("Source", ["p/a@s2", "'p/a#s1_77'"], [
      ...props("p/a@s2", "22", "0", "0"),
      ...props("p/a#s1_77", "11", "-", "-"),
    ]),
    get("Target", ["backup/p/a@s1", "backup/p/a@s2"], [
      ...props("backup/p/a@s1", "11", "0", "0"),
      ...props("backup/p/a@s2", "99", "0", "0"),
    ]),
  ].join("\n");
  const { ctx, script, tree, targetOf } = setup(fixture, [tgt]);
  await readDetails(ctx, ctx.target, [src], targetOf);
  assert.deepEqual(script.unused(), []);
  assert.deepEqual(src.bookmarks, [{ name: "s1_77", guid: "11", createtxg: 0 }]);
  assert.equal(commonOf(src, tree.get("backup/p/a")!.snapshots), "s1");
});
