/**
 * Target datasets that no selected source maps to ("missing"): which ones they are, and what
 * --destroy-missing and the thinner do to them (no processes: the target host is replayed).
 */
import assert from "node:assert/strict";
import { destroyMissing, missingDatasets, thinMissing } from "../../lib/run/missing_step.ts";
import { BackupContext } from "../../lib/run/context.ts";
import type { BackupJob } from "../../lib/job/job.ts";
import { parseOptions } from "../../lib/cli/parse.ts";
import { parseFixture } from "../../lib/exec/fixture.ts";
import { ReplayHost, ReplayScript } from "../../lib/exec/replay_host.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";
import { shellJoin } from "../../lib/exec/quote.ts";
import { PROBES, probeScript } from "../../lib/zfs/features.ts";
import { type Dataset, emptyDataset, type Snapshot } from "../../lib/zfs/listing.ts";

// ---------------------------------------------------------------------------------------------
// missingDatasets

function targets(...names: string[]): Dataset[] {
  return names.map((n) => emptyDataset(n));
}

const names = (ds: Dataset[]) => ds.map((d) => d.name);

/** Upstream's verbose line for one destroyed snapshot of backup/gone. */
function destroyingLine(snapshot: string): string {
  return `  [Target] backup/gone@${snapshot}: Destroying\n`;
}

Deno.test("missingDatasets: datasets below TARGET-PATH that no source maps to, parents before children", () => {
  const all = targets("backup", "backup/host", "backup/host/a", "backup/host/a/b", "backup/host/c");
  assert.deepEqual(
    names(missingDatasets(all, "backup", new Set(["backup/host/c"]))),
    ["backup/host", "backup/host/a", "backup/host/a/b"],
  );
});

Deno.test("missingDatasets: a live mapped dataset is never missing, even when its parent is", () => {
  const all = targets("backup", "backup/host", "backup/host/live", "backup/host/live/child");
  const missing = names(missingDatasets(all, "backup", new Set(["backup/host/live"])));
  assert.deepEqual(missing, ["backup/host", "backup/host/live/child"]);
  assert.ok(!missing.includes("backup/host/live"));
});

Deno.test("missingDatasets: TARGET-PATH itself is never missing", () => {
  assert.deepEqual(names(missingDatasets(targets("pool/backup"), "pool/backup", new Set())), []);
  assert.deepEqual(
    names(missingDatasets(targets("pool/backup", "pool/backup/x"), "pool/backup", new Set())),
    ["pool/backup/x"],
  );
});

Deno.test("missingDatasets: a name that only shares a prefix with TARGET-PATH is not below it", () => {
  const all = targets(
    "pool",
    "pool/backup",
    "pool/backup2",
    "pool/backup2/x",
    "pool/backupx",
    "pool/backup/x",
  );
  assert.deepEqual(names(missingDatasets(all, "pool/backup", new Set())), ["pool/backup/x"]);
});

Deno.test("missingDatasets: keeps the listing order (parents first) rather than sorting by name", () => {
  // "a-b" sorts before "a/b" by code unit ("-" < "/"), so a sort would put the sibling first.
  const all = targets("t", "t/a", "t/a/b", "t/a-b");
  assert.deepEqual(names(missingDatasets(all, "t", new Set())), ["t/a", "t/a/b", "t/a-b"]);
});

// ---------------------------------------------------------------------------------------------
// destroyMissing / thinMissing, driven through a replayed target host

