/**
 * `deno task bench:scale`: how a run scales with the number of datasets, on the OpenZFS guest
 * (../shared/testbed; booted here when it is not running). The guest is shared: run it as
 * `flock /work/guest.lock deno task bench:scale ...` where other sessions use it too.
 *
 * The source is a pool of 300 datasets (15 groups of 20) with `--snapshots` snapshots each,
 * named as this backup names them, at times the default schedule keeps (so the target keeps
 * every one). The target is an exact copy made by ZFS itself (a mirror split off the source, the
 * same snapshots and guids): building either by `zfs create`/`zfs recv` takes the emulated guest
 * most of an hour, so both pools live on the guest's spare disks (vdd, vde) and are kept,
 * exported, for the next run (`--rebuild` makes them anew). Backup names select 1, 10, 100 or
 * 300 of the datasets. Then, with `--ssh-source ozfs --ssh-target ozfs` (pool to pool inside the
 * guest, every command over ssh as in production), for each `--datasets` count:
 *
 * 1. `--rounds` no-change runs (nothing to snapshot, send or thin): wall time, command count,
 *    time per phase;
 * 2. beside each, the floor: a bare `zfs list -H -t all -o name -r` of each pool over a fresh
 *    ssh connection.
 *
 * `--first N` adds a first run (everything sent) of N datasets x `--snapshots` into an empty
 * pool, with a no-change run after it (file-backed pools, made for it and destroyed): receiving
 * costs the guest seconds per snapshot, so 300 x 20 would take hours.
 *
 *     deno task bench:scale [--datasets 1,10,100,300] [--snapshots 20] [--rounds 3]
 *                           [--parallel 1] [--first 20] [--rebuild] [--no-floor]
 *                           [--entry OTHER/main.ts]
 *
 * `--entry` runs another checkout of the tool (to compare with an earlier version).
 */
import { parseArgs } from "node:util";
import { ozfsOk, ozfsRun, prepareOzfsVm, releaseOzfsVm } from "../tests/harness/ozfs.ts";
import { runTool } from "../tests/harness/tool.ts";
import { ENV_OZFS_SSH_CONFIG } from "../tests/harness/env.ts";
import { spawnProcess } from "../lib/exec/process.ts";
import { parseSchedule } from "../lib/thinner/schedule.ts";
import { thinOurs } from "../lib/thinner/thinner.ts";
import { SnapshotFormat } from "../lib/snapshot/snapshot_format.ts";
import { DEFAULTS } from "../lib/job/job.ts";

const { values } = parseArgs({
  options: {
    datasets: { type: "string", default: "1,10,100,300" },
    snapshots: { type: "string", default: "20" },
    parallel: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    first: { type: "string" },
    rebuild: { type: "boolean", default: false },
    "no-floor": { type: "boolean", default: false },
    entry: { type: "string" },
  },
});

const NAME = "bsc";
const SRC = "bsc_src";
const TGT = "bsc_tgt";
/** Every backup name uses this format, so the snapshots are "ours" whatever the name. */
const FORMAT = `${NAME}-%Y%m%d%H%M%S`;
/** The run's frozen clock. */
const NOW = "2020-01-01 00:00:00";
const NOW_S = Date.UTC(2020, 0, 1) / 1000;
const GROUPS = 15;
const GROUP = 20;
/** Datasets each backup name selects: bsc1, bsc10, bsc100, bsc300. */
const SUBSETS = [1, 10, 100, 300];

/**
 * `count` snapshot names the default schedule keeps at NOW: hourly snapshots over two years,
 * thinned as the tool thins them, newest first.
 */
function keptSnapshotNames(count: number): string[] {
  const format = new SnapshotFormat(`${NAME}-%Y%m%d%H%M%S`, true);
  const schedule = parseSchedule(DEFAULTS.keep);
  const times: number[] = [];
  for (let t = NOW_S - 2 * 366 * 86400; t < NOW_S; t += 3600) times.push(t);
  const kept = thinOurs(schedule, times, (t) => t, NOW_S).filter((d) => d.keep).map((d) => d.item);
  if (kept.length < count) {
    throw new Error(`Choosing snapshot times failed: the default schedule keeps only ${kept.length}`);
  }
  const chosen = kept.slice(-count);
  // Everything chosen must survive thinning at NOW, or the target would thin at once.
  if (thinOurs(schedule, chosen, (t) => t, NOW_S).some((d) => !d.keep)) {
    throw new Error("Choosing snapshot times failed: the chosen snapshots are not all kept");
  }
  return chosen.map((t) => format.format(t * 1000));
}

/**
 * Guest script: the source on vdd (groups g1..g15 of 20 datasets: the group and 19 children),
 * the selection properties of every subset, the snapshots; then the target as a mirror split
 * off it. Both pools are left imported.
 */
