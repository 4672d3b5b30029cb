/**
 * zfs-autoverify against real hosts and real ZFS.
 *
 * This machine: the comparisons over the loopback sshd (Host `zab-loop`), so the scripts run
 * behind a real ssh and rsync reaches a remote path through the run's own ssh options; an
 * abort while a remote script hashes (the script outlives the ssh client until `stop()` kills
 * its process group); and the CLI on zfs-fuse 0.7, which cannot mount snapshots (no `mount -t
 * zfs` helper, no .zfs directory) and has no volumes, so there only planning (--test), the
 * pairing failures and a clean failure of the mount are checked.
 *
 * The OpenZFS guest: see the test at the end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { ProcessHost } from "../../lib/exec/process_host.ts";
import { ControlDir, SshClient } from "../../lib/exec/ssh.ts";
import type { FsCompare } from "../../lib/verify/options.ts";
import { VerifySide } from "../../lib/verify/side.ts";
import { VOLUME_HASH_SCRIPT } from "../../lib/verify/volume_hashes.ts";
import { ChunkHasher } from "../../lib/check/hasher.ts";
import { compareTrees, type PairContext } from "../../lib/verify/verify_pair.ts";
import { randomFile, tempDir } from "../check/testdata.ts";
import { backupName, expectCode, loopConfig, re, S0, T0, T1 } from "../harness/expect.ts";
import { silentLogger } from "../harness/silent_logger.ts";
import { runTool, toolArgv } from "../harness/tool.ts";
import { createOzfsPools, ozfsConfig, ozfsOk, twoNameConfig } from "../harness/ozfs.ts";
import { deployGuestTool } from "../harness/guest_tool.ts";
import { shellQuote } from "../../lib/exec/quote.ts";
import { createFusePools, zfs as fuseZfs } from "../harness/zfs_fuse.ts";

const VERIFY_ENV = { ZFS_AUTOBACKUP_PROGRAM: "zfs-autoverify" };

/** True when `path` exists. */
async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Commands (argv[0]) of the processes on this machine working in directory `dir`. */
async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cwd = await Deno.readLink(`/proc/${e.name}/cwd`).catch(() => "");
    if (cwd !== dir) continue;
    const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    found.push(cmdline.split("\0")[0]!);
  }
  return found.sort();
}

