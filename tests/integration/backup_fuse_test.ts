/**
 * Replication on zfs-fuse 0.7, the old-ZFS tier: pool version 23, no `zfs holds`, no resume
 * tokens, no `zfs get -t`, one snapshot per `zfs snapshot`. Local backups, push and pull over
 * ssh to this very machine (the loopback sshd, Host `zab-loop`), an unreachable target, and one
 * failed dataset among good ones.
 *
 * Each test runs the real CLI with a faked clock and checks what a user sees: the exit code,
 * key output lines, and the datasets and snapshots `zfs list` shows afterwards. Pools stay
 * unmounted (see createFusePools): the streams carry no file data, which is fine for what is
 * checked here.
 *
 * Every test uses its own backup name (its pool set's base name, never "test"): the zfs-fuse
 * daemon is shared with concurrently running tests, and a shared name would select their
 * datasets too.
 */
import assert from "node:assert/strict";
import {
  backupName,
  expectCode,
  fuseAll,
  fuseSnapshots,
  linesWith,
  loopConfig,
  re,
  S0,
  S1,
  T0,
  T1,
  T2,
} from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";
import { spawnProcess } from "../../lib/exec/process.ts";

// ---------------------------------------------------------------------------------------------
// Tests

Deno.test("local backup on zfs-fuse: full then incremental, one note on missing features, no hold or bookmark commands", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  await zfs(["create", `${src}/fs1`]);
  await zfs(["create", `${src}/fs1/sub`]);
  await zfs(["create", `${src}/other`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs1`]);
  await zfs(["create", `${dst}/backup`]);

  const first = await runTool([n, `${dst}/backup`, "--verbose"], { fakeTime: T0 });
  expectCode(first, 0);
  // Source and target are this one machine: its zfs is probed, and described, once.
  const notes = linesWith(first.stdout, "This zfs lacks:");
  assert.equal(notes.length, 1, first.stdout);
  assert.match(notes[0]!, /holds/);
  assert.match(
    first.stdout,
    new RegExp(`${re(src)}/fs1@${n}-${S0}: -> ${re(dst)}/backup/${re(src)}/fs1 \\(new\\)`),
  );

  const second = await runTool([n, `${dst}/backup`, "--verbose", "--debug", "--allow-empty"], {
    fakeTime: T1,
  });
  expectCode(second, 0);
  assert.equal(linesWith(second.stdout, "This zfs lacks:").length, 1);
  assert.match(
    second.stdout,
    new RegExp(`${re(src)}/fs1@${n}-${S1}: -> ${re(dst)}/backup/${re(src)}/fs1$`, "m"),
    "the second run is incremental",
  );
  assert.deepEqual(linesWith(second.stdout, /zfs (hold|release) /), [], "no hold commands on zfs-fuse");
  // No bookmarks either: not listed, not made; each dataset says why once.
  assert.deepEqual(linesWith(second.stdout, /CMD.*bookmark/), [], "no bookmark commands on zfs-fuse");
  assert.match(
    second.stdout,
    new RegExp(
      `${re(src)}/fs1: Not bookmarking \\(source pool "${re(src)}" and target pool "${re(dst)}" lack`,
    ),
  );

  const t = `${dst}/backup/${src}`;
  assert.deepEqual(await fuseAll(dst), [
    dst,
    `${dst}/backup`,
    t,
    `${t}/fs1`,
    `${t}/fs1/sub`,
    `${t}/fs1/sub@${n}-${S0}`,
    `${t}/fs1/sub@${n}-${S1}`,
    `${t}/fs1@${n}-${S0}`,
    `${t}/fs1@${n}-${S1}`,
  ]);
  assert.equal(await zfs(["get", "-H", "-o", "value", "canmount", t]), "off\n");
  assert.deepEqual(await fuseSnapshots(src), [
    `${src}/fs1/sub@${n}-${S0}`,
    `${src}/fs1/sub@${n}-${S1}`,
    `${src}/fs1@${n}-${S0}`,
    `${src}/fs1@${n}-${S1}`,
  ]);
});

Deno.test("push and pull over ssh (zab-loop) on zfs-fuse; an unreachable target fails with exit 255 before snapshotting", async () => {
  const config = await loopConfig();
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const base = backupName(pools);
  const push = `${base}p`;
  const pull = `${base}q`;
  await zfs(["create", `${src}/push`]);
  await zfs(["create", `${src}/pull`]);
  await zfs(["set", `autobackup:${push}=true`, `${src}/push`]);
  await zfs(["set", `autobackup:${pull}=true`, `${src}/pull`]);
  await zfs(["create", `${dst}/push`]);
  await zfs(["create", `${dst}/pull`]);

  // Source and target are the same machine under two host strings, so nothing excludes the
  // received backups from the next run's selection (upstream likewise): --exclude-received does.
  const common = ["--verbose", "--allow-empty", "--exclude-received", "--ssh-config", config];
  const pushArgs = [push, `${dst}/push`, ...common, "--ssh-target", "zab-loop"];
  const pullArgs = [pull, `${dst}/pull`, ...common, "--ssh-source", "zab-loop"];
  for (const [time, snap] of [[T0, S0], [T1, S1]] as const) {
    const p = await runTool(pushArgs, { fakeTime: time });
    expectCode(p, 0);
    assert.match(p.stdout, /\[Target\] SSH to: zab-loop/);
    assert.match(p.stdout, new RegExp(`${re(src)}/push@${push}-${snap}: -> ${re(dst)}/push/${re(src)}/push`));
    const q = await runTool(pullArgs, { fakeTime: time });
    expectCode(q, 0);
    assert.match(q.stdout, /\[Source\] SSH to: zab-loop/);
    assert.match(q.stdout, new RegExp(`${re(src)}/pull@${pull}-${snap}: -> ${re(dst)}/pull/${re(src)}/pull`));
  }
  assert.deepEqual(await fuseSnapshots(dst), [
    `${dst}/pull/${src}/pull@${pull}-${S0}`,
    `${dst}/pull/${src}/pull@${pull}-${S1}`,
    `${dst}/push/${src}/push@${push}-${S0}`,
    `${dst}/push/${src}/push@${push}-${S1}`,
  ]);

  const downArgs = [push, `${dst}/push`, "--verbose", "--exclude-received", "--ssh-config", config];
  const down = await runTool([...downArgs, "--ssh-target", "nosuchhost"], { fakeTime: T2 });
  expectCode(down, 255);
  const errors = down.stderr.split("\n").filter((l) => l.trim());
  assert.equal(errors.length, 1, down.stderr);
  assert.match(errors[0]!, /ssh/i);
  assert.match(errors[0]!, /nosuchhost/);
  // The target is checked before the first change: a run that cannot transfer makes no snapshot
  // (upstream snapshots first).
  assert.deepEqual(await fuseSnapshots(`${src}/push`), [
    `${src}/push@${push}-${S0}`,
    `${src}/push@${push}-${S1}`,
  ]);
  assert.equal((await fuseSnapshots(dst)).length, 4, "nothing arrived on the target");
});

Deno.test("a failed dataset does not stop the others: exit 1, FAILED line and final summary on stderr", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  for (const ds of ["a", "b", "c"]) {
    await zfs(["create", `${src}/${ds}`]);
    await zfs(["set", `autobackup:${n}=true`, `${src}/${ds}`]);
  }
  await zfs(["create", `${dst}/backup`]);
  await zfs(["create", `${dst}/backup/${src}`]);
  // A target dataset that exists without snapshots: a full receive into it must fail.
  await zfs(["create", `${dst}/backup/${src}/b`]);

  const r = await runTool([n, `${dst}/backup`, "--verbose"], { fakeTime: T0 });
  expectCode(r, 1);
  const failed = linesWith(r.stderr, "FAILED");
  assert.equal(failed.length, 1, r.stderr);
  assert.match(failed[0]!, new RegExp(`${re(src)}/b: FAILED: .*exists`));
  const lines = r.stderr.trimEnd().split("\n");
  assert.match(lines.at(-2)!, /1 dataset failed/);
  assert.match(lines.at(-1)!, new RegExp(`^! +${re(src)}/b: .*exists`));
  assert.doesNotMatch(r.stdout, /All operations completed successfully/);

  const t = `${dst}/backup/${src}`;
  assert.deepEqual(await fuseSnapshots(dst), [`${t}/a@${n}-${S0}`, `${t}/c@${n}-${S0}`]);
});

Deno.test("a backup into another pool's root on this machine reads only the other pools; a pool gone since the probe reads them all", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  await zfs(["create", `${src}/fs1`]);
  await zfs(["set", `autobackup:${n}=true`, `${src}/fs1`]);
  // A dataset of the target pool that carries the property is never selected, nor read.
  await zfs(["create", `${dst}/local`]);
  await zfs(["set", `autobackup:${n}=true`, `${dst}/local`]);

  const selection = (out: string) => linesWith(out, new RegExp(`CMD    > zfs get .*autobackup:${re(n)}`));
  const first = await runTool([n, dst, "--verbose", "--debug"], { fakeTime: T0 });
  expectCode(first, 0);
  const [get, ...more] = selection(first.stdout);
  assert.deepEqual(more, [], first.stdout);
  assert.match(get!, new RegExp(` -r .*${re(src)}`));
  assert.doesNotMatch(get!, new RegExp(`${re(dst)}( |$)`), "the target's pool is not read");
  assert.deepEqual(linesWith(first.stdout, "Excluded (path in exclude list)"), []);
  assert.match(first.stdout, new RegExp(`${re(src)}/fs1@${n}-${S0}: -> ${re(dst)}/${re(src)}/fs1 \\(new\\)`));

  // zpool lists a pool that is gone when the selection reads it (exported meanwhile): the
  // selection then reads every dataset of the host, and the backup goes on.
  const bin = await Deno.makeTempDir({ prefix: "zab-zpool-" });
  try {
    const real = (await spawnProcess(["sh", "-c", "command -v zpool"])).stdout.trim();
    await Deno.writeTextFile(
      `${bin}/zpool`,
      `#!/bin/sh\nif [ "$*" = "list -H -o name" ]; then ${real} "$@"; echo ${n}_gone; else exec ${real} "$@"; fi\n`,
    );
    await Deno.chmod(`${bin}/zpool`, 0o755);
    const second = await runTool([n, dst, "--verbose", "--debug", "--allow-empty"], {
      fakeTime: T1,
      env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
    expectCode(second, 0);
    const gets = selection(second.stdout);
    assert.equal(gets.length, 2, second.stdout);
    assert.match(gets[0]!, new RegExp(` -r .*${re(n)}_gone`));
    assert.doesNotMatch(gets[1]!, / -r /, "the second reads the whole host");
    assert.match(second.stdout, new RegExp(`${re(src)}/fs1@${n}-${S1}: -> ${re(dst)}/${re(src)}/fs1$`, "m"));
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
  assert.deepEqual(await fuseAll(dst), [
    dst,
    `${dst}/local`,
    `${dst}/${src}`,
    `${dst}/${src}/fs1`,
    `${dst}/${src}/fs1@${n}-${S0}`,
    `${dst}/${src}/fs1@${n}-${S1}`,
  ]);
});
