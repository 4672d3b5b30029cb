/**
 * Re-records the replay fixtures in tests/fixtures/ from real ZFS: the OpenZFS guest
 * (../shared/testbed, booted with `ozfs-vm up`) and local zfs-fuse. Each scenario builds its
 * pools from scratch with fixed names, runs the tool under a fixed clock with
 * ZFS_AUTOBACKUP_RECORD set, and destroys the pools again.
 *
 *     deno run -A scripts/record_fixtures.ts [scenario...]
 *
 * Needs ZAB_TEST_OZFS_SSH_CONFIG (or /var/tmp/ozfs/ssh_config) for the guest scenarios.
 */
import { fixturePath } from "../tests/harness/replay.ts";
import { runTool } from "../tests/harness/tool.ts";
import { ozfsOk } from "../tests/harness/ozfs.ts";
import { ENV_OZFS_SSH_CONFIG } from "../tests/harness/env.ts";
import { destroyFusePool, ensureZfsFuse, zfs, zpool, ZPOOL_LOCK } from "../tests/harness/zfs_fuse.ts";
import { withLock } from "../tests/harness/env.ts";

const OZFS_CONFIG = Deno.env.get(ENV_OZFS_SSH_CONFIG) ?? "/var/tmp/ozfs/ssh_config";
Deno.env.set(ENV_OZFS_SSH_CONFIG, OZFS_CONFIG);
const REMOTE = ["--ssh-config", OZFS_CONFIG, "--ssh-source", "ozfs", "--ssh-target", "ozfs", "--utc"];

async function record(name: string, args: string[], fakeTime: string): Promise<void> {
  const path = fixturePath(name);
  const r = await runTool(args, { fakeTime, env: { ZFS_AUTOBACKUP_RECORD: path } });
  console.log(`${name}: exit ${r.code}`);
  if (r.stderr.trim()) console.log(r.stderr.trim());
}

/** A run that only builds the state a recorded run starts from; it must succeed. */
async function prepare(args: string[], fakeTime: string): Promise<void> {
  const r = await runTool(args, { fakeTime });
  if (r.code !== 0) {
    throw new Error(`Preparing a recording failed: "${args.join(" ")}" exited ${r.code}: ${r.stderr.trim()}`);
  }
}

/**
 * Fresh pools `<prefix>_src` and `<prefix>_tgt` in the guest. Without `layout`, upstream's
 * test layout (reference §7); with it, that shell text builds the source datasets.
 */
async function guestPools(prefix = "zfx", layout?: string): Promise<void> {
  const src = `${prefix}_src`;
  await ozfsOk(
    `set -e; mkdir -p /var/tmp/zab; for p in ${src} ${prefix}_tgt; do zpool destroy $p 2>/dev/null || true; ` +
      "rm -f /var/tmp/zab/$p.img; truncate -s 128M /var/tmp/zab/$p.img; zpool create $p /var/tmp/zab/$p.img; done; " +
      (layout ??
        `zfs create ${src}/fs1; zfs create ${src}/fs1/sub; zfs create ${src}/fs2; zfs create ${src}/fs2/sub; ` +
          `zfs set autobackup:test=true ${src}/fs1; zfs set autobackup:test=child ${src}/fs2; ` +
          `dd if=/dev/urandom of=/${src}/fs1/data bs=64k count=4 2>/dev/null; sync`),
  );
}

async function dropGuestPools(prefix = "zfx"): Promise<void> {
  await ozfsOk(
    `for p in ${prefix}_src ${prefix}_tgt; do zpool destroy $p 2>/dev/null; rm -f /var/tmp/zab/$p.img; done; true`,
  );
}

/** One selected dataset `<prefix>_src/fs1` with 256 KiB of data. */
function oneDataset(prefix: string): string {
  const src = `${prefix}_src`;
  return `zfs create ${src}/fs1; zfs set autobackup:test=true ${src}/fs1; ` +
    `dd if=/dev/urandom of=/${src}/fs1/data bs=64k count=4 2>/dev/null; sync`;
}

