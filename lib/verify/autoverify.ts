/**
 * The zfs-autoverify program: parse options, select the source datasets as zfs-autobackup
 * does, list the target, pair each dataset with its backup at their newest common snapshot,
 * compare each pair (verify_pair.ts), print one verdict per dataset and exit with the number
 * of datasets that differ or could not be compared.
 *
 * It changes no dataset, property or snapshot and takes no lock: file system snapshots are
 * mounted read-only, volume snapshots are cloned to temporary read-only volumes that are
 * destroyed again. A backup run at the same time could find a snapshot busy (mounted or
 * cloned) when it thins it, and would try again next time; a snapshot thinned away while being
 * compared fails that dataset here. --test only plans: it selects, pairs and names the common
 * snapshots, and compares nothing.
 */
import { parseOrExit } from "../cli/early_exit.ts";
import {
  bugText,
  CommandError,
  errorMessage,
  ExitCode,
  exitCodeForFailures,
  FatalError,
  rethrowIfAborted,
  UsageError,
} from "../errors.ts";
import type { HostContext } from "../exec/host.ts";
import { ProcessHost } from "../exec/process_host.ts";
import { type Hosts, processHosts } from "../app.ts";
import type { Job } from "../job/job.ts";
import { Logger } from "../log/logger.ts";
import { colorAllowed, type Sink } from "../log/term.ts";
import { BackupContext } from "../run/context.ts";
import { listTarget } from "../run/prepare_step.ts";
import { selectSource } from "../run/select_step.ts";
import { readDetails } from "../run/details_step.ts";
import { mapTargets } from "../sync/target_path.ts";
import { hostName } from "../check/target.ts";
import { tempCloneName } from "../zfs/check_verbs.ts";
import { parseVerifyOptions, VERIFY_HEADER, VERIFY_PROGRAM, type VerifyJob } from "./options.ts";
import { type PairPlan, planPairs } from "./pairs.ts";
import { isFailure, summaryLine, type Verdict, verdictLines } from "./report.ts";
import { VerifySide } from "./side.ts";
import { comparePair, type PairContext } from "./verify_pair.ts";

/** Everything zfs-autoverify needs from the outside world. */
export interface AutoverifyDeps {
  args: readonly string[];
  /** The report (one verdict per dataset) and verbose output. */
  stdout: Sink;
  /** Errors and progress. */
  stderr: Sink;
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** Aborts the run (Ctrl-C): scripts are stopped, mounts and clones removed, exit 255. */
  signal?: AbortSignal;
  /** Builds the hosts; defaults to real processes and ssh. */
  makeHosts?: (job: Job, ctx: HostContext & { signal?: AbortSignal }) => Hosts;
  /** This machine's name, for the names of temporary clones (default: the kernel's hostname). */
  hostname?: string;
}

/** Runs zfs-autoverify and returns its exit code. */
export async function runAutoverify(deps: AutoverifyDeps): Promise<number> {
  const parsed = await parseOrExit(VERIFY_PROGRAM, deps, () => parseVerifyOptions(deps.args));
  if (typeof parsed === "number") return parsed;
  const verify: VerifyJob = parsed.verify;
  const { job } = verify;
  const log = new Logger(
    {
      verbose: job.verbose,
      debug: job.debug,
      debugOutput: job.debugOutput,
      color: colorAllowed(),
      progress: job.progress ?? (deps.stderr.isTerminal && !job.noProgress),
    },
    deps.stdout,
    deps.stderr,
  );
  const signal = deps.signal;
  const hostCtx = { log, testMode: job.test, ...(signal ? { signal } : {}) };
  const hosts = (deps.makeHosts ?? processHosts)(job, hostCtx);
  const ctx = new BackupContext(job, log, deps.now(), hosts.source, hosts.target!, signal);
  try {
    printPreamble(log, verify);
    const plans = await plan(ctx);
    log.title("Verifying");
    const failed = job.test ? report(plans, plannedVerdict, log) : await compareAll(ctx, verify, plans, deps);
    if (signal?.aborted) throw signal.reason;
    log.verbose("");
    const line = summaryLine(plans.length, failed, job.test);
    if (failed > 0) log.error(line);
    else log.title(line);
    if (job.test) log.note("TEST MODE - DID NOT VERIFY ANYTHING!");
    return exitCodeForFailures(failed);
  } catch (e) {
    if (signal?.aborted) {
      log.error("Aborted");
      return ExitCode.fatal;
    }
    if (e instanceof FatalError || e instanceof CommandError || e instanceof UsageError) log.error(e.message);
    else log.error(bugText(e));
    return ExitCode.fatal;
  } finally {
    log.clearProgress();
    await hosts.close();
  }
}

