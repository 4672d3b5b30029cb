/**
 * The fault-injection harness: seeded kill points (which process, which signal, how long into
 * the transfer), a runner that starts the tool, waits for the victim, kills it and then watches
 * that nothing the run started outlives the tool by more than a second, and the checks a rerun
 * must pass: it converges, no snapshot is lost, the chain is unbroken, a resume token is used,
 * and nothing is sent in full where a common snapshot exists.
 *
 * Local processes (the tool, its pipeline, and the far side of the loopback sshd, which is this
 * machine too) are seen in /proc; processes in the OpenZFS guest through one ssh call that waits
 * for the victim there and kills it by pid (see `guestKillScript`).
 */
import assert from "node:assert/strict";
import { describe, type Proc, processes } from "./procs.ts";
import { Random } from "./random.ts";
import { runTool, type ToolResult } from "./tool.ts";

/** The process a kill point hits. */
export type Victim = "tool" | "zfs-send" | "zfs-recv" | "ssh" | "pipe";
/** The signals of a bad day: the OOM killer or `timeout -s KILL`, `kill`, Ctrl-C. */
export type FaultSignal = "SIGKILL" | "SIGTERM" | "SIGINT";
/** What is being sent when the kill comes. */
export type TransferKind = "full" | "incremental" | "resumed";

/** One seeded kill point. */
export interface KillPoint {
  victim: Victim;
  signal: FaultSignal;
  /** Milliseconds between the victim showing up and the kill. */
  delayMs: number;
}

/** Draws a kill point from `rnd` among `victims`, within `maxDelayMs`. */
export function drawKillPoint(rnd: Random, victims: readonly Victim[], maxDelayMs: number): KillPoint {
  return {
    victim: rnd.pick(victims),
    signal: rnd.pick(["SIGKILL", "SIGKILL", "SIGTERM", "SIGINT"] as const),
    delayMs: rnd.int(0, maxDelayMs),
  };
}

/** The seed of this run: $ZAB_FAULT_SEED, or a fixed one so a failure can be replayed. */
export function faultSeed(): number {
  const s = Deno.env.get("ZAB_FAULT_SEED");
  return s && /^\d+$/.test(s) ? Number(s) : 20_101_111;
}