/** now = 2010-11-11 00:00:00 UTC. */
const NOW = Date.UTC(2010, 10, 11);
const TAG = "zfs_autobackup:offsite";
/** The feature probe of a zfs that knows every option (holds are asked for before a release). */
const PROBE = `$ [Target] ${shellJoin(["sh", "-c", probeScript()])}
${Object.values(PROBES).map((p) => `> #probe ${p}:1`).join("\n")}
= 0
`;

function snap(name: string, createtxg: number, userrefs = 0): Snapshot {
  return { name, guid: String(createtxg), createtxg, written: 0, userrefs };
}

function setup(args: string[], fixture: string) {
  const parsed = parseOptions(["offsite", "backup", "--utc", "--verbose", ...args]);
  assert.equal(parsed.kind, "run");
  if (parsed.kind !== "run") throw new Error("unreachable");
  const out = new MemorySink();
  const err = new MemorySink();
  const log = new Logger(
    { verbose: true, debug: false, debugOutput: false, color: false, progress: false },
    out,
    err,
  );
  const script = new ReplayScript(parseFixture(fixture));
  const target = new ReplayHost("Target", undefined, { log, testMode: false }, script);
  const ctx = new BackupContext(parsed.job as BackupJob, log, NOW, target, target);
  return { ctx, out, err, script };
}

/** The replayed commands of a dataset destroyed for good: its last snapshot, then itself. */
function destroysSnapshotThenDataset(dataset: string, snapshot: string): string {
  return `\n$ [Target] zfs destroy ${dataset}@${snapshot}\n= 0\n\n$ [Target] zfs destroy ${dataset}\n= 0\n`;
}

function listing(...datasets: Dataset[]): Dataset[] {
  return datasets;
}

Deno.test("destroyMissing: a newest snapshot younger than the deadline destroys nothing", async () => {
  // 30 days before NOW is 2010-10-12 00:00:00; one second later is still too young.
  const ds = emptyDataset("backup/gone", {
    snapshots: [snap("offsite-20100901000000", 1), snap("offsite-20101012000001", 2)],
  });
  const all = listing(emptyDataset("backup"), ds);
  const { ctx, out, err, script } = setup(["--destroy-missing", "30d"], "");
  await destroyMissing(ctx, [ds], all);
  assert.deepEqual(script.asked, []);
  assert.equal(out.text, "  [Target] backup/gone: Destroy missing: Waiting for deadline.\n");
  assert.equal(err.text, "");
  assert.equal(ds.snapshots.length, 2);
});

Deno.test("destroyMissing: a newest snapshot exactly as old as the deadline is destroyed", async () => {
  const ds = emptyDataset("backup/gone", { snapshots: [snap("offsite-20101012000000", 1)] });
  const all = listing(emptyDataset("backup"), ds);
  const { ctx, out, script } = setup(
    ["--destroy-missing", "30d"],
    destroysSnapshotThenDataset("backup/gone", "offsite-20101012000000"),
  );
  await destroyMissing(ctx, [ds], all);
  assert.deepEqual(script.unused(), []);
  assert.equal(
    out.text,
    "  [Target] backup/gone: Destroy missing.\n" + destroyingLine("offsite-20101012000000"),
  );
});

Deno.test("destroyMissing: releases our hold, destroys older snapshots, the newest, then the dataset", async () => {
  const ds = emptyDataset("backup/gone", {
    snapshots: [
      snap("offsite-20100801000000", 1),
      snap("offsite-20100901000000", 2),
      snap("offsite-20101001000000", 3, 1),
    ],
  });
  const all = listing(emptyDataset("backup"), ds);
  const { ctx, out, err, script } = setup(
    ["--destroy-missing", "30d"],
    `
$ [Target] zfs destroy backup/gone@offsite-20100801000000,offsite-20100901000000
= 0

${PROBE}
$ [Target] zfs holds -H backup/gone@offsite-20101001000000
> backup/gone@offsite-20101001000000	${TAG}	Fri Oct  1 00:00 2010
= 0

$ [Target] zfs release ${TAG} backup/gone@offsite-20101001000000
= 0

$ [Target] zfs destroy backup/gone@offsite-20101001000000
= 0