function buildScript(snapshots: string[]): string {
  const members = `$(seq 1 ${GROUP - 1})`;
  return [
    "set -e",
    `for p in ${SRC} ${TGT}; do zpool destroy -f $p 2>/dev/null || true; done`,
    `zpool labelclear -f /dev/vdd 2>/dev/null || true; zpool labelclear -f /dev/vde 2>/dev/null || true`,
    `zpool create -f -O compression=off -O mountpoint=none ${SRC} /dev/vdd`,
    `for g in $(seq 1 ${GROUPS}); do echo ${SRC}/g$g; done | xargs -P 4 -n 1 zfs create`,
    `for g in $(seq 1 ${GROUPS}); do for j in ${members}; do echo ${SRC}/g$g/fs$j; done; done | xargs -P 4 -n 1 zfs create`,
    `for g in $(seq 1 ${GROUPS}); do zfs set autobackup:${NAME}300=true ${SRC}/g$g; done`,
    `for g in $(seq 1 5); do zfs set autobackup:${NAME}100=true ${SRC}/g$g; done`,
    `for j in $(seq 1 10); do zfs set autobackup:${NAME}10=true ${SRC}/g1/fs$j; done`,
    `zfs set autobackup:${NAME}1=true ${SRC}/g1/fs1`,
    ...snapshots.map((s) => `zfs snapshot -r ${SRC}@${s}`),
    `zpool attach -f ${SRC} /dev/vdd /dev/vde`,
    `zpool wait -t resilver ${SRC}`,
    `zpool split ${SRC} ${TGT}`,
    `zpool import -N ${TGT}`,
    `zfs set bench:shape=${snapshots.length} ${SRC}`,
  ].join("\n");
}

/** Imports the kept pools; true when they are there and have `m` snapshots per dataset. */
async function importKept(m: number): Promise<boolean> {
  const r = await ozfsRun(
    `for p in ${SRC} ${TGT}; do zpool list -H $p >/dev/null 2>&1 || zpool import -N $p >/dev/null 2>&1; done; ` +
      `zfs get -H -o value bench:shape ${SRC} && zpool list -H ${TGT} >/dev/null`,
  );
  return r.code === 0 && r.stdout.trim() === String(m);
}

/** What one tool run took. */
interface RunFigures {
  seconds: number;
  commands: number;
  phases: string;
  code: number;
}

async function tool(args: string[], remote: string[], parallel: number): Promise<RunFigures> {
  const t0 = performance.now();
  const r = await runTool(
    [
      ...args,
      "--verbose",
      "--debug",
      ...(parallel === 1 ? [] : ["--parallel", String(parallel)]),
      "--snapshot-format",
      FORMAT,
      ...remote,
    ],
    { fakeTime: NOW, ...(values.entry ? { entry: values.entry } : {}) },
  );
  const seconds = (performance.now() - t0) / 1000;
  const commands = Number(/(\d+) commands run/.exec(r.stdout)?.[1] ?? NaN);
  const phases = /^# Phases: (.*)$/m.exec(r.stdout)?.[1] ?? "";
  if (r.code !== 0) console.error(r.stderr.slice(-4000));
  return { seconds, commands, phases, code: r.code };
}