function printPreamble(log: Logger, verify: VerifyJob): void {
  const { job } = verify;
  log.verbose(VERIFY_HEADER);
  log.verbose("");
  for (const n of job.deprecationNotes) log.note(n);
  if (job.test) log.note("TEST MODE - ONLY PLANNING, COMPARING NOTHING");
  const pad = (label: string) => label.padEnd(27);
  log.verbose(`${pad("Selecting dataset property")}: ${job.property}`);
  log.verbose(`${pad("Snapshot format")}: ${job.snapshotFormat.pattern}`);
  log.verbose(`${pad("File systems compared with")}: ${verify.fsCompare}`);
  if (verify.skip > 0) log.verbose(`${pad("Sampling")}: 1 in ${verify.skip + 1} (--skip ${verify.skip})`);
  if (job.sshConfig) log.verbose(`Using custom SSH config: ${job.sshConfig}`);
  if (job.sshSource) log.verbose(`[Source] SSH to: ${job.sshSource}`);
}

/**
 * Selection, the target listing, the common snapshots' guids and the pairing: batched listings
 * and reads, no per-dataset zfs call.
 */
async function plan(ctx: BackupContext): Promise<PairPlan[]> {
  const { job } = ctx;
  const { selected } = await selectSource(ctx);
  ctx.log.title("Target settings");
  if (job.sshTarget) ctx.log.verbose(`[Target] SSH to: ${job.sshTarget}`);
  ctx.log.verbose(`[Target] Verify datasets under: ${job.targetPath}`);
  const targets = await listTarget(ctx);
  const mapping = mapTargets(job.targetPath, selected.map((d) => d.name), job.stripPath);
  const patterns = job.excludeSnapshotPatterns;
  const excluded = (full: string) => patterns.some((re) => re.test(full));
  // Only the snapshots that may be compared count: the guids read are those of their common one.
  const candidates = selected.map((ds) => ({
    ...ds,
    snapshots: ds.snapshots.filter((s) => !excluded(`${ds.name}@${s.name}`)),
    bookmarks: [],
  }));
  await readDetails(ctx, ctx.target, candidates, (name) => targets.get(mapping.get(name)!));
  return planPairs(candidates, targets, {
    targetOf: (name) => mapping.get(name)!,
    excluded,
    untagged: (name) => job.snapshotFormat.untagged(name),
  });
}

function plannedVerdict(p: PairPlan): Verdict {
  if (p.kind === "unverifiable") return { kind: "failed", reason: p.reason };
  return { kind: "planned", detail: p.type };
}

/** Prints the verdicts of --test and returns how many datasets could not be compared. */
function report(plans: readonly PairPlan[], verdictOf: (p: PairPlan) => Verdict, log: Logger): number {
  let failed = 0;
  for (const p of plans) {
    const v = verdictOf(p);
    if (isFailure(v)) failed++;
    writeVerdict(log, p, v);
  }
  return failed;
}

function writeVerdict(log: Logger, p: PairPlan, v: Verdict): void {
  log.clearProgress();
  const subject = {
    source: p.source,
    target: p.target,
    snapshot: p.kind === "compare" ? p.snapshot : undefined,
  };
  log.out.write(verdictLines(subject, v).map((l) => `${l}\n`).join(""));
}

/** Compares every pair in turn; returns how many differ or failed. */
async function compareAll(
  ctx: BackupContext,
  verify: VerifyJob,
  plans: readonly PairPlan[],
  deps: AutoverifyDeps,
): Promise<number> {
  const hostname = deps.hostname ?? hostName();
  const sideCtx = (label: string) => ({
    log: ctx.log,
    cloneName: (snapshot: string) => tempCloneName(snapshot, hostname, Deno.pid, `zfs-autoverify-${label}`),
    cloneProperties: [`${ctx.job.property}=false`],
  });
  const source = new VerifySide(ctx.source, sideCtx("source"));
  const target = new VerifySide(ctx.target, sideCtx("target"));
  const pairCtx: PairContext = {
    source,
    target,
    fsCompare: verify.fsCompare,
    skip: verify.skip,
    log: ctx.log,
    signal: ctx.signal,
    async sshArgv(side) {
      const host = side.host;
      if (!(host instanceof ProcessHost) || host.ssh === undefined) return [];
      return (await host.ssh.prefix()).slice(0, -1);
    },
  };
  let failed = 0;
  try {
    for (const [i, p] of plans.entries()) {
      ctx.log.progress(`Verifying dataset ${i + 1}/${plans.length} (${failed} failed)`);
      let v: Verdict;
      if (p.kind === "unverifiable") {
        v = { kind: "failed", reason: p.reason };
      } else {
        ctx.log.verbose(`[Target] ${p.target}@${p.snapshot}: Verifying (${p.type})...`);
        try {
          v = await comparePair(pairCtx, p);
        } catch (e) {
          rethrowIfAborted(e, ctx.signal);
          if (!(e instanceof FatalError || e instanceof CommandError)) ctx.log.error(bugText(e));
          v = { kind: "failed", reason: errorMessage(e) };
        }
      }
      if (isFailure(v)) failed++;
      writeVerdict(ctx.log, p, v);
    }
  } finally {
    ctx.log.clearProgress();
    const closed = await Promise.allSettled([source.close(), target.close()]);
    for (const r of closed) {
      if (r.status === "rejected") {
        ctx.log.error(`Cannot remove a workspace: ${errorMessage(r.reason)}`);
        failed++;
      }
    }
  }
  return failed;
}
