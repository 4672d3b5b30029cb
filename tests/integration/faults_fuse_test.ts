/**
 * The fault-injection layer on zfs-fuse (issue 10, item 8): seeded kill points during full and
 * incremental transfers, local, pushed and pulled over the loopback sshd. The victim is the tool
 * itself, `zfs recv`, the transfer's ssh or a pipe stage, hit with SIGKILL, SIGTERM or SIGINT at
 * a random moment of a transfer (plain, compressed or buffered) that a stalling pipe stage keeps
 * running for seconds (zfs-fuse
 * streams are a few KiB: `zfs send` has handed them on before it could be hit, which the guest
 * layer covers). The stage is one process that waits, then copies (`STALL`): `pv -L` cannot be
 * used, it never moves under the frozen fake clock of the tests.
 *
 * Every kill point asserts that nothing of the run outlives the tool by more than a second, that
 * the run's exit code says what happened, and that a rerun converges: no snapshot lost, the
 * target's chain equal to the source's, nothing sent in full where a common snapshot exists.
 * The seed is fixed (ZAB_FAULT_SEED overrides it); the drawn points are printed.
 */
import assert from "node:assert/strict";
import { backupName, loopConfig, T0, T1, T2 } from "../harness/expect.ts";
import { runTool } from "../harness/tool.ts";
import { createFusePools, zfs } from "../harness/zfs_fuse.ts";
import { Random } from "../harness/random.ts";
import {
  assertConverged,
  assertNoSurvivors,
  describePoint,
  drawKillPoint,
  faultSeed,
  type FaultSignal,
  type KillPoint,
  parseSnapshots,
  runAndKill,
  type SidesState,
  type TransferKind,
  type Victim,
} from "../harness/faults.ts";

/** Kill points per run of this file, and how many run side by side. */
const POINTS = 20;
const LANES = 3;

type Transport = "local" | "push" | "pull";

/** A pipe stage that holds the stream for 3 s, then copies it: one process (the shell execs). */
export const STALL = "exec perl -e 'sleep 3; binmode STDIN; binmode STDOUT; " +
  "while (sysread(STDIN, my $b, 65536)) { syswrite(STDOUT, $b) }'";

/** One drawn case: what is sent, how, and where the kill comes. */
interface Case {
  index: number;
  kind: TransferKind;
  transport: Transport;
  /** The stalling stage: after `zfs send` or before `zfs recv`. */
  slowSide: "send" | "recv";
  /** More stages: none, compression, or mbuffer on both ends. */
  pipes: readonly string[];
  point: KillPoint;
}

const PIPES: readonly (readonly string[])[] = [[], ["--compress=zstd-fast"], ["--buffer=1M"]];

/**
 * Victim and signal of each kill point: every victim with every signal (the tool, which the OOM
 * killer, `timeout` and Ctrl-C hit, most often), then a few drawn freely. Everything else (what
 * is sent, how, which stages, when) is drawn from the seed.
 */
const COVERAGE: readonly (readonly [Victim, FaultSignal])[] = [
  ["tool", "SIGKILL"],
  ["tool", "SIGKILL"],
  ["tool", "SIGKILL"],
  ["tool", "SIGTERM"],
  ["tool", "SIGTERM"],
  ["tool", "SIGINT"],
  ["zfs-recv", "SIGKILL"],
  ["zfs-recv", "SIGTERM"],
  ["zfs-recv", "SIGINT"],
  ["pipe", "SIGKILL"],
  ["pipe", "SIGTERM"],
  ["pipe", "SIGINT"],
  ["ssh", "SIGKILL"],
  ["ssh", "SIGTERM"],
  ["ssh", "SIGINT"],
];

