/**
 * `deno task bench:backup`: real backups on the OpenZFS guest (../shared/testbed, `ozfs-vm up`).
 *
 * 1. Command count: 100 selected datasets, a first run, a second (incremental) run and a third
 *    run with nothing changed, with bookmarks (the default) and with --no-bookmarks; the number
 *    of zfs/ssh commands each run needed (upstream 3.3: about 842 and 1047 for the first two,
 *    its own test_scaling figures).
 * 2. Throughput: a 1 GiB dataset backed up by the tool (`--ssh-source ozfs --ssh-target ozfs`,
 *    so the pipeline runs inside the guest) against `zfs send | zfs recv` typed by hand in the
 *    guest, alternating, median of N.
 *
 *     deno task bench:backup [--datasets 100] [--size-mib 1024] [--rounds 3] [--only count|throughput]
 */
import { parseArgs } from "node:util";
import { ozfsOk } from "../tests/harness/ozfs.ts";
import { runTool } from "../tests/harness/tool.ts";
import { ENV_OZFS_SSH_CONFIG } from "../tests/harness/env.ts";
import { median } from "./bench_stats.ts";

const { values } = parseArgs({
  options: {
    datasets: { type: "string", default: "100" },
    "size-mib": { type: "string", default: "1024" },
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
  },
});
const config = Deno.env.get(ENV_OZFS_SSH_CONFIG) || "/var/tmp/ozfs/ssh_config";
Deno.env.set(ENV_OZFS_SSH_CONFIG, config);
const remote = ["--ssh-config", config, "--ssh-source", "ozfs", "--ssh-target", "ozfs", "--utc"];

function commandsRun(stdout: string): number {
  const m = /(\d+) commands run/.exec(stdout);
  if (!m) throw new Error(`Reading the command count failed:\n${stdout}`);
  return Number(m[1]);
}

/** Commands of a first, a second (incremental) and a third run without changes, on fresh pools. */
async function runsOf(n: number, extra: readonly string[]): Promise<[number, number, number]> {
  await ozfsOk(
    "set -e; mkdir -p /var/tmp/zab; for p in zbc_src zbc_tgt; do zpool destroy $p 2>/dev/null || true; " +
      "truncate -s 512M /var/tmp/zab/$p.img; zpool create $p /var/tmp/zab/$p.img; done; " +
      `zfs set autobackup:bench=true zbc_src; for i in $(seq 1 ${n}); do zfs create zbc_src/fs$i; done`,
  );
  try {
    const counts: number[] = [];
    for (
      const [time, more] of [
        ["2010-11-11 00:00:00", []],
        ["2010-11-11 01:00:00", ["--allow-empty"]],
        // Nothing changed: no snapshot, nothing to send.
        ["2010-11-11 02:00:00", []],
      ] as const
    ) {
      const r = await runTool(["bench", "zbc_tgt", "--verbose", ...more, ...extra, ...remote], {
        fakeTime: time,
      });
      if (r.code) throw new Error(`Backup failed: ${r.stderr}`);
      counts.push(commandsRun(r.stdout));
    }
    return counts as [number, number, number];
  } finally {
    await ozfsOk("for p in zbc_src zbc_tgt; do zpool destroy $p; rm -f /var/tmp/zab/$p.img; done");
  }
}

async function countCommands(n: number): Promise<void> {
  const bookmarks = await runsOf(n, []);
  const holds = await runsOf(n, ["--no-bookmarks"]);
  console.log(`\n| run over ${n + 1} datasets | bookmarks (default) | --no-bookmarks | upstream 3.3 |`);
  console.log("|---|---:|---:|---:|");
  console.log(`| first (full) | ${bookmarks[0]} | ${holds[0]} | ~842 |`);
  console.log(`| second (incremental) | ${bookmarks[1]} | ${holds[1]} | ~1047 |`);
  console.log(`| third (no change) | ${bookmarks[2]} | ${holds[2]} | |`);
}

async function throughput(sizeMiB: number, rounds: number): Promise<void> {
  // The guest's own 2 GiB disks: file-backed pools would live on the emulated root disk.
  await ozfsOk(
    "set -e; for p in zbt_src zbt_tgt; do zpool destroy $p 2>/dev/null || true; done; " +
      "zpool create -f -O compression=off zbt_src /dev/vdb; zpool create -f -O compression=off zbt_tgt /dev/vdc; " +
      `zfs create zbt_src/data; dd if=/dev/urandom of=/zbt_src/data/big bs=1M count=${sizeMiB} 2>/dev/null; ` +
      "zfs set autobackup:tput=true zbt_src/data; zfs snapshot zbt_src/data@hand; zfs create -o canmount=off zbt_tgt/zbt_src",
  );
  try {
    const hand: number[] = [];
    const tool: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await ozfsOk(
        "zfs destroy -r zbt_tgt/hand 2>/dev/null; zfs destroy -r zbt_tgt/zbt_src/data 2>/dev/null; true",
      );
      const t0 = performance.now();
      await ozfsOk("zfs send -L -e -p zbt_src/data@hand | zfs recv -u zbt_tgt/hand");
      hand.push(sizeMiB / ((performance.now() - t0) / 1000));
      // The tool's own snapshot, then a full send of it; only the transfer is timed, from
      // the tool's verbose statistics, so ssh start-up and listings do not count.
      await ozfsOk(
        "zfs destroy -r zbt_tgt/hand; zfs list -H -o name -t snapshot -r zbt_src/data | grep @tput- | xargs -rn1 zfs destroy",
      );
      const r = await runTool(["tput", "zbt_tgt", "--verbose", "--no-holds", ...remote]);
      if (r.code) throw new Error(`Backup failed: ${r.stderr}`);
      const m = /received [\d.]+ \w+ in ([\d.]+) s/.exec(r.stdout);
      if (!m) throw new Error(`Reading the transfer time failed:\n${r.stdout}`);
      tool.push(sizeMiB / Number(m[1]));
    }
    const h = median(hand);
    const t = median(tool);
    console.log(`\n${sizeMiB} MiB full send inside the guest, median of ${rounds}:`);
    console.log(`| path | MiB/s (each run) | median |`);
    console.log("|---|---|---:|");
    console.log(
      `| zfs send \\| zfs recv by hand | ${hand.map((x) => x.toFixed(1)).join(", ")} | ${h.toFixed(1)} |`,
    );
    console.log(`| zfs-autobackup | ${tool.map((x) => x.toFixed(1)).join(", ")} | ${t.toFixed(1)} |`);
    console.log(`ratio ${(t / h).toFixed(3)}`);
  } finally {
    await ozfsOk("zpool destroy zbt_src; zpool destroy zbt_tgt");
  }
}

if (values.only !== "throughput") await countCommands(Number(values.datasets));
if (values.only !== "count") await throughput(Number(values["size-mib"]), Number(values.rounds));
