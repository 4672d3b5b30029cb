/**
 * `deno task bench:parallel`: a first run (everything sent in full) of `--datasets` datasets of
 * `--size-mib` MiB of random data each, with `--parallel 1` and `--parallel N`, on the OpenZFS
 * guest (../shared/testbed; booted here when it is not running), pool to pool inside the guest
 * over ssh (`--ssh-source ozfs --ssh-target ozfs`). The two are alternated, the target emptied
 * between runs, `--rounds` times; the medians and their ratio are printed. Run it as
 * `flock /work/guest.lock deno task bench:parallel` where other sessions share the guest.
 *
 *     deno task bench:parallel [--datasets 16] [--size-mib 64] [--parallel 4] [--rounds 3]
 */
import { parseArgs } from "node:util";
import { ozfsOk, ozfsRun, prepareOzfsVm, releaseOzfsVm } from "../tests/harness/ozfs.ts";
import { runTool } from "../tests/harness/tool.ts";
import { ENV_OZFS_SSH_CONFIG } from "../tests/harness/env.ts";

const { values } = parseArgs({
  options: {
    datasets: { type: "string", default: "16" },
    "size-mib": { type: "string", default: "64" },
    parallel: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
  },
});
const n = Number(values.datasets);
const size = Number(values["size-mib"]);
const parallel = Number(values.parallel);
const rounds = Number(values.rounds);
const SRC = "bpa_src";
const TGT = "bpa_tgt";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

let startedByUs = false;
const prepared = await prepareOzfsVm((l) => console.error(l), () => startedByUs = true);
if (!("ready" in prepared)) throw new Error(`The OpenZFS guest is not available: ${prepared.skipped}`);
const config = prepared.ready.configPath;
Deno.env.set(ENV_OZFS_SSH_CONFIG, config);
const remote = [
  "--ssh-config",
  config,
  "--ssh-source",
  "ozfs",
  "--ssh-target",
  "ozfs",
  "--utc",
  "--no-progress",
];
try {
  const t0 = performance.now();
  // The guest's own disks: file-backed pools would live on its emulated root disk.
  await ozfsOk([
    "set -e",
    `for p in ${SRC} ${TGT}; do zpool destroy -f $p 2>/dev/null || true; done`,
    `zpool create -f -O compression=off ${SRC} /dev/vdb`,
    `zpool create -f -O compression=off ${TGT} /dev/vdc`,
    `zfs set autobackup:bpa=true ${SRC}`,
    `for i in $(seq 1 ${n}); do zfs create ${SRC}/fs$i; done`,
    `for i in $(seq 1 ${n}); do dd if=/dev/urandom of=/${SRC}/fs$i/data bs=1M count=${size} status=none & done; wait`,
    "sync",
  ].join("\n"));
  console.error(`pools built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const times: Record<string, number[]> = { "1": [], [String(parallel)]: [] };
  for (let round = 0; round < rounds; round++) {
    for (const p of [1, parallel]) {
      await ozfsOk(
        `zfs list -H -o name -t snapshot -r ${SRC} | xargs -rn1 zfs destroy; ` +
          `zfs destroy -r ${TGT}/${SRC} 2>/dev/null; true`,
      );
      const start = performance.now();
      const r = await runTool(["bpa", TGT, "--verbose", "--no-holds", "--parallel", String(p), ...remote], {
        fakeTime: "2020-01-01 00:00:00",
      });
      const seconds = (performance.now() - start) / 1000;
      if (r.code !== 0) throw new Error(`The run with --parallel ${p} failed (${r.code}): ${r.stderr}`);
      const sent = /Transferred (\d+) snapshots?/.exec(r.stdout)?.[1];
      if (Number(sent) !== n + 1) throw new Error(`Expected ${n + 1} snapshots sent, the run says ${sent}`);
      times[String(p)]!.push(seconds);
      console.error(`round ${round + 1}: --parallel ${p}: ${seconds.toFixed(1)} s`);
    }
  }
  const one = median(times["1"]!);
  const many = median(times[String(parallel)]!);
  console.log(
    `\n| first run, ${n} datasets x ${size} MiB, guest pool to pool | wall s (each run) | median |`,
  );
  console.log("|---|---|---:|");
  for (const p of ["1", String(parallel)]) {
    console.log(
      `| --parallel ${p} | ${times[p]!.map((s) => s.toFixed(1)).join(", ")} | ${
        median(times[p]!).toFixed(1)
      } |`,
    );
  }
  console.log(
    `\n--parallel ${parallel} / --parallel 1: ${(many / one).toFixed(2)} (${
      (one / many).toFixed(2)
    }x faster)`,
  );
} finally {
  await ozfsRun(`zpool destroy -f ${SRC}; zpool destroy -f ${TGT}`);
  await releaseOzfsVm(startedByUs, false, (l) => console.error(l));
}
