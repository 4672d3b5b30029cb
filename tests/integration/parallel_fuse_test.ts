/**
 * `--parallel` and the probe cache on zfs-fuse 0.7 (local and pushed through the loopback
 * sshd): a tree of new datasets synced four at a time must end exactly as a sequential run
 * does (the same snapshots, each with its source's guid), print the same log in the same
 * order, count a failed dataset in the exit code, and keep going past it. The OpenZFS tier
 * (parallel_ozfs_test.ts) adds data checks, holds and Ctrl-C with a resume.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { backupName, expectCode, linesWith, loopConfig, re, S0, S1, T0, T1 } from "../harness/expect.ts";
import { runTool, type ToolResult } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";
import { PROBES } from "../../lib/zfs/features.ts";

/** Name → guid of every snapshot below `root`, named relative to it. */
async function guids(root: string): Promise<Map<string, string>> {
  const out = await zfs(["get", "-H", "-o", "name,value", "-r", "guid", root]);
  const map = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [name, guid] = line.split("\t");
    if (name?.includes("@")) map.set(name.slice(root.length), guid!);
  }
  return map;
}

/** The verbose log with timings, rates and pool names taken out, for comparing two runs. */
function normalized(r: ToolResult, names: Record<string, string>): string[] {
  let text = r.stdout;
  for (const [from, to] of Object.entries(names)) text = text.replaceAll(from, to);
  return text.split("\n")
    .map((l) => l.replace(/received .* in .* s \(.*\)$/, "received").replace(/: .* in .* s \(.*\)$/, ": ..."))
    .filter((l) => !/^ {2}\d+ commands run/.test(l));
}

/** A source tree: a, a/x, a/x/deep, a/y, b, b/z (selected from the pool root), no snapshots yet. */
async function tree(src: string, n: string): Promise<void> {
  for (const ds of ["a", "a/x", "a/x/deep", "a/y", "b", "b/z"]) await zfs(["create", `${src}/${ds}`]);
  await zfs(["set", `autobackup:${n}=true`, src]);
}

Deno.test("--parallel 4 on zfs-fuse: the same snapshots, guids and log as a sequential run, pushed over ssh", async () => {
  const config = await loopConfig();
  await using seq = await createFusePools(["src", "dst"], 64);
  await using par = await createFusePools(["src", "dst"], 64);
  const runs: ToolResult[][] = [];
  for (const [pools, extra] of [[seq, []], [par, ["--parallel", "4"]]] as const) {
    const [src, dst] = pools.names as [string, string];
    const n = backupName(pools);
    await tree(src, n);
    // The target is this machine too: its received copies would be selected without this.
    const push = ["--ssh-config", config, "--ssh-target", "zab-loop", "--exclude-received"];
    const first = await runTool([n, dst, "--verbose", ...push, ...extra], { fakeTime: T0 });
    expectCode(first, 0);
    // A second snapshot on every dataset, sent incrementally.
    const second = await runTool([n, dst, "--verbose", "--allow-empty", ...push, ...extra], { fakeTime: T1 });
    expectCode(second, 0);
    runs.push([first, second]);
    const sent = await guids(`${dst}/${src}`);
    const source = await guids(src);
    assert.equal(sent.size, 2 * 7, [...sent.keys()].join(", "));
    assert.deepEqual(sent, source, "every snapshot arrived with its source's guid");
  }
  const names = (pools: typeof seq) => {
    const [src, dst] = pools.names as [string, string];
    return { [src]: "SRC", [dst]: "DST", [backupName(pools)]: "NAME" };
  };
  for (const i of [0, 1]) {
    assert.deepEqual(
      normalized(runs[1]![i]!, names(par)),
      normalized(runs[0]![i]!, names(seq)),
      "the parallel run prints what the sequential one does, in the same order",
    );
  }
  const [src] = par.names as [string];
  // Each child was received below its parent's received dataset: no parent had to be made.
  assert.deepEqual(linesWith(runs[1]![0]!.stdout, "Creating parent"), []);
  assert.match(runs[1]![1]!.stdout, new RegExp(`${re(src)}/a/x/deep@${backupName(par)}-${S1}: -> `));
});

Deno.test("--parallel 3 on zfs-fuse: a failed dataset does not stop the others, the exit code counts it", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  for (const ds of ["a", "b", "c", "d", "e"]) {
    await zfs(["create", `${src}/${ds}`]);
    await zfs(["set", `autobackup:${n}=true`, `${src}/${ds}`]);
  }
  await zfs(["create", `${dst}/${src}`]);
  // Targets that exist without snapshots: a full receive into them fails.
  await zfs(["create", `${dst}/${src}/b`]);
  await zfs(["create", `${dst}/${src}/d`]);
  const r = await runTool([n, dst, "--verbose", "--parallel", "3"], { fakeTime: T0 });
  expectCode(r, 2);
  assert.deepEqual(
    linesWith(r.stderr, "FAILED").map((l) => l.replace(/: FAILED: .*/, "")),
    [`! [Source] ${src}/b`, `! [Source] ${src}/d`],
  );
  const tail = r.stderr.trimEnd().split("\n").slice(-3);
  assert.match(tail[0]!, /2 datasets failed/);
  assert.match(r.stdout, /Transferred 3 snapshots: /);
  const sent = [...(await guids(`${dst}/${src}`)).keys()].sort();
  assert.deepEqual(sent, ["/a", "/c", "/e"].map((d) => `${d}@${n}-${S0}`));
});

Deno.test("the probe cache on zfs-fuse: the second run asks zfs for its identity only, and decides the same", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  await zfs(["create", `${src}/a`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/a`]);
  const dir = await Deno.makeTempDir();
  try {
    const env = { ZFS_AUTOBACKUP_FEATURE_CACHE: join(dir, "features.json") };
    const run = (time: string) =>
      runTool([n, dst, "--verbose", "--debug-output", "--allow-empty"], { fakeTime: time, env });
    const first = await run(T0);
    expectCode(first, 0);
    const second = await run(T1);
    expectCode(second, 0);
    const probes = (r: ToolResult) => linesWith(r.stdout, /STDOUT > #probe /).length;
    assert.equal(probes(first), Object.keys(PROBES).length, "the first run probes every option");
    assert.equal(probes(second), 0, "the second run knows them");
    assert.deepEqual(linesWith(second.stdout, "This zfs lacks:"), linesWith(first.stdout, "This zfs lacks:"));
    const sends = (r: ToolResult) =>
      linesWith(r.stdout, /CMD +> zfs send/).map((l) => l.replace(/@\S+/g, "@S"));
    assert.deepEqual(sends(second).map((l) => l.replace(" -i @S", "")), sends(first));
    const cache = JSON.parse(await Deno.readTextFile(env.ZFS_AUTOBACKUP_FEATURE_CACHE));
    assert.equal(cache.hosts[""].has.holds, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
