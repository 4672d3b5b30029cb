/**
 * zfs-check against real ZFS and real signals.
 *
 * zfs-check works on the local machine only (upstream has no ssh for it), so the OpenZFS
 * scenarios run the tool inside the guest (tests/harness/guest_tool.ts copies deno and a bundle
 * of main.ts there): a file system snapshot mounted with `mount -t zfs`, a volume snapshot
 * cloned (also under a pool with volmode=none), the hash lists compared with `dd | sha1sum` and
 * Python's os.walk order computed in the guest, a missing encryption key, a closed stdout, and a
 * real SIGINT and SIGTERM to the running tool, each followed by a look for leftover mounts,
 * temporary directories and clones.
 *
 * zfs-fuse 0.7 has no `mount -t zfs` helper, no .zfs directory and no volumes (`zfs create -V`
 * aborts with "Function not implemented"), so locally only the failure paths run there, plus
 * a SIGINT while hashing a large local file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { shellQuote } from "../../lib/exec/quote.ts";
import { deployGuestTool } from "../harness/guest_tool.ts";
import { createOzfsPools, ozfsConfig, ozfsOk, ozfsRun } from "../harness/ozfs.ts";
import { runTool, toolArgv } from "../harness/tool.ts";
import { createFusePools, zfs as fuseZfs } from "../harness/zfs_fuse.ts";

const CHECK_ENV = { ZFS_AUTOBACKUP_PROGRAM: "zfs-check" };

/** Names of the temporary mount points zfs-check made under /tmp (on this machine). */
async function localTempDirs(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir("/tmp")) if (e.name.startsWith("zfs-check-")) names.push(e.name);
  return names.sort();
}

// ---------------------------------------------------------------------------------------------
// zfs-fuse and this machine

Deno.test("zfs-check on zfs-fuse: a snapshot that cannot be mounted fails cleanly; a missing one is named", async () => {
  await using pools = await createFusePools(["chk"], 64);
  const pool = pools.names[0]!;
  await fuseZfs(["create", "-o", "atime=off", `${pool}/fs`]);
  await fuseZfs(["snapshot", `${pool}/fs@s1`]);
  const before = await localTempDirs();
  const r = await runTool([`${pool}/fs@s1`], { env: CHECK_ENV });
  assert.equal(r.code, 255, r.stderr);
  assert.match(r.stderr, /^! Command failed on Source with exit code \d+: .*unknown filesystem type 'zfs'/);
  assert.deepEqual(await localTempDirs(), before, "the temporary mount point was removed");
  const missing = await runTool([`${pool}/fs@nope`], { env: CHECK_ENV });
  assert.equal(missing.code, 255);
  assert.match(missing.stderr, new RegExp(`^! ZFS snapshot "${pool}/fs@nope" does not exist`));
});

