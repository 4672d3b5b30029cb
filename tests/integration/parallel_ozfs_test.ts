/**
 * `--parallel` against real OpenZFS 2.3 (the qemu guest, source and target pools in it, every
 * command over ssh): the data arrives intact, held on the target and bookmarked on the source, a failed dataset is
 * counted, several snapshots go as one `-I` stream, and a run stopped by SIGTERM in the middle
 * of its transfers exits 255 and is resumed by the next run.
 */
import assert from "node:assert/strict";
import { backupName, expectCode, linesWith, re, S0, S1, T0, T1 } from "../harness/expect.ts";
import { createOzfsPools, ozfsConfig, ozfsOk, ozfsRun } from "../harness/ozfs.ts";
import { runTool } from "../harness/tool.ts";
import { processes, waitFor } from "../harness/procs.ts";

const CONFIG = ozfsConfig();
const ignore = !CONFIG;
const REMOTE = ["--ssh-source", "ozfs", "--ssh-target", "ozfs"];

/** `sha256sum` of every file below each dataset's mountpoint, by path relative to `root`. */
async function checksums(root: string): Promise<string> {
  return await ozfsOk(
    `cd /${root} && find . -type f | sort | xargs -r sha256sum`,
  );
}

Deno.test({
  name:
    "--parallel 3 on OpenZFS: data intact, held on the target and bookmarked on the source, a failed dataset counted, ranges as one stream",
  ignore,
  async fn() {
    await using pools = await createOzfsPools(["src", "dst"]);
    const [src, dst] = pools.names as [string, string];
    const n = backupName(pools);
    const datasets = ["a", "a/x", "b", "c", "d"];
    await ozfsOk([
      "set -e",
      ...datasets.map((d) => `zfs create ${src}/${d}`),
      ...["a", "b", "c", "d"].map((d) => `zfs set autobackup:${n}=true ${src}/${d}`),
      // Snapshots of a backup made before: three of ours on every dataset; with the one this
      // run makes (there is new data), a new dataset gets its oldest in full, then one range.
      ...["20101110000000", "20101110010000", "20101110020000"].map((t) =>
        `zfs snapshot -r ${src}@${n}-${t}`
      ),
      ...datasets.map((d) => `dd if=/dev/urandom of=/${src}/${d}/data bs=64k count=3 status=none`),
      // A target that exists without snapshots: c's full receive fails.
      `zfs create -p ${dst}/${src}/c`,
    ].join("\n"));
    const args = [n, dst, "--verbose", "--ssh-config", CONFIG!, ...REMOTE, "--parallel", "3"];
    const first = await runTool([...args, "--debug"], { fakeTime: T0 });
    expectCode(first, 1);
    assert.deepEqual(linesWith(first.stderr, "FAILED").length, 1, first.stderr);
    assert.match(first.stderr, new RegExp(`${re(src)}/c: FAILED`));
    // A new dataset: its oldest snapshot in full, the other three (two old, one new) as one range.
    assert.match(
      first.stdout,
      new RegExp(`${re(src)}/a/x@${n}-${S0}: 3 snapshots in one zfs send -I stream`),
    );
    assert.match(first.stdout, new RegExp(`zfs send .*-I @\\S+ ${re(src)}/a/x@${n}-${S0}\\b`));
    const second = await runTool([...args, "--allow-empty"], { fakeTime: T1 });
    expectCode(second, 1);
    for (const d of ["/a", "/a/x", "/b", "/d"]) {
      assert.equal(await checksums(`${dst}/${src}${d}`), await checksums(`${src}${d}`), d);
      // The target holds the common snapshot; the source bookmarks it (both pools have bookmarks).
      const held = await ozfsOk(`zfs holds -H ${src}${d}@${n}-${S1} ${dst}/${src}${d}@${n}-${S1}`);
      assert.equal(linesWith(held, `\tzfs_autobackup:${n}\t`).length, 1, held);
      assert.match(held, new RegExp(`^${re(dst)}/${re(src)}${re(d)}@${n}-${S1}\t`, "m"));
      const marks = await ozfsOk(`zfs list -H -o name -t bookmark -d 1 ${src}${d}`);
      assert.deepEqual(
        marks.trim().split("\n").map((m) => m.replace(/_\d+$/, "")),
        [`${src}${d}#${n}-${S1}`],
        "only the newest common snapshot is bookmarked",
      );
      const oldHolds = await ozfsOk(`zfs holds -H ${src}${d}@${n}-${S0} ${dst}/${src}${d}@${n}-${S0}`);
      assert.equal(oldHolds.trim(), "", "the previous common snapshot was released on both sides");
    }
  },
});