function drawCases(seed: number): Case[] {
  const rnd = new Random(seed);
  const victims = ["tool", "zfs-recv", "pipe", "ssh"] as const;
  const points: KillPoint[] = [
    ...COVERAGE.map(([victim, signal]) => ({ victim, signal, delayMs: rnd.int(0, 2000) })),
    ...Array.from({ length: POINTS - COVERAGE.length }, () => drawKillPoint(rnd, victims, 2000)),
  ];
  return points.map((point, index) => {
    const kind = rnd.pick(["full", "incremental"] as const);
    const transport = point.victim === "ssh"
      ? rnd.pick(["push", "pull"] as const)
      : rnd.pick(["local", "push", "pull"] as const);
    // The transfer's ssh lives as long as the stream it carries stalls: stall it on the far side.
    const far = transport === "pull" ? "send" : "recv";
    const slowSide = point.victim === "ssh" ? far : rnd.pick(["send", "recv"] as const);
    return { index, kind, transport, slowSide, pipes: rnd.pick(PIPES), point };
  });
}

async function sides(source: string, target: string): Promise<SidesState> {
  const list = async (ds: string) => {
    const r = await zfs(["list", "-H", "-t", "snapshot", "-o", "name,guid", "-r", ds]).catch(() => "");
    return parseSnapshots(r.split("\n").filter((l) => l.startsWith(`${ds}@`)).join("\n"));
  };
  return { source: await list(source), target: await list(target), token: false };
}

/** The exit code a kill point must produce, given whether it landed. */
function expectedCodes(c: Case, landed: boolean): number[] {
  if (!landed) return [0];
  if (c.point.victim === "tool") return [c.point.signal === "SIGKILL" ? 137 : 255];
  return [1];
}

async function runCase(c: Case, src: string, dst: string, base: string, config: string): Promise<string> {
  const tag = String(c.index).padStart(2, "0");
  const n = `${base}f${tag}`;
  const ds = `${src}/f${tag}`;
  const tds = `${dst}/b/${ds}`;
  await zfs(["create", ds]);
  await zfs(["set", `autobackup:${n}=true`, ds]);
  const transport = c.transport === "local"
    ? []
    : ["--ssh-config", config, c.transport === "push" ? "--ssh-target" : "--ssh-source", "zab-loop"];
  const common = [n, `${dst}/b`, "--no-thinning", "--exclude-received", ...transport, ...c.pipes];
  const where = [c.transport, ...c.pipes, `stall after ${c.slowSide}`].join(", ");
  const what = describePoint(c.point, c.kind, where);
  if (c.kind === "incremental") {
    const first = await runTool(common, { fakeTime: T0 });
    assert.equal(first.code, 0, `${what}: the first run failed\n${first.stderr}`);
  }
  const slow = [c.slowSide === "send" ? "--send-pipe" : "--recv-pipe", STALL];
  const killed = await runAndKill([...common, ...slow], T1, c.point, ds, n);
  assertNoSurvivors(killed, what);
  assert.ok(
    expectedCodes(c, killed.landed).includes(killed.result.code),
    `${what}: exit ${killed.result.code} (landed: ${killed.landed})\n${killed.result.stderr}`,
  );
  const before = await sides(ds, tds);
  const rerun = await runTool([...common, "--verbose"], { fakeTime: T2 });
  assertConverged(rerun, before, await sides(ds, tds), ds, what);
  return `${what}: ${killed.landed ? `landed, exit ${killed.result.code}` : "missed"}; rerun converged`;
}

Deno.test({
  name:
    `faults on zfs-fuse: ${POINTS} seeded kill points (tool, zfs recv, ssh, pipe; KILL, TERM, INT) converge`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const config = await loopConfig();
    const seed = faultSeed();
    const cases = drawCases(seed);
    const queue = [...cases];
    const report: string[] = [];
    const lane = async () => {
      await using pools = await createFusePools(["src", "dst"], 64);
      const [src, dst] = pools.names as [string, string];
      await zfs(["create", `${dst}/b`]);
      for (let c = queue.shift(); c; c = queue.shift()) {
        report.push(await runCase(c, src, dst, backupName(pools), config));
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    const landed = report.filter((l) => l.includes("landed")).length;
    console.log(
      `fault seed ${seed}: ${landed} of ${report.length} kills landed\n${report.sort().join("\n")}`,
    );
    assert.ok(landed >= POINTS * 0.75, `only ${landed} of ${POINTS} kills landed`);
  },
});