Deno.test("zfs-check: SIGINT while hashing stops at once with exit 255 and Aborted", async () => {
  const dir = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "zab-check-sigint-" });
  try {
    const big = join(dir, "sparse");
    // 16 GiB of holes: minutes of hashing, so the signal surely lands in the middle.
    await Deno.truncate(big, 16 * 2 ** 30).catch(async () => {
      await Deno.writeFile(big, new Uint8Array());
      await Deno.truncate(big, 16 * 2 ** 30);
    });
    const tool = toolArgv([big]).map(shellQuote).join(" ");
    const r = await spawnProcess(["bash", "-c", interruptScript(tool, "INT", "^0\t")], {
      env: { ...CHECK_ENV, NO_COLOR: "1" },
    });
    const report = parseReport(r.stdout);
    assert.equal(report.rc, "255", r.stdout + r.stderr);
    assert.equal(report.err, "! Aborted\n");
    assert.ok(report.out.split("\n").filter(Boolean).length < 160, "stopped before the end");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A bash script that starts `tool` (a simple command) in /tmp as a background job in its own
 * process group, waits until its stdout has a line matching `ready`, sends `signal` to that
 * process group (what Ctrl-C in a terminal does), and prints `rc=N`, then `--out`, its stdout,
 * `--err`, its stderr.
 */
function interruptScript(tool: string, signal: "INT" | "TERM", ready: string): string {
  return `set -m
cd /tmp
out=$(mktemp); err=$(mktemp)
${tool} > "$out" 2> "$err" &
pid=$!
i=0
while ! grep -q "${ready}" "$out" && kill -0 $pid 2>/dev/null && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done
kill -${signal} -- -$pid
wait $pid; rc=$?
echo "rc=$rc"; echo "--out"; cat "$out"; echo "--err"; cat "$err"
rm -f "$out" "$err"
`;
}

function parseReport(text: string): { rc: string; out: string; err: string } {
  const m = /^rc=(\d+)\n--out\n([\s\S]*?)--err\n([\s\S]*)$/.exec(text);
  assert.ok(m, `unexpected report: ${text}`);
  return { rc: m[1]!, out: m[2]!, err: m[3]! };
}

// ---------------------------------------------------------------------------------------------
// OpenZFS guest

const CONFIG = ozfsConfig();

/** Chunk size of the scenarios: --count 4 of 4096-byte blocks. */
const CHUNK = 16384;
/** Chunk size of the volume scenarios: --count 64. */
const VOL_CHUNK = 262144;

/** Guest shell: expected tree lines of `dir` (os.walk order, dd | sha1sum per chunk). */
function expectedTreeScript(dir: string, chunk: number): string {
  const walk = [
    "import os, sys",
    "top = sys.argv[1]",
    "for d, _, files in os.walk(top):",
    "    for f in files:",
    "        p = os.path.join(d, f)",
    "        if not os.path.islink(p) and os.path.isfile(p): print(os.path.relpath(p, top))",
  ].join("\n");
  return `python3 -c ${shellQuote(walk)} ${shellQuote(dir)} | while IFS= read -r p; do
  size=$(stat -c %s "${dir}/$p"); n=0
  while [ $((n * ${chunk})) -lt "$size" ]; do
    h=$(dd if="${dir}/$p" bs=${chunk} skip=$n count=1 2>/dev/null | sha1sum | cut -d" " -f1)
    printf '%s\\t%s\\t%s\\n' "$p" "$n" "$h"; n=$((n + 1))
  done
done`;
}

/** Guest shell: leftovers of zfs-check (mounts, /tmp dirs, clones in `pool`), one count per line. */
function leftoversScript(pool: string): string {
  return `echo "mounts=$(grep -c zfs-check /proc/mounts)"
echo "dirs=$(ls -d /tmp/zfs-check-* 2>/dev/null | wc -l)"
echo "clones=$(zfs list -H -o name -r ${pool} | grep -c zfs-check)"`;
}

const NO_LEFTOVERS = "mounts=0\ndirs=0\nclones=0\n";

Deno.test({
  name: "zfs-check on OpenZFS: snapshots of file systems and volumes, --check, interrupts and cleanup",
  ignore: !CONFIG,
  async fn(t) {
    const tool = await deployGuestTool();
    await using pools = await createOzfsPools(["chk"], 256);
    const p = pools.names[0]!;
    const run = (args: string) => ozfsRun(`cd /tmp && ${tool.command} ${args}`);
    const leftovers = () => ozfsOk(leftoversScript(p));

    // Files of several sizes (one an exact chunk), a deeper level, and what must be skipped;
    // 4 GiB of holes (a file and a volume) that take far longer to hash than a signal to arrive.
    await ozfsOk(`set -e
zfs create -o compression=off ${p}/fs
cd /${p}/fs
head -c 50000 /dev/urandom > a
mkdir -p sub/deep emptydir
head -c ${CHUNK} /dev/urandom > sub/exact
head -c 20000 /dev/urandom > sub/deep/c
for i in 1 2 3 4 5 6 7 8; do head -c 100 /dev/urandom > "sub/f$i"; done
: > empty
ln -s a link; ln -s sub dirlink; mkfifo fifo; mknod cdev c 1 3
zfs snapshot ${p}/fs@s1
zfs create -o compression=off ${p}/bigfs
truncate -s 4G /${p}/bigfs/sparse
zfs snapshot ${p}/bigfs@s1
zfs create -V 1M ${p}/vol
udevadm settle; i=0; while [ ! -e /dev/zvol/${p}/vol ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
head -c 1048576 /dev/urandom | dd of=/dev/zvol/${p}/vol bs=65536 iflag=fullblock conv=fsync 2>/dev/null
zfs snapshot ${p}/vol@s1
zfs create -s -V 4G ${p}/bigvol
zfs snapshot ${p}/bigvol@s1
echo passphrase-for-test | zfs create -o encryption=on -o keyformat=passphrase -V 1M ${p}/evol
zfs snapshot ${p}/evol@s1
zfs unload-key ${p}/evol
`);
    const expectedTree = await ozfsOk(expectedTreeScript(`/${p}/fs/.zfs/snapshot/s1`, CHUNK));
    const expectedVol = await ozfsOk(
      `for n in 0 1 2 3; do printf '%s\\t%s\\n' $n $(dd if=/dev/zvol/${p}/vol bs=${VOL_CHUNK} skip=$n count=1 2>/dev/null | sha1sum | cut -d" " -f1); done`,
    );
    // Backup targets often hide volumes this way; the clone must still get its device node.
    await ozfsOk(`zfs set volmode=none ${p}`);

    await t.step("a file system snapshot: the tree's lines in os.walk order, then unmounted", async () => {
      assert.ok(expectedTree.split("\n").length > 10, expectedTree);
      const r = await run(`${p}/fs@s1 --count 4`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, expectedTree);
      assert.equal(await leftovers(), NO_LEFTOVERS);
    });

    await t.step("--check of the snapshot with one wrong line: one report line, exit 1", async () => {
      const wrong = "0".repeat(40);
      const list = `${expectedTree}sub/deep/c\t1\t${wrong}\n`;
      const r = await ozfsRun(
        `cd /tmp && cat > list-${p} && ${tool.command} ${p}/fs@s1 --count 4 -c list-${p}`,
        {
          stdin: list,
        },
      );
      const actual = expectedTree.split("\n").find((l) => l.startsWith("sub/deep/c\t1\t"))!.split("\t")[2];
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, `sub/deep/c: Chunk 1 failed: ${wrong} ${actual}\n`);
      assert.equal(await leftovers(), NO_LEFTOVERS);
    });

    await t.step(
      "a volume snapshot under volmode=none: the clone's chunks equal dd of the volume, then it goes",
      async () => {
        const r = await run(`${p}/vol@s1 --count 64`);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, expectedVol);
        assert.equal(await leftovers(), NO_LEFTOVERS);
      },
    );

    await t.step(
      "a volume whose encryption key is not loaded: a timeout that names the key, clone removed",
      async () => {
        const r = await run(`${p}/evol@s1`);
        assert.equal(r.code, 255);
        assert.match(
          r.stderr,
          /^! Waiting for "\/dev\/zvol\/.*" failed: .*encryption key of ".*\/evol" loaded\?\)\n$/,
        );
        assert.equal(await leftovers(), NO_LEFTOVERS);
      },
    );

    await t.step("stdout closed early (| head -n1): one line, exit 0, clone removed", async () => {
      const r = await ozfsRun(
        `cd /tmp && bash -c ${
          shellQuote(`${tool.command} ${p}/bigvol@s1 --count 256 | head -n1; echo "rc=\${PIPESTATUS[0]}"`)
        }`,
      );
      assert.match(r.stdout, /^0\t[0-9a-f]{40}\nrc=0\n$/, r.stderr);
      assert.equal(await leftovers(), NO_LEFTOVERS);
    });

    await t.step("SIGINT while a volume clone is hashed: exit 255, Aborted, clone removed", async () => {
      const script = interruptScript(`${tool.command} ${p}/bigvol@s1 --count 256`, "INT", "^0\t");
      const r = parseReport(await ozfsOk(`bash -c ${shellQuote(script)}`));
      assert.equal(r.rc, "255", r.out + r.err);
      assert.equal(r.err, "! Aborted\n");
      assert.ok(r.out.split("\n").filter(Boolean).length < 4096, "interrupted before the end");
      assert.equal(await leftovers(), NO_LEFTOVERS);
    });

    await t.step(
      "SIGTERM while a mounted snapshot is hashed: exit 255, unmounted, directory removed",
      async () => {
        const script = interruptScript(
          `${tool.command} ${p}/bigfs@s1 --count 256`,
          "TERM",
          "^sparse\t0\t",
        );
        const r = parseReport(await ozfsOk(`bash -c ${shellQuote(script)}`));
        assert.equal(r.rc, "255", r.out + r.err);
        assert.equal(r.err, "! Aborted\n");
        assert.equal(await leftovers(), NO_LEFTOVERS);
      },
    );
  },
});
