/**
 * The jobs file on zfs-fuse 0.7, through the real CLI: two jobs (a compressed push over ssh to
 * this machine and a local backup with thinning), `--test` over the whole file, `--only`, a
 * failed job that does not stop the next, failed datasets added up over jobs, each job's own
 * lock, and a bad file that changes nothing. Every error kind of a bad file is covered by the
 * unit tests (tests/jobs/); here one of them goes through main.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  backupName,
  expectCode,
  fuseSnapshots,
  linesWith,
  loopConfig,
  S0,
  S1,
  S2,
  T0,
  T1,
  T2,
  T3,
} from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";
import { lockRun } from "../../lib/run/lock.ts";

/** Writes a jobs file into a fresh directory; returns its path. */
async function jobsFile(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("jobs file on zfs-fuse: --test over the whole file, two jobs, --only, a failed job does not stop the next", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const base = backupName(pools);
  const [push, local] = [`${base}p`, `${base}l`];
  await zfs(["create", `${src}/push`]);
  await zfs(["create", `${src}/local`]);
  await zfs(["set", `autobackup:${push}=true`, `${src}/push`]);
  await zfs(["set", `autobackup:${local}=true`, `${src}/local`]);
  await zfs(["create", `${dst}/offsite`]);
  await zfs(["create", `${dst}/local`]);
  const dir = await Deno.makeTempDir({ prefix: "zab-jobs-" });
  try {
    const file = await jobsFile(
      dir,
      "jobs.yaml",
      `# an offsite push with compression and a local backup with thinning
defaults:
  verbose: true
  allow-empty: true
  exclude-received: true
  ssh-config: ${config}
jobs:
  offsite:
    backup-name: ${push}
    target-path: ${dst}/offsite
    ssh-target: zab-loop
    compress: zstd-fast
  local:
    backup-name: ${local}
    target-path: ${dst}/local
    keep-source: 2
    keep-target: 2
`,
    );

    // --test: every job runs its read-only steps, nothing changes, exit 0.
    const test = await runTool(["--jobs", file, "--test"], { fakeTime: T0 });
    expectCode(test, 0);
    assert.deepEqual(linesWith(test.stdout, "#### Job "), [
      `  #### Job offsite (1/2): ${push} -> ${dst}/offsite`,
      `  #### Job local (2/2): ${local} -> ${dst}/local`,
    ]);
    assert.equal(linesWith(test.stdout, "TEST MODE - DID NOT MAKE ANY CHANGES").length, 2);
    assert.deepEqual(await fuseSnapshots(src), [], "--test made no snapshot");

    // Both jobs, in file order: the push goes through ssh with compression.
    const first = await runTool(["--jobs", file, "--debug"], { fakeTime: T0 });
    expectCode(first, 0);
    assert.match(first.stdout, /\[Target\] SSH to: zab-loop/);
    assert.match(first.stdout, /zfs send .* \| zstdmt -3 \| \[Target\] zstdmt -dc \| zfs recv/);
    assert.ok(first.stdout.indexOf("#### Job offsite") < first.stdout.indexOf("#### Job local"));

    // --only runs one job; three runs of it thin both sides to two snapshots.
    for (const time of [T1, T2]) {
      expectCode(await runTool(["--jobs", file, "--only", "local"], { fakeTime: time }), 0);
    }
    assert.deepEqual(
      await fuseSnapshots(`${src}/push`),
      [`${src}/push@${push}-${S0}`],
      "--only left offsite alone",
    );
    assert.deepEqual(await fuseSnapshots(`${src}/local`), [
      `${src}/local@${local}-${S1}`,
      `${src}/local@${local}-${S2}`,
    ]);
    const t = `${dst}/local/${src}/local`;
    assert.deepEqual(await fuseSnapshots(`${dst}/local`), [`${t}@${local}-${S1}`, `${t}@${local}-${S2}`]);
    assert.deepEqual(await fuseSnapshots(`${dst}/offsite`), [`${dst}/offsite/${src}/push@${push}-${S0}`]);

    // A job that stops (its TARGET-PATH is gone) does not stop the next one; exit 255.
    const broken = await jobsFile(
      dir,
      "broken.yaml",
      `jobs:
  gone:
    backup-name: ${push}
    target-path: ${dst}/nope
  local:
    backup-name: ${local}
    target-path: ${dst}/local
    keep-source: 2
    keep-target: 2
`,
    );
    const r = await runTool(["--jobs", broken], { fakeTime: T3 });
    expectCode(r, 255);
    assert.match(r.stderr, new RegExp(`Target path '${dst}/nope' does not exist`));
    assert.match(r.stderr, /! 1 of 2 jobs failed:\n! +gone: stopped: Target path/);
    assert.equal(
      (await fuseSnapshots(`${dst}/local`)).length,
      2,
      "the second job ran (and thinned to two again)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jobs file on zfs-fuse: failed datasets add up over jobs; each job takes its own lock; a bad file changes nothing", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const base = backupName(pools);
  const [x, y] = [`${base}x`, `${base}y`];
  for (const [name, ds] of [[x, "x1"], [x, "x2"], [y, "y1"], [y, "y2"]] as const) {
    await zfs(["create", `${src}/${ds}`]);
    await zfs(["set", `autobackup:${name}=true`, `${src}/${ds}`]);
  }
  // A target that exists without snapshots: a full receive into it fails that dataset only.
  await zfs(["create", "-p", `${dst}/x/${src}/x1`]);
  await zfs(["create", "-p", `${dst}/y/${src}/y1`]);
  const dir = await Deno.makeTempDir({ prefix: "zab-jobs-" });
  try {
    const text =
      `jobs:\n  x:\n    backup-name: ${x}\n    target-path: ${dst}/x\n  y:\n    backup-name: ${y}\n    target-path: ${dst}/y\n`;
    const file = await jobsFile(dir, "jobs.yaml", text);
    const r = await runTool(["--jobs", file], { fakeTime: T0 });
    expectCode(r, 2);
    assert.match(
      r.stderr,
      new RegExp(`! 2 of 2 jobs failed:\n! +x: 1 dataset failed\n! +y: 1 dataset failed\n$`),
    );
    assert.deepEqual(await fuseSnapshots(dst), [
      `${dst}/x/${src}/x2@${x}-${S0}`,
      `${dst}/y/${src}/y2@${y}-${S0}`,
    ]);

    // Job y's lock is taken (an overlapping run of it): y stops, x still runs.
    const held = await lockRun(y);
    try {
      const locked = await runTool(["--jobs", file], { fakeTime: T1 });
      expectCode(locked, 255);
      assert.match(locked.stderr, new RegExp(`Cannot start backup "${y}": another run of it is still going`));
      assert.match(locked.stderr, /! +x: 1 dataset failed/);
    } finally {
      held.release();
    }
    assert.equal((await fuseSnapshots(`${src}/x2`)).length, 2, "x ran");
    assert.equal((await fuseSnapshots(`${src}/y2`)).length, 1, "y did not");

    // A bad value in the second job: exit 2, one line naming file, line and key; nothing ran.
    const bad = await jobsFile(dir, "bad.yaml", `${text}    keep-target: 1w1d\n`);
    const refused = await runTool(["--jobs", bad, "--verbose"], { fakeTime: T2 });
    expectCode(refused, 2);
    assert.equal(
      refused.stderr,
      `zfs-autobackup: error: ${bad}:8: jobs.y.keep-target: Cannot use --keep-target "1w1d": period cannot be longer than TTL (see --help)\n`,
    );
    assert.equal(refused.stdout, "");
    assert.equal((await fuseSnapshots(`${src}/x2`)).length, 2, "job x did not run either");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