/** A short text for test output. */
export function describePoint(p: KillPoint, kind: TransferKind, where: string): string {
  return `${kind} ${where}: ${p.signal} to ${p.victim} after ${p.delayMs} ms`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * When a process started (clock ticks since boot), or undefined when it is gone: with the pid
 * it names one process even across exec (a stage that execs changes its argv, not this).
 */
async function startTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

const base = (a: string | undefined) => (a ?? "").split("/").at(-1) ?? "";

/** True when the process's argv names `word` anywhere. */
export function mentions(p: Proc, word: string): boolean {
  return p.argv.some((a) => a.includes(word));
}

/** Whether `p` is the `victim` of a run whose datasets all contain `dataset`. */
export function isVictim(p: Proc, victim: Victim, dataset: string, tool: Proc): boolean {
  const prog = base(p.argv[0]);
  switch (victim) {
    case "tool":
      return p.pid === tool.pid;
    case "zfs-send":
      return prog === "zfs" && p.argv[1] === "send" && mentions(p, dataset);
    case "zfs-recv":
      return prog === "zfs" && (p.argv[1] === "recv" || p.argv[1] === "receive") && mentions(p, dataset);
    case "ssh":
      // The client that carries the transfer (its remote command sends or receives).
      return prog === "ssh" && p.argv.some((a) => / zfs (send|recv) /.test(` ${a} `)) && mentions(p, dataset);
    case "pipe":
      return prog === "perl"; // the stalling stage (STALL) of the fault tests
  }
}

/** What a killed run left behind. */
export interface KilledRun {
  result: ToolResult;
  /** The victim was alive when the signal went out. */
  landed: boolean;
  /** Processes of the run still alive a second after the tool exited (must be none). */
  survivors: Proc[];
}

/** Where the victim lives: this machine's process table, or the guest (see guestKillScript). */
export interface VictimSide {
  /** Kills the victim there; resolves to true when it was alive at the kill. */
  kill?: (point: KillPoint) => Promise<boolean>;
  /** Processes of the run still alive there now (each call at least a second after the tool exit). */
  leftovers?: () => Promise<string[]>;
}

/**
 * Runs the tool with `args`, kills `point.victim` `point.delayMs` after it started (the tool:
 * after its transfer started), waits
 * for the tool to exit and then for one second, and returns what was still alive: every process
 * that descended from the tool, and every process naming `dataset` (the far side of the
 * loopback sshd). `remote` handles a victim in the guest.
 */
export async function runAndKill(
  args: readonly string[],
  fakeTime: string,
  point: KillPoint,
  dataset: string,
  backupName: string,
  remote: VictimSide = {},
): Promise<KilledRun & { remoteLeftovers: string[] }> {
  const run = runTool(args, { fakeTime });
  /** Every process of the run seen so far: pid → its start time. */
  const family = new Map<number, string | undefined>();
  let tool: Proc | undefined;
  let landed = false;
  const localVictim = point.victim === "tool" || point.victim === "ssh" || !remote.kill;
  let done = false;
  run.finally(() => done = true);
  // A victim in the guest is waited for there once the transfer's ssh runs here.
  let remoteKill: Promise<boolean> | undefined;
  // Watch the process table until the tool is gone: its family, and the victim.
  let killAt: number | undefined;
  for (;;) {
    const procs = await processes();
    tool ??= procs.find((p) => p.argv[0] === Deno.execPath() && p.argv.includes(backupName));
    if (tool) {
      for (const p of procs) {
        if (family.has(p.pid)) continue;
        if (p.pid === tool.pid || family.has(p.ppid) || mentions(p, dataset)) {
          family.set(p.pid, await startTime(p.pid));
        }
      }
      const alive = procs.some((p) => p.pid === tool!.pid);
      if (!alive) break;
      if (!localVictim && !remoteKill && procs.some((p) => isVictim(p, "ssh", dataset, tool!))) {
        remoteKill = remote.kill!(point);
      }
      // The clock starts when the victim runs; for the tool (always there), when its transfer
      // does (the receiving end or the transfer's ssh runs). Only this run's processes count: a
      // pipe stage names no dataset, so it must be of the family.
      const watched = point.victim === "tool" ? ["zfs-recv", "ssh"] as const : [point.victim];
      const started = procs.some((p) =>
        family.has(p.pid) && watched.some((v) => isVictim(p, v, dataset, tool!))
      );
      if (started) killAt ??= performance.now() + point.delayMs;
      if (localVictim && !landed && killAt !== undefined && performance.now() >= killAt) {
        const victim = procs.find((p) => isVictim(p, point.victim, dataset, tool!) && family.has(p.pid));
        if (victim) {
          try {
            Deno.kill(victim.pid, point.signal);
            landed = true;
          } catch {
            // Gone just now: a miss.
          }
        } else {
          killAt = Infinity; // Gone before its time: a miss.
        }
      }
    } else if (done) {
      break;
    }
    await sleep(20);
  }
  const exited = performance.now();
  if (remoteKill) landed = await remoteKill;
  // One second after the exit, nothing of the run may be left.
  await sleep(Math.max(0, 1000 - (performance.now() - exited)));
  const survivors: Proc[] = [];
  for (const p of await processes()) {
    if (p.pid === tool?.pid) continue;
    const mine = family.has(p.pid) && family.get(p.pid) === await startTime(p.pid);
    if (mine || mentions(p, dataset)) survivors.push(p);
  }
  const remoteLeftovers = remote.leftovers ? await remote.leftovers() : [];
  // A failing check must not leave the run's pipeline behind for the other tests.
  for (const p of survivors) {
    try {
      Deno.kill(p.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  const result = await run;
  return { result, landed, survivors, remoteLeftovers };
}

/** Asserts that nothing outlived the tool by more than a second. */
export function assertNoSurvivors(r: { survivors: Proc[]; remoteLeftovers: string[] }, what: string): void {
  assert.deepEqual(
    r.survivors.map((p) => p.pid),
    [],
    `${what}: alive a second after the tool exited:\n${describe(r.survivors)}`,
  );
  assert.deepEqual(r.remoteLeftovers, [], `${what}: alive in the guest a second after the tool exited`);
}

/**
 * A shell script for the guest that waits (up to 15 s: it starts once the transfer does) for
 * the victim, a `zfs send` or `zfs recv` naming DATASET, sleeps, and sends the signal to that
 * pid. Prints "landed" or "missed". Arguments: victim (send|recv), signal, delay in seconds,
 * dataset.
 */
export function guestKillScript(): string {
  return [
    "v=$1; sig=${2#SIG}; delay=$3; ds=$4; end=$(( $(date +%s) + 15 ))",
    'while :; do for p in $(pgrep -x zfs); do a=$(tr "\\0" " " < /proc/$p/cmdline 2>/dev/null) || continue',
    '  case "$a" in "zfs $v "*"$ds"*) sleep "$delay"',
    '    if kill -s "$sig" "$p" 2>/dev/null; then echo landed; else echo missed; fi; exit 0;; esac; done',
    '  [ "$(date +%s)" -lt "$end" ] || { echo missed; exit 0; }; sleep 0.02; done',
  ].join("\n");
}

/** Snapshots of one dataset as `name guid` lines, oldest first (from `zfs list -o name,guid`). */
export function parseSnapshots(text: string): { name: string; guid: string }[] {
  return text.split("\n").filter(Boolean).map((l) => {
    const [full, guid] = l.split("\t");
    return { name: full!.slice(full!.indexOf("@") + 1), guid: guid! };
  });
}

/** Both sides of one dataset as they are now. */
export interface SidesState {
  source: { name: string; guid: string }[];
  target: { name: string; guid: string }[];
  /** The target's receive_resume_token is set. */
  token: boolean;
}

/**
 * What a rerun after a kill must show: it exited 0; no snapshot either side had before the rerun
 * is gone; the target has exactly the source's snapshots with the same guids (chain unbroken);
 * a resume token was used ("resuming"); and nothing was sent in full where the target already
 * had a snapshot in common with the source.
 */
export function assertConverged(
  rerun: ToolResult,
  before: SidesState,
  after: SidesState,
  sourceDataset: string,
  what: string,
): void {
  assert.equal(rerun.code, 0, `${what}: the rerun failed (${rerun.code})\n${rerun.stdout}${rerun.stderr}`);
  const names = (s: { name: string }[]) => s.map((x) => x.name);
  for (const side of ["source", "target"] as const) {
    const lost = names(before[side]).filter((n) => !names(after[side]).includes(n));
    assert.deepEqual(lost, [], `${what}: snapshots lost on the ${side}`);
  }
  assert.deepEqual(after.target, after.source, `${what}: the target's chain differs from the source's`);
  assert.ok(!after.token, `${what}: a resume token is left on the target`);
  if (before.token) {
    assert.match(
      rerun.stdout,
      new RegExp(`\\] ${reEscape(sourceDataset)}@\\S+: resuming\\n`),
      `${what}: not resumed`,
    );
  }
  const common = before.target.some((t) => before.source.some((s) => s.name === t.name && s.guid === t.guid));
  if (common) {
    assert.doesNotMatch(
      rerun.stdout,
      / \(new\)\n/,
      `${what}: sent in full although a common snapshot exists`,
    );
  }
}

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
