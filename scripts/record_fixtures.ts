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
import { destroyFusePool, ensureZfsFuse, zfs, zpool } from "../tests/harness/zfs_fuse.ts";

const OZFS_CONFIG = Deno.env.get(ENV_OZFS_SSH_CONFIG) ?? "/var/tmp/ozfs/ssh_config";
Deno.env.set(ENV_OZFS_SSH_CONFIG, OZFS_CONFIG);
const REMOTE = ["--ssh-config", OZFS_CONFIG, "--ssh-source", "ozfs", "--ssh-target", "ozfs", "--utc"];

async function record(name: string, args: string[], fakeTime: string): Promise<void> {
  const path = fixturePath(name);
  const r = await runTool(args, { fakeTime, env: { ZFS_AUTOBACKUP_RECORD: path } });
  console.log(`${name}: exit ${r.code}`);
  if (r.stderr.trim()) console.log(r.stderr.trim());
}

/** Fresh source and target pools in the guest with upstream's test layout (reference §7). */
async function guestPools(): Promise<void> {
  await ozfsOk(
    "set -e; mkdir -p /var/tmp/zab; for p in zfx_src zfx_tgt; do zpool destroy $p 2>/dev/null || true; " +
      "rm -f /var/tmp/zab/$p.img; truncate -s 128M /var/tmp/zab/$p.img; zpool create $p /var/tmp/zab/$p.img; done; " +
      "zfs create zfx_src/fs1; zfs create zfx_src/fs1/sub; zfs create zfx_src/fs2; zfs create zfx_src/fs2/sub; " +
      "zfs set autobackup:test=true zfx_src/fs1; zfs set autobackup:test=child zfx_src/fs2; " +
      "dd if=/dev/urandom of=/zfx_src/fs1/data bs=64k count=4 2>/dev/null; sync",
  );
}

async function dropGuestPools(): Promise<void> {
  await ozfsOk(
    "for p in zfx_src zfx_tgt; do zpool destroy $p 2>/dev/null; rm -f /var/tmp/zab/$p.img; done; true",
  );
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
      await zpool(["create", p, f]);
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