$ [Target] zfs destroy backup/gone
= 0
`,
  );
  await destroyMissing(ctx, [ds], all);
  assert.deepEqual(script.asked.filter((c) => !c.startsWith("[Target] sh -c")), [
    "[Target] zfs destroy backup/gone@offsite-20100801000000,offsite-20100901000000",
    "[Target] zfs holds -H backup/gone@offsite-20101001000000",
    `[Target] zfs release ${TAG} backup/gone@offsite-20101001000000`,
    "[Target] zfs destroy backup/gone@offsite-20101001000000",
    "[Target] zfs destroy backup/gone",
  ]);
  assert.deepEqual(script.unused(), []);
  // Upstream's order: the older snapshots, the verdict, then the newest one.
  assert.equal(
    out.text,
    destroyingLine("offsite-20100801000000") + destroyingLine("offsite-20100901000000") +
      "  [Target] backup/gone: Destroy missing.\n" + destroyingLine("offsite-20101001000000"),
  );
  assert.equal(err.text, "");
});

Deno.test("destroyMissing: a snapshot not made by us keeps the dataset and our only snapshot", async () => {
  const ds = emptyDataset("backup/gone", {
    snapshots: [snap("manual", 1), snap("offsite-20101001000000", 2)],
  });
  const all = listing(emptyDataset("backup"), ds);
  const { ctx, out, err, script } = setup(["--destroy-missing", "30d"], "");
  await destroyMissing(ctx, [ds], all);
  assert.deepEqual(script.asked, []);
  assert.equal(out.text, "  [Target] backup/gone: Destroy missing: Still in use by other snapshots\n");
  assert.equal(err.text, "");
});

// Regression: the check once compared counts taken before and after the older snapshots were
// destroyed, so it destroyed our newest snapshot too and then failed on the dataset.
Deno.test({
  name: "destroyMissing: snapshots not made by us keep the dataset and our newest snapshot (older ones go)",
  fn: async () => {
    const ds = emptyDataset("backup/gone", {
      snapshots: [snap("offsite-20100901000000", 1), snap("manual", 2), snap("offsite-20101001000000", 3)],
    });
    const all = listing(emptyDataset("backup"), ds);
    const { ctx, out, err, script } = setup(
      ["--destroy-missing", "30d"],
      `
$ [Target] zfs destroy backup/gone@offsite-20100901000000
= 0
`,
    );
    await destroyMissing(ctx, [ds], all);
    assert.deepEqual(script.asked, ["[Target] zfs destroy backup/gone@offsite-20100901000000"]);
    assert.equal(
      out.text,
      destroyingLine("offsite-20100901000000") +
        "  [Target] backup/gone: Destroy missing: Still in use by other snapshots\n",
    );
    assert.equal(err.text, "");
    assert.deepEqual(ds.snapshots.map((s) => s.name), ["manual", "offsite-20101001000000"]);
  },
});

Deno.test("destroyMissing: a dataset with children here keeps its newest snapshot and itself", async () => {
  const parent = emptyDataset("backup/gone", {
    snapshots: [snap("offsite-20100901000000", 1), snap("offsite-20101001000000", 2)],
  });
  const child = emptyDataset("backup/gone/child", { snapshots: [snap("manual", 3)] });
  const all = listing(emptyDataset("backup"), parent, child);
  const { ctx, out, script } = setup(
    ["--destroy-missing", "30d"],
    `