/** Waits (at most `ms`) until `check` holds. */
async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** Two sides, one of them (`remote`) behind the loopback sshd, the other local. */
async function sshPair(
  fsCompare: FsCompare,
  remote: "source" | "target",
  signal?: AbortSignal,
): Promise<PairContext & AsyncDisposable> {
  const config = await loopConfig();
  const log = silentLogger();
  const ctx = { log, testMode: false, ...(signal ? { signal } : {}) };
  const controlDir = new ControlDir();
  const ssh = new SshClient({ address: "zab-loop", configFile: config }, controlDir);
  const sideCtx = { log, cloneName: (s: string) => s, cloneProperties: [] };
  const host = (label: "Source" | "Target") =>
    new ProcessHost(label, label.toLowerCase() === remote ? ssh : undefined, ctx);
  const source = new VerifySide(host("Source"), sideCtx);
  const target = new VerifySide(host("Target"), sideCtx);
  return {
    source,
    target,
    fsCompare,
    skip: 0,
    log,
    signal,
    sshArgv: async (side) => side.host.address ? (await ssh.prefix()).slice(0, -1) : [],
    async [Symbol.asyncDispose]() {
      await source.close();
      await target.close();
      await ssh.close();
      await controlDir.remove();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// This machine, over ssh

const SSH_CASES = [["find", "target"], ["rsync", "target"], ["rsync", "source"]] as const;
for (const [method, remote] of SSH_CASES) {
  Deno.test(`compareTrees over ssh (${method}, remote ${remote}): OK for a copy, the changed file named, workspaces removed`, async () => {
    await using dir = await tempDir();
    let used: string[] = [];
    const a = join(dir.path, "a");
    await randomFile(a, "one", 100000);
    await randomFile(a, "sub/two", 5000);
    const b = join(dir.path, "b");
    const cp = await spawnProcess(["cp", "-a", a, b]);
    assert.equal(cp.code, 0, cp.stderr);
    {
      await using ctx = await sshPair(method, remote);
      assert.equal((await compareTrees(ctx, a, b)).kind, "ok");
      const f = await Deno.open(join(b, "sub", "two"), { write: true });
      await f.write(new TextEncoder().encode("!"));
      f.close();
      await spawnProcess(["touch", "-r", join(a, "sub", "two"), join(b, "sub", "two")]);
      const bad = await compareTrees(ctx, a, b);
      assert.equal(bad.kind, "differs");
      const shown = (bad as { shown: readonly string[] }).shown;
      if (method === "find") assert.match(shown.join("\n"), /^"\.\/sub\/two": content \(sha1 /);
      // rsync runs here and marks what it would send to the remote "<", what it would fetch ">".
      else assert.deepEqual(shown, [`${remote === "target" ? "<" : ">"}fc........ sub/two`]);
      used = [await ctx.source.workspace(), await ctx.target.workspace()];
    }
    for (const w of used) assert.equal(await exists(w), false, `workspace ${w} removed`);
  });
}

Deno.test("an abort while a remote script hashes: the script outlives ssh until stop() kills its group", async () => {
  await using dir = await tempDir();
  const big = join(dir.path, "tree", "sparse");
  await Deno.mkdir(join(dir.path, "tree"));
  await Deno.writeFile(big, new Uint8Array());
  await Deno.truncate(big, 64 * 2 ** 30); // minutes of sha1sum over holes
  const abort = new AbortController();
  await using ctx = await sshPair("find", "target", abort.signal);
  const tree = join(dir.path, "tree");
  const running = compareTrees(ctx, tree, tree);
  const sha1sums = async () => (await processesIn(tree)).filter((c) => c === "sha1sum").length;
  await waitUntil(async () => (await sha1sums()) === 2, 20_000);
  assert.equal(await sha1sums(), 2, "both sides hash the file");
  abort.abort();
  await assert.rejects(running);
  // The local side was killed with its process group. The remote one writes its list to a
  // file, not to the closed ssh channel, so nothing tells it to stop.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await sha1sums(), 1, "the remote sha1sum still runs");
  await ctx.target.stop();
  await waitUntil(async () => (await processesIn(tree)).length === 0, 5000);
  assert.deepEqual(await processesIn(tree), [], "stop() ended the whole remote script");
});

Deno.test("VOLUME_HASH_SCRIPT on a block device (a loop device): zfs-check's library reads the same chunks", async (t) => {
  await using dir = await tempDir();
  const file = await randomFile(dir.path, "disk", 5 * 2 ** 20 + 4096);
  const attach = await spawnProcess(["losetup", "--find", "--show", file]);
  if (attach.code !== 0) {
    await t.step({ name: `skipped: losetup failed (${attach.stderr.trim()})`, ignore: true, fn() {} });
    return;
  }
  const dev = attach.stdout.trim();
  try {
    for (const skip of [0, 2]) {
      await using ws = await tempDir();
      const chunk = 3 * 2 ** 19; // 1.5 MiB: the last chunk is short
      const r = await spawnProcess([
        "sh",
        "-c",
        VOLUME_HASH_SCRIPT,
        "sh",
        dev,
        ws.path,
        String(chunk),
        String(skip),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const lines: string[] = [];
      for await (const h of new ChunkHasher({ blockSize: 2 ** 19, count: 3, skip }).hashFile(dev)) {
        lines.push(`${h.chunk}\t${h.hash}\n`);
      }
      assert.ok(lines.length >= 2);
      assert.equal(r.stdout, lines.join(""), `skip ${skip}`);
    }
  } finally {
    await spawnProcess(["losetup", "-d", dev]);
  }
});

// ---------------------------------------------------------------------------------------------
// zfs-fuse

Deno.test("zfs-autoverify on zfs-fuse: --test plans and names unverifiable datasets; a real run fails each mount cleanly", async () => {
  await using pools = await createFusePools(["src", "dst"], 64);
  const [src, dst] = pools.names as [string, string];
  const n = backupName(pools);
  for (const fs of ["fs1", "fs1/sub", "later"]) await fuseZfs(["create", `${src}/${fs}`]);
  await fuseZfs(["set", `autobackup:${n}=true`, `${src}/fs1`]);
  await fuseZfs(["create", `${dst}/backup`]);
  expectCode(await runTool([n, `${dst}/backup`], { fakeTime: T0 }), 0);
  // Selected after the backup ran: no target yet.
  await fuseZfs(["set", `autobackup:${n}=true`, `${src}/later`]);
  const t = `${dst}/backup/${src}`;

  const plan = await runTool([n, `${dst}/backup`, "--test"], { env: VERIFY_ENV, fakeTime: T1 });
  expectCode(plan, 1);
  assert.match(
    plan.stdout,
    new RegExp(`^${re(`${src}/fs1@${n}-${S0} -> ${t}/fs1`)}: would compare \\(filesystem\\)$`, "m"),
  );
  assert.match(
    plan.stdout,
    new RegExp(`^${re(`${src}/fs1/sub@${n}-${S0} -> ${t}/fs1/sub`)}: would compare`, "m"),
  );
  assert.match(
    plan.stdout,
    new RegExp(
      `^${re(`${src}/later -> ${t}/later`)}: FAILED: target "${re(`${t}/later`)}" does not exist$`,
      "m",
    ),
  );
  assert.match(plan.stdout, /TEST MODE - DID NOT VERIFY ANYTHING!/);
  assert.equal(plan.stderr, "! 3 datasets planned, 1 cannot be compared\n");

  // A private TMPDIR: the workspaces of this run alone are made there.
  await using tmp = await tempDir();
  const real = await runTool([n, `${dst}/backup`], {
    env: { ...VERIFY_ENV, TMPDIR: tmp.path },
    fakeTime: T1,
  });
  expectCode(real, 3);
  const failed = real.stdout.split("\n").filter((l) => l.includes(": FAILED: "));
  assert.equal(failed.length, 3, real.stdout);
  assert.match(
    failed[0]!,
    /^.*fs1@.* -> .*: FAILED: Command failed on (Source|Target) with exit code \d+: .*unknown filesystem type 'zfs'/,
  );
  assert.equal(real.stderr, "! 3 of 3 datasets differ or could not be compared\n");
  assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp.path)), [], "workspaces removed");
});

Deno.test("zfs-autoverify on zfs-fuse: a missing TARGET-PATH and an empty selection are fatal (255)", async () => {
  await using pools = await createFusePools(["src"], 64);
  const [src] = pools.names as [string];
  const n = backupName(pools);
  await fuseZfs(["create", `${src}/fs1`]);
  const none = await runTool([n, `${src}/nope`], { env: VERIFY_ENV });
  expectCode(none, 255);
  assert.match(none.stderr, /^! No source filesystems selected/);
  await fuseZfs(["set", `autobackup:${n}=true`, `${src}/fs1`]);
  const missing = await runTool([n, `${src}/nope`], { env: VERIFY_ENV });
  expectCode(missing, 255);
  assert.equal(
    missing.stderr,
    `! Target path '${src}/nope' does not exist. Please create this dataset first.\n`,
  );
});

// ---------------------------------------------------------------------------------------------
// OpenZFS guest

const CONFIG = ozfsConfig();

/** Guest shell: leftovers of zfs-autoverify (mounts, workspaces, clones in `pools`, processes). */
function guestLeftovers(pools: readonly string[]): string {
  // The name is put together at run time, so this script's own command line does not match.
  return `m=zfs-auto; m=\${m}verify
echo "mounts=$(grep -c "$m" /proc/mounts)"
echo "dirs=$(ls -d /tmp/$m.* 2>/dev/null | wc -l)"
echo "clones=$(zfs list -H -o name -r ${pools.join(" ")} | grep -c "$m")"
n=0; for p in /proc/[0-9]*; do
  case "$(readlink $p/cwd 2>/dev/null) $(tr '\\0' ' ' < $p/cmdline 2>/dev/null)" in *"$m"*) n=$((n + 1));; esac
done; echo "processes=$n"`;
}

const NO_GUEST_LEFTOVERS = "mounts=0\ndirs=0\nclones=0\nprocesses=0\n";

/** Guest shell: waits for a volume's device node after `zfs create -V`. */
function waitForZvol(vol: string): string {
  return `udevadm settle; i=0; while [ ! -e /dev/zvol/${vol} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done`;
}

/**
 * Runs the tool here in a process group of its own, waits until its stdout has a line
 * matching `ready`, waits `settleSeconds` more, sends SIGINT to the group (what Ctrl-C does)
 * and returns the exit code and output.
 */
async function interrupted(
  args: readonly string[],
  ready: string,
  settleSeconds: number,
): Promise<{ rc: number; out: string; err: string }> {
  await using dir = await tempDir();
  const tool = toolArgv(args).map(shellQuote).join(" ");
  const script = `set -m
${tool} > ${dir.path}/out 2> ${dir.path}/err &
pid=$!
i=0
while ! grep -q ${
    shellQuote(ready)
  } ${dir.path}/out && kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
sleep ${settleSeconds}
kill -INT -- -$pid
wait $pid; echo $?`;
  const r = await spawnProcess(["bash", "-c", script], {
    env: { ...VERIFY_ENV, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", TZ: "UTC" },
  });
  return {
    rc: Number(r.stdout.trim()),
    out: await Deno.readTextFile(join(dir.path, "out")),
    err: await Deno.readTextFile(join(dir.path, "err")),
  };
}

Deno.test({
  name:
    "zfs-autoverify on OpenZFS: a pull+push backup verified OK; silent corruption and read errors found; Ctrl-C cleans up",
  ignore: !CONFIG,
  async fn(t) {
    await using pools = await createOzfsPools(["src", "dst"], 384);
    const [src, dst] = pools.names as [string, string];
    const n = backupName(pools);
    const n2 = `${n}big`;
    await using cfgDir = await tempDir();
    // Two names for the guest: the source and the target are separate hosts to the tool.
    const config = await twoNameConfig(cfgDir.path);
    const hosts = ["--ssh-source", "ozfs", "--ssh-target", "ozfs2", "--ssh-config", config];
    // One guest plays both hosts: the received copies (autobackup:NAME received) are not sources.
    const verify = (args: readonly string[]) =>
      runTool([...args, ...hosts, "--exclude-received"], { env: VERIFY_ENV });
    const leftovers = () => ozfsOk(guestLeftovers([src, dst]));

    // Files of several kinds; `bad` and `badvol` are received below a parent with checksum=off
    // (their source sets none), `eio` brings checksum=sha256 along (zfs send -p).
    await ozfsOk(`set -e
zfs create -o compression=off ${src}/fs1
cd /${src}/fs1
head -c 200000 /dev/urandom > data; mkdir -p d/e; head -c 5000 /dev/urandom > d/e/f
ln -s data link; : > empty; chmod 4750 data
zfs create ${src}/fs1/sub; echo hello > /${src}/fs1/sub/x
zfs create -o compression=off ${src}/bad; head -c 131072 /dev/urandom > /${src}/bad/data
zfs create -o compression=off -o checksum=sha256 ${src}/eio; head -c 131072 /dev/urandom > /${src}/eio/data
for v in vol badvol; do
  zfs create -V 1M -o compression=off ${src}/$v
  ${waitForZvol(`${src}/$v`)}
  head -c 1048576 /dev/urandom | dd of=/dev/zvol/${src}/$v bs=65536 iflag=fullblock conv=fsync 2>/dev/null
done
for d in fs1 bad eio vol badvol; do zfs set autobackup:${n}=true ${src}/$d; done
zfs create -o compression=off ${src}/bigfs; truncate -s 4G /${src}/bigfs/sparse
zfs create -s -V 4G ${src}/bigvol
for d in bigfs bigvol; do zfs set autobackup:${n2}=true ${src}/$d; done
zfs create -o checksum=off -o compression=off ${dst}/backup
zfs create ${dst}/backup2
`);
    const backup = await runTool([n, `${dst}/backup`, ...hosts], { fakeTime: T0 });
    expectCode(backup, 0);
    expectCode(await runTool([n2, `${dst}/backup2`, ...hosts], { fakeTime: T0 }), 0);
    const target = (ds: string) => `${dst}/backup/${src}/${ds}`;
    const head = (ds: string) => `${src}/${ds}@${n}-${S0} -> ${target(ds)}`;

    await t.step("every dataset of the backup is OK; nothing is left behind in the guest", async () => {
      const r = await verify([n, `${dst}/backup`]);
      expectCode(r, 0);
      assert.equal(
        r.stdout,
        [
          `${head("bad")}: OK (2 entries, 1 file hashed)`,
          `${head("badvol")}: OK (volume, 1 chunk of 100 MiB hashed)`,
          `${head("eio")}: OK (2 entries, 1 file hashed)`,
          `${head("fs1")}: OK (8 entries, 2 files hashed)`,
          `${head("fs1/sub")}: OK (2 entries, 1 file hashed)`,
          `${head("vol")}: OK (volume, 1 chunk of 100 MiB hashed)`,
          "",
        ].join("\n"),
      );
      assert.equal(r.stderr, "");
      assert.equal(await leftovers(), NO_GUEST_LEFTOVERS);
    });

    await t.step("the volume script in the guest prints exactly zfs-check's lines for the zvol", async () => {
      const tool = await deployGuestTool();
      for (const skip of [0, 2]) {
        const lib = await ozfsOk(
          `cd /tmp && ${tool.command} ${src}/vol@${n}-${S0} --count 16 --skip ${skip}`,
        );
        const script = await ozfsOk(
          `ws=$(mktemp -d); sh -c ${
            shellQuote(VOLUME_HASH_SCRIPT)
          } sh /dev/zvol/${src}/vol "$ws" 65536 ${skip}; rc=$?; rm -rf "$ws"; exit $rc`,
        );
        assert.equal(lib.split("\n").length, skip ? 7 : 17, lib);
        assert.equal(script, lib, `skip ${skip}`);
      }
    });

    await t.step("--fs-compare rsync cannot compare two remote hosts: a usage error", async () => {
      const r = await verify([n, `${dst}/backup`, "--fs-compare", "rsync"]);
      expectCode(r, 2);
      assert.match(r.stderr, /rsync cannot compare two remote paths/);
    });

    await t.step(
      "bytes changed on the target's disk under the received snapshots: found, named, exit 3",
      async () => {
        // The backup's own blocks are overwritten in the pool file, as bit rot or a bad disk
        // would: zfs detects it only where it keeps checksums (eio), not under checksum=off.
        const offsets = await ozfsOk(`set -e
zpool sync ${dst}
l0() { zdb -ddddd "$1" "$2" | sed -n 's/.* L0 0:\\([0-9a-f]*\\):.*/\\1/p' | head -n 1; }
obj=$(stat -c %i /${src}/bad/data)
a=$(l0 ${target("bad")} $obj); b=$(l0 ${target("badvol")} 1); c=$(l0 ${
          target("eio")
        } $(stat -c %i /${src}/eio/data))
[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ]
zpool export ${dst}
for off in $a $b $c; do
  head -c 16 /dev/urandom | dd of=${pools.guestDir}/${dst}.img bs=1 seek=$((0x400000 + 0x$off + 100)) conv=notrunc 2>/dev/null
done
zpool import -d ${pools.guestDir} ${dst}
echo $a $b $c`);
        assert.match(offsets, /^[0-9a-f]+ [0-9a-f]+ [0-9a-f]+\n$/);
        const r = await verify([n, `${dst}/backup`]);
        expectCode(r, 3);
        const lines = r.stdout.split("\n");
        const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
        assert.match(lines[at(head("bad"))]!, /: DIFFERS: 1 difference \(2 entries, 1 file hashed\)$/);
        assert.match(
          lines[at(head("bad")) + 1]!,
          /^ {2}"\.\/data": content \(sha1 [0-9a-f]{40} != [0-9a-f]{40}\)$/,
        );
        assert.match(
          lines[at(head("badvol"))]!,
          /: DIFFERS: 1 difference \(volume, 1 chunk of 100 MiB hashed\)$/,
        );
        assert.match(
          lines[at(head("badvol")) + 1]!,
          /^ {2}chunk 0 \(from byte 0\): sha1 [0-9a-f]{40} != [0-9a-f]{40}$/,
        );
        assert.match(
          lines[at(head("eio"))]!,
          /: FAILED: Reading on Target \(ozfs2\) failed: sha1sum: \.\/data: Input\/output error$/,
        );
        for (const ok of ["fs1", "fs1/sub", "vol"]) assert.match(lines[at(head(ok))]!, /: OK \(/);
        assert.equal(r.stderr, "! 3 of 6 datasets differ or could not be compared\n");
        assert.equal(await leftovers(), NO_GUEST_LEFTOVERS);
      },
    );

    const interrupts: ReadonlyArray<readonly [string, string]> = [
      ["a mounted snapshot's files", "root=$1 ws=$2"],
      ["a volume clone", "dev=$1 ws=$2"],
    ];
    for (const [what, ready] of interrupts) {
      await t.step(
        `Ctrl-C while ${what} are hashed in the guest: exit 255, scripts stopped, all removed`,
        async () => {
          const only = what.includes("volume") ? "bigfs" : "bigvol";
          await ozfsOk(`zfs inherit autobackup:${n2} ${src}/${only}`);
          const r = await interrupted(
            [n2, `${dst}/backup2`, "--debug", "--exclude-received", ...hosts],
            ready,
            3,
          );
          await ozfsOk(`zfs set autobackup:${n2}=true ${src}/${only}`);
          assert.equal(r.rc, 255, r.out + r.err);
          assert.match(r.err, /! Aborted\n$/);
          assert.doesNotMatch(r.out, /: OK \(/, "interrupted before the end");
          assert.equal(await leftovers(), NO_GUEST_LEFTOVERS);
        },
      );
    }
  },
});