/** A bare listing of `pool` over a fresh ssh connection, in seconds. */
async function floor(config: string, pool: string): Promise<number> {
  const t0 = performance.now();
  const r = await spawnProcess([
    "ssh",
    "-F",
    config,
    "ozfs",
    `zfs list -H -t all -o name -r ${pool} >/dev/null`,
  ]);
  if (r.code !== 0) throw new Error(`The bare listing failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (s: number) => s.toFixed(1);

/** No-change runs of the backup name that selects `n` datasets, each with the floor beside it. */
async function noChange(config: string, n: number, parallel: number, rounds: number): Promise<string[]> {
  const remote = ["--ssh-config", config, "--ssh-source", "ozfs", "--ssh-target", "ozfs", "--utc"];
  const runs: RunFigures[] = [];
  const floors: { src: number; tgt: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await tool([`${NAME}${n}`, TGT, "--strip-path", "1"], remote, parallel);
    if (r.code !== 0) throw new Error(`The no-change run over ${n} datasets failed with exit code ${r.code}`);
    runs.push(r);
    if (!values["no-floor"]) floors.push({ src: await floor(config, SRC), tgt: await floor(config, TGT) });
  }
  if (floors.length === 0) floors.push({ src: NaN, tgt: NaN });
  const mid = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(rounds / 2)]!;
  const fs = median(floors.map((f) => f.src));
  const ft = median(floors.map((f) => f.tgt));
  return [
    `| ${n} | ${runs.map((r) => fmt(r.seconds)).join(", ")} | ${fmt(mid.seconds)} | ${fmt(fs)} / ${
      fmt(ft)
    } | ` +
    `${(mid.seconds / Math.max(fs, ft)).toFixed(2)} | ${mid.commands} | ${mid.phases} |`,
  ];
}

/** A first run of `n` datasets x the snapshots into an empty pool, then a no-change run. */
async function firstRun(config: string, n: number, snapshots: string[], parallel: number): Promise<string[]> {
  const src = "bsf_src";
  const tgt = "bsf_tgt";
  const remote = ["--ssh-config", config, "--ssh-source", "ozfs", "--ssh-target", "ozfs", "--utc"];
  await ozfsOk([
    "set -e",
    "mkdir -p /var/tmp/zab",
    `for p in ${src} ${tgt}; do zpool destroy -f $p 2>/dev/null || true; rm -f /var/tmp/zab/$p.img; ` +
    `truncate -s 1G /var/tmp/zab/$p.img; zpool create -O compression=off -O mountpoint=none $p /var/tmp/zab/$p.img; done`,
    `zfs create ${src}/g1`,
    `for j in $(seq 1 ${n - 1}); do echo ${src}/g1/fs$j; done | xargs -rP 4 -n 1 zfs create`,
    `zfs set autobackup:${NAME}f=true ${src}/g1`,
    ...snapshots.map((s) => `zfs snapshot -r ${src}@${s}`),
  ].join("\n"));
  try {
    const first = await tool([`${NAME}f`, tgt, "--strip-path", "1"], remote, parallel);
    if (first.code !== 0) throw new Error(`The first run failed with exit code ${first.code}`);
    const again = await tool([`${NAME}f`, tgt, "--strip-path", "1"], remote, parallel);
    if (again.code !== 0) throw new Error(`The no-change run after it failed with exit code ${again.code}`);
    const t0 = performance.now();
    await ozfsOk(`zfs send -R ${src}/g1@${snapshots.at(-1)} | zfs recv -u ${tgt}/bare`);
    const bare = (performance.now() - t0) / 1000;
    return [
      `| first run, ${n} datasets x ${snapshots.length} snapshots | ${
        fmt(first.seconds)
      } | ${first.commands} | ${first.phases} |`,
      `| no-change run after it | ${fmt(again.seconds)} | ${again.commands} | ${again.phases} |`,
      `| floor: one \`zfs send -R \| zfs recv\` of the same datasets in the guest | ${fmt(bare)} | 1 | |`,
    ];
  } finally {
    await ozfsRun(`for p in ${src} ${tgt}; do zpool destroy -f $p; rm -f /var/tmp/zab/$p.img; done`);
  }
}

let startedByUs = false;
const prepared = await prepareOzfsVm((l) => console.error(l), () => startedByUs = true);
if (!("ready" in prepared)) throw new Error(`The OpenZFS guest is not available: ${prepared.skipped}`);
const config = prepared.ready.configPath;
Deno.env.set(ENV_OZFS_SSH_CONFIG, config);
const m = Number(values.snapshots);
const parallel = Number(values.parallel);
const rounds = Number(values.rounds);
try {
  const snapshots = keptSnapshotNames(m);
  const counts = values.datasets.split(",").filter((c) => c !== "").map(Number);
  if (counts.some((n) => !SUBSETS.includes(n))) throw new Error(`--datasets takes ${SUBSETS.join(", ")}`);
  if (counts.length) {
    if (values.rebuild || !(await importKept(m))) {
      const t0 = performance.now();
      await ozfsOk(buildScript(snapshots));
      console.error(`pools built in ${fmt((performance.now() - t0) / 1000)} s`);
    }
    console.log(
      `\nNo-change runs, ${m} snapshots per dataset, --parallel ${parallel} ` +
        `(the target pool always holds all 300 datasets):\n`,
    );
    console.log(
      "| datasets | wall s (each run) | median | floor s: bare listing source / target | median / slower floor | commands | phases (s) |",
    );
    console.log("|---:|---|---:|---|---:|---:|---|");
    for (const n of counts) for (const row of await noChange(config, n, parallel, rounds)) console.log(row);
  }
  if (values.first !== undefined) {
    console.log(`\n| first run | wall s | commands | phases (s) |\n|---|---:|---:|---|`);
    for (const row of await firstRun(config, Number(values.first), snapshots, parallel)) console.log(row);
  }
} finally {
  await ozfsRun(`zpool export ${SRC}; zpool export ${TGT}`);
  await releaseOzfsVm(startedByUs, false, (l) => console.error(l));
}