Deno.test({
  name: "--parallel 2 on OpenZFS: SIGTERM stops every transfer (exit 255), the next run resumes them",
  ignore,
  async fn() {
    await using pools = await createOzfsPools(["src", "dst"], 256);
    const [src, dst] = pools.names as [string, string];
    const n = backupName(pools);
    await ozfsOk([
      "set -e",
      `zfs create -o compression=off ${src}/p`,
      `zfs create -o compression=off ${src}/q`,
      `zfs set autobackup:${n}=true ${src}`,
      `dd if=/dev/urandom of=/${src}/p/data bs=1M count=24 status=none`,
      `dd if=/dev/urandom of=/${src}/q/data bs=1M count=24 status=none`,
    ].join("\n"));
    // Slow streams (1 MiB/s) so the stop comes in the middle of both transfers.
    const args = [
      n,
      dst,
      "--verbose",
      "--ssh-config",
      CONFIG!,
      ...REMOTE,
      "--parallel",
      "2",
      "--send-pipe",
      "mbuffer -q -R 1M",
    ];
    const running = runTool(args, { fakeTime: T0 });
    const tool = await waitFor("the run to start", async () => {
      const procs = await processes();
      return procs.find((p) => p.argv[0] === Deno.execPath() && p.argv.includes(n));
    }, 60_000);
    // Both receives run in the guest: let them get a little way, then stop the run.
    await waitFor("both receives to run", async () => {
      const ps = (await ozfsOk("ps -eo args")).split("\n").filter((l) => l.includes("zfs recv"));
      const both = ["p", "q"].every((d) => ps.some((l) => l.endsWith(`${dst}/${src}/${d}`)));
      return both || undefined;
    }, 120_000);
    // A receive makes its dataset (which then keeps the resume token) only once data arrived.
    await waitFor("both receiving datasets to exist", async () => {
      const r = await ozfsRun(`zfs list -H -o name ${dst}/${src}/p ${dst}/${src}/q`);
      return r.code === 0 || undefined;
    }, 120_000);
    await new Promise((r) => setTimeout(r, 3000));
    Deno.kill(tool.pid, "SIGTERM");
    const stopped = await running;
    assert.equal(stopped.code, 255, `${stopped.stdout}\n${stopped.stderr}`);
    assert.match(stopped.stderr, /Aborted/);
    // The guest's side of the pipelines ends when their ssh session is gone: give it a moment.
    const tokens = await ozfsOk(
      `for i in $(seq 20); do zfs get -H -o value receive_resume_token ${dst}/${src}/p ${dst}/${src}/q | ` +
        `grep -q '^-$' || break; sleep 1; done; ` +
        `zfs get -H -o name,value receive_resume_token ${dst}/${src}/p ${dst}/${src}/q`,
    );
    assert.equal(
      linesWith(tokens, /\t[0-9a-f]+-/).length,
      2,
      `both transfers left a resume token:\n${tokens}`,
    );
    const resumed = await runTool(args.filter((a) => a !== "mbuffer -q -R 1M" && a !== "--send-pipe"), {
      fakeTime: T0,
    });
    expectCode(resumed, 0);
    assert.equal(linesWith(resumed.stdout, ": resuming").length, 2, resumed.stdout);
    for (const d of ["p", "q"]) {
      assert.equal(await checksums(`${dst}/${src}/${d}`), await checksums(`${src}/${d}`), d);
    }
    assert.match(resumed.stdout, new RegExp(`${re(src)}/q@${n}-${S0}: -> `));
  },
});