const scenarios: Record<string, () => Promise<void>> = {
  /** First full backup, then an incremental one, then incompatible target snapshots. */
  async ozfs() {
    await guestPools();
    try {
      await record("ozfs_first_run", ["test", "zfx_tgt", "--verbose", ...REMOTE], "2010-11-11 00:00:00");
      await record(
        "ozfs_incremental",
        ["test", "zfx_tgt", "--verbose", "--allow-empty", ...REMOTE],
        "2010-11-11 00:00:01",
      );
      await ozfsOk(
        "dd if=/dev/urandom of=/zfx_tgt/zfx_src/fs1/extra bs=64k count=1 2>/dev/null; sync; zfs snapshot zfx_tgt/zfx_src/fs1@manual; sync",
      );
      await record(
        "ozfs_incompatible",
        ["test", "zfx_tgt", "--verbose", "--allow-empty", ...REMOTE],
        "2010-11-11 00:00:02",
      );
      await record(
        "ozfs_destroy_incompatible",
        ["test", "zfx_tgt", "--verbose", "--allow-empty", "--destroy-incompatible", ...REMOTE],
        "2010-11-11 00:00:03",
      );
      await record(
        "ozfs_test_mode",
        ["test", "zfx_tgt", "--test", "--allow-empty", ...REMOTE],
        "2010-11-11 00:00:04",
      );
    } finally {
      await dropGuestPools();
    }
  },
  /** An interrupted first transfer leaves a resume token; the next run finishes it. */
  async "ozfs_resume"() {
    await guestPools();
    try {
      await ozfsOk(
        "zfs snapshot zfx_src/fs1@test-20101111000000; zfs create -o canmount=off zfx_tgt/zfx_src; " +
          "zfs send zfx_src/fs1@test-20101111000000 | head -c 100000 | zfs recv -s -u zfx_tgt/zfx_src/fs1 || true",
      );
      await record(
        "ozfs_resume",
        ["test", "zfx_tgt", "--verbose", "--no-snapshot", ...REMOTE],
        "2010-11-11 00:00:05",
      );
    } finally {
      await dropGuestPools();
    }
  },
  /** Snapshot-only mode thinning two years of daily snapshots under the default schedule. */
  async "ozfs_thinning"() {
    await guestPools();
    try {
      const names: string[] = [];
      for (let t = Date.UTC(2008, 10, 11); t < Date.UTC(2010, 10, 11); t += 3 * 86400_000) {
        const d = new Date(t);
        const p = (n: number) => String(n).padStart(2, "0");
        names.push(
          `zfx_src/fs1@test-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}000000`,
        );
      }
      await ozfsOk(`for s in ${names.join(" ")}; do zfs snapshot $s; done`);
      await record(
        "ozfs_thinning",
        ["test", "--verbose", "--allow-empty", "--ssh-config", OZFS_CONFIG, "--ssh-source", "ozfs", "--utc"],
        "2010-11-11 00:00:00",
      );
    } finally {
      await dropGuestPools();
    }
  },
  /**
   * Backup-mode thinning with --keep-source=1 --keep-target=1: the pre-clean destroys the
   * snapshot before the common one on both sides, and the previous common snapshot goes at the
   * end, after its hold moved. Then a stale hold of ours (an interrupted run released nothing)
   * on an obsolete snapshot on both sides: looked up, released, destroyed. With --no-bookmarks
   * (holds on both sides, as zfs-autobackup 3.3), which is what these fixtures are about.
   */
  async "ozfs_keep"() {
    const args = (...more: string[]) => [
      "test",
      "zfk_tgt",
      "--verbose",
      "--allow-empty",
      "--no-bookmarks",
      ...more,
      ...REMOTE,
    ];
    await guestPools("zfk", oneDataset("zfk"));
    try {
      await prepare(args(), "2010-11-11 00:00:00");
      await prepare(args(), "2010-11-11 00:00:01");
      await record(
        "ozfs_keep_thinning",
        args("--keep-source=1", "--keep-target=1"),
        "2010-11-11 00:00:02",
      );
      await prepare(args(), "2010-11-11 00:00:03");
      // What a run interrupted between moving the holds and releasing the old ones leaves.
      await ozfsOk(
        "zfs hold zfs_autobackup:test zfk_src/fs1@test-20101111000002 && " +
          "zfs hold zfs_autobackup:test zfk_tgt/zfk_src/fs1@test-20101111000002",
      );
      await record(
        "ozfs_stale_hold",
        args("--keep-source=1", "--keep-target=1"),
        "2010-11-11 00:00:04",
      );
    } finally {
      await dropGuestPools("zfk");
    }
  },
  /**
   * --destroy-missing 30d: target datasets whose source is gone, backed up long ago (old, with
   * two snapshots of ours; parent, with its child), recently (young), or with two snapshots of
   * ours and one of someone else (other); a live dataset is synced as usual and never touched
   * otherwise.
   */
  async "ozfs_destroy_missing"() {
    const src = "zfm_src";
    const select = (...names: string[]) =>
      names.map((d) => `zfs set autobackup:test=true ${src}/${d}; `).join("");
    const datasets = ["live", "old", "young", "other", "parent", "parent/child"];
    await guestPools(
      "zfm",
      datasets.map((d) => `zfs create ${src}/${d}; `).join("") + select("live", "old", "other") +
        `dd if=/dev/urandom of=/${src}/live/data bs=64k count=1 2>/dev/null; sync`,
    );
    // Sources disappear: our holds released, then destroyed (as a user would).
    const gone = (...names: string[]) =>
      ozfsOk(
        "set -e; " + names.map((d) =>
          `for s in $(zfs list -H -o name -t snapshot -r ${src}/${d}); do ` +
          `zfs release zfs_autobackup:test $s 2>/dev/null || true; done; zfs destroy -r ${src}/${d}; `
        ).join(""),
      );
    const args = (...more: string[]) => [
      "test",
      "zfm_tgt",
      "--verbose",
      "--allow-empty",
      "--no-bookmarks",
      ...more,
      ...REMOTE,
    ];
    try {
      await prepare(args(), "2010-08-01 00:00:00");
      await ozfsOk(select("young", "parent"));
      await prepare(args(), "2010-09-01 00:00:00");
      await gone("old", "other", "parent");
      await prepare(args(), "2010-11-01 00:00:00");
      await gone("young");
      await ozfsOk("zfs snapshot zfm_tgt/zfm_src/other@manual");
      await record("ozfs_destroy_missing", args("--destroy-missing", "30d"), "2010-11-11 00:00:00");
    } finally {
      await dropGuestPools("zfm");
    }
  },
  /**
   * A resume token for a snapshot the source no longer has (an incremental receive was cut
   * off, then that snapshot was destroyed): the run aborts the resume and sends anew.
   */
  async "ozfs_resume_aborted"() {
    const args = ["test", "zfa_tgt", "--verbose", "--allow-empty", "--no-bookmarks", ...REMOTE];
    await guestPools("zfa", oneDataset("zfa"));
    try {
      await prepare(args, "2010-11-11 00:00:00");
      await ozfsOk(
        "set -e; dd if=/dev/urandom of=/zfa_src/fs1/more bs=64k count=4 2>/dev/null; sync; " +
          "zfs snapshot zfa_src/fs1@test-20101111000001; " +
          "zfs send -i @test-20101111000000 zfa_src/fs1@test-20101111000001 | head -c 100000 | " +
          "zfs recv -s -u zfa_tgt/zfa_src/fs1 || true; " +
          "zfs get -H -o value receive_resume_token zfa_tgt/zfa_src/fs1 | grep -qv '^-$'; " +
          "zfs destroy zfa_src/fs1@test-20101111000001",
      );
      await record("ozfs_resume_aborted", args, "2010-11-11 00:00:02");
    } finally {
      await dropGuestPools("zfa");
    }
  },
  /**
   * Bookmarks and the choice of the common point, one source dataset and two targets (a and b,
   * two TARGET-PATHs with their own guids): an incremental from this target's bookmark; a
   * source snapshot destroyed by hand with both targets' bookmarks of it left (this target's is
   * used); a bookmark of this target's name but another snapshot (ignored, kept); --no-bookmarks
   * continuing from a bookmark with holds on the source; then a chain with a source hold and no
   * bookmark (as 3.3 leaves it) taken over under --keep-source=0.
   */
  async "ozfs_bookmarks"() {
    const src = "zfb_src/fs1";
    const args = (target: string, ...more: string[]) => [
      "test",
      `zfb_tgt/${target}`,
      "--verbose",
      "--allow-empty",
      // Each target's received datasets carry the selection property: never back them up.
      "--exclude-received",
      ...more,
      ...REMOTE,
    ];
    await guestPools("zfb", oneDataset("zfb") + "; zfs create zfb_tgt/a; zfs create zfb_tgt/b");
    const guidA = (await ozfsOk("zfs get -H -o value guid zfb_tgt/a")).trim();
    try {
      await prepare(args("a"), "2010-11-11 00:00:00");
      await record("ozfs_bookmark_incremental", args("a"), "2010-11-11 00:00:01");
      await prepare(args("b"), "2010-11-11 00:00:02");
      await prepare(args("a", "--no-snapshot"), "2010-11-11 00:00:03");
      // Both targets now have a bookmark of test-20101111000002; the snapshot goes by hand.
      await ozfsOk(`zfs destroy ${src}@test-20101111000002`);
      await record("ozfs_bookmark_hand_destroyed", args("a"), "2010-11-11 00:00:04");
      // This target's bookmark of test-20101111000004 is replaced by one of another snapshot.
      await ozfsOk(
        `set -e; zfs destroy '${src}#test-20101111000004_${guidA}'; zfs snapshot ${src}@wrong; ` +
          `zfs bookmark ${src}@wrong '${src}#test-20101111000004_${guidA}'; zfs destroy ${src}@wrong`,
      );
      await record("ozfs_bookmark_wrong_guid", args("a"), "2010-11-11 00:00:05");
      await ozfsOk(`zfs destroy ${src}@test-20101111000005`);
      await record("ozfs_no_bookmarks", args("a", "--no-bookmarks"), "2010-11-11 00:00:06");
      await record("ozfs_bookmark_takeover", args("a", "--keep-source=0"), "2010-11-11 00:00:07");
    } finally {
      await dropGuestPools("zfb");
    }
  },
  /** Old ZFS: a local first run and an incremental run on zfs-fuse. */
  async fuse() {
    await ensureZfsFuse();
    const dir = "/var/tmp/zab-test/fixture-pools";
    await Deno.mkdir(dir, { recursive: true });
    for (const p of ["zfxf_src", "zfxf_tgt"]) {
      await destroyFusePool(p);
      const f = `${dir}/${p}.img`;
      await Deno.writeFile(f, new Uint8Array());
      await Deno.truncate(f, 128 * 1024 * 1024);
      // Never beside another zpool create: that wedges zfs-fuse (see ZPOOL_LOCK).
      await withLock(ZPOOL_LOCK, () => zpool(["create", p, f]));
    }
    try {
      await zfs(["create", "zfxf_src/fs1"]);
      await zfs(["create", "zfxf_src/fs1/sub"]);
      await zfs(["set", "autobackup:test=true", "zfxf_src/fs1"]);
      await record("fuse_first_run", ["test", "zfxf_tgt", "--verbose", "--utc"], "2010-11-11 00:00:00");
      await record(
        "fuse_incremental",
        ["test", "zfxf_tgt", "--verbose", "--utc", "--rollback"],
        "2010-11-11 00:00:01",
      );
    } finally {
      for (const p of ["zfxf_src", "zfxf_tgt"]) await destroyFusePool(p);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
};

const wanted = Deno.args.length ? Deno.args : Object.keys(scenarios);
for (const name of wanted) {
  const run = scenarios[name];
  if (!run) {
    throw new Error(
      `Recording failed: unknown scenario "${name}" (known: ${Object.keys(scenarios).join(", ")})`,
    );
  }
  await run();
}