$ [Target] zfs destroy backup/gone@offsite-20100901000000
= 0
`,
  );
  await destroyMissing(ctx, [parent, child], all);
  assert.deepEqual(script.asked, ["[Target] zfs destroy backup/gone@offsite-20100901000000"]);
  assert.equal(
    out.text,
    destroyingLine("offsite-20100901000000") +
      "  [Target] backup/gone: Destroy missing: Still has children here.\n" +
      "  [Target] backup/gone/child: Destroy missing: has no snapshots made by us (please destroy manually).\n",
  );
});

Deno.test("destroyMissing: a sibling that only shares the name prefix is not a child", async () => {
  const ds = emptyDataset("backup/gone", { snapshots: [snap("offsite-20101001000000", 1)] });
  const sibling = emptyDataset("backup/gone2");
  const all = listing(emptyDataset("backup"), ds, sibling);
  const { ctx, out, script } = setup(
    ["--destroy-missing", "30d"],
    destroysSnapshotThenDataset("backup/gone", "offsite-20101001000000"),
  );
  await destroyMissing(ctx, [ds], all);
  assert.deepEqual(script.unused(), []);
  assert.equal(
    out.text,
    "  [Target] backup/gone: Destroy missing.\n" + destroyingLine("offsite-20101001000000"),
  );
});

Deno.test("destroyMissing: a failed destroy is logged, keeps the dataset and the next one still goes", async () => {
  const a = emptyDataset("backup/a", { snapshots: [snap("offsite-20101001000000", 1)] });
  const b = emptyDataset("backup/b", { snapshots: [snap("offsite-20101001000000", 2)] });
  const all = listing(emptyDataset("backup"), a, b);
  const { ctx, err, script } = setup(
    ["--destroy-missing", "30d"],
    `
$ [Target] zfs destroy backup/a@offsite-20101001000000
= 0

$ [Target] zfs destroy backup/a
! cannot destroy 'backup/a': dataset is busy
= 1

$ [Target] zfs destroy backup/b@offsite-20101001000000
= 0

$ [Target] zfs destroy backup/b
= 0
`,
  );
  await destroyMissing(ctx, [a, b], all);
  assert.deepEqual(script.unused(), []);
  assert.equal(
    err.text,
    "! [Target] backup/a: Error during --destroy-missing: Command failed on Target with exit code 1: " +
      `cannot destroy 'backup/a': dataset is busy: "zfs destroy backup/a"\n`,
  );
});

Deno.test("destroyMissing: without --destroy-missing nothing happens", async () => {
  const ds = emptyDataset("backup/gone", { snapshots: [snap("offsite-20100101000000", 1)] });
  const all = listing(emptyDataset("backup"), ds);
  const { ctx, out, script } = setup([], "");
  await destroyMissing(ctx, [ds], all);
  assert.deepEqual(script.asked, []);
  assert.equal(out.text, "");
});

Deno.test("thinMissing: thins with the target schedule and releases our stale hold", async () => {
  // --keep-target 2: the two newest survive; the older held one loses our hold, then goes.
  const ds = emptyDataset("backup/gone", {
    snapshots: [
      snap("offsite-20100801000000", 1, 1),
      snap("offsite-20100901000000", 2),
      snap("offsite-20101001000000", 3),
      snap("offsite-20101101000000", 4),
      snap("manual", 5),
    ],
  });
  const { ctx, out, script } = setup(
    ["--keep-target", "2", "--keep-source", "10"],
    `${PROBE}
$ [Target] zfs holds -H backup/gone@offsite-20100801000000
> backup/gone@offsite-20100801000000	${TAG}	Sun Aug  1 00:00 2010
= 0

$ [Target] zfs release ${TAG} backup/gone@offsite-20100801000000
= 0

$ [Target] zfs destroy backup/gone@offsite-20100801000000,offsite-20100901000000
= 0
`,
  );
  await thinMissing(ctx, [ds]);
  assert.deepEqual(script.unused(), []);
  assert.deepEqual(ds.snapshots.map((s) => s.name), [
    "offsite-20101001000000",
    "offsite-20101101000000",
    "manual",
  ]);
  assert.match(out.text, /#### Thinning missing target datasets\n/);
  assert.match(out.text, /\[Target\] Thinning missing: 2 destroyed, 0 failed\n/);
});

Deno.test("thinMissing: --no-thinning prints and runs nothing", async () => {
  const ds = emptyDataset("backup/gone", {
    snapshots: [snap("offsite-20100801000000", 1), snap("offsite-20101101000000", 2)],
  });
  const { ctx, out, script } = setup(["--keep-target", "1", "--no-thinning"], "");
  await thinMissing(ctx, [ds]);
  assert.deepEqual(script.asked, []);
  assert.equal(out.text, "");
  assert.equal(ds.snapshots.length, 2);
});
