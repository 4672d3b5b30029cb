/**
 * The permission doctor on zfs-fuse, as root on both sides (local and over ssh to this machine):
 * root needs no delegation, so nothing is missing and it exits 0; with a jobs file it checks
 * every job. It changes nothing. (The non-root cases run on the OpenZFS guest, see
 * permissions_ozfs_test.ts: zfs-fuse cannot show `zfs allow`.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { backupName, expectCode, fuseAll, loopConfig, T0 } from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";

Deno.test("permission doctor on zfs-fuse: root on both sides needs nothing (exit 0), also for every job of a file", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  await zfs(["create", `${src}/fs`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs`]);
  await zfs(["create", `${dst}/backup`]);
  const before = await fuseAll(src);

  const local = await runTool([n, `${dst}/backup`, "--check-permissions"], { fakeTime: T0 });
  expectCode(local, 0);
  assert.deepEqual(local.stdout.split("\n").filter(Boolean), [
    "[Source] this machine: runs as root, which needs no zfs allow",
    "[Target] this machine: runs as root, which needs no zfs allow",
  ]);

  const dir = await Deno.makeTempDir({ prefix: "zab-perm-" });
  try {
    const file = join(dir, "jobs.yaml");
    await Deno.writeTextFile(
      file,
      `defaults:\n  ssh-config: ${config}\njobs:\n  push:\n    backup-name: ${n}\n    target-path: ${dst}/backup\n    ssh-target: zab-loop\n  snaps:\n    backup-name: ${n}\n`,
    );
    const r = await runTool(["--jobs", file, "--check-permissions", "--verbose"], { fakeTime: T0 });
    expectCode(r, 0);
    assert.match(r.stdout, /#### Job push \(1\/2\)/);
    assert.match(r.stdout, /\[Target\] zab-loop: runs as root, which needs no zfs allow/);
    assert.match(r.stdout, /#### Job snaps \(2\/2\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.deepEqual(await fuseAll(src), before, "nothing changed");
  assert.deepEqual(await fuseAll(dst), [dst, `${dst}/backup`]);
});
