/**
 * The program: parse options (or a jobs file), then for each job build hosts, run its mode and
 * map the outcome to an exit code; write the report and metrics last. Returns the exit code
 * instead of calling Deno.exit so tests can run it in-process.
 */
import { parseOrExit } from "./cli/early_exit.ts";
import { parseOptions } from "./cli/parse.ts";
import { isBackupJob, type Job, type MonitorThresholds } from "./job/job.ts";
import { showValue } from "./job/show_value.ts";
import {
  bugText,
  CommandError,
  errorMessage,
  ExitCode,
  exitCodeForFailures,
  FatalError,
  UsageError,
  ZfsError,
  type ZfsReason,
} from "./errors.ts";
import type { Host, HostContext, HostLabel } from "./exec/host.ts";
import { ProcessHost } from "./exec/process_host.ts";
import { ControlDir, SshClient } from "./exec/ssh.ts";
import { RECORD_ENV, Recorder } from "./exec/fixture.ts";
import { Logger, type LogKind } from "./log/logger.ts";
import { colorAllowed, type Sink } from "./log/term.ts";
import { BackupContext, RunContext } from "./run/context.ts";
import type { FeatureCache } from "./zfs/feature_cache.ts";
import { printPreamble } from "./run/preamble.ts";
import { runSnapshotOnly } from "./run/snapshot_only.ts";
import { runBackup } from "./run/backup.ts";
import { checkFreshness } from "./run/monitor.ts";
import { judgeFreshness, unknownVerdict, type Verdict } from "./monitor/freshness.ts";
import { newSummary, type RunSummary } from "./run/summary.ts";
import { buildReport, type Report, type RunEnd, summaryLine } from "./report/report.ts";
import {
  datagramsAvailable,
  DEFAULT_SYSLOG_SOCKET,
  Severity,
  SYSLOG_SOCKET_ENV,
  SyslogWriter,
} from "./log/syslog.ts";
import { type OutputTargets, writeOutputs } from "./report/output.ts";
import { compileJobs, type FileJob } from "./jobs/compile_jobs.ts";
import { parseJobsFile } from "./jobs/jobs_file.ts";
import { type JobOutcome, runJobs } from "./jobs/run_jobs.ts";
import { checkPermissions } from "./doctor/check.ts";
import { permissionHint } from "./doctor/hint.ts";

/** Everything the program needs from the outside world. */
export interface AppDeps {
  args: readonly string[];
  stdout: Sink;
  stderr: Sink;
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** Builds the hosts; tests swap in replaying hosts. Defaults to real processes and ssh. */
  makeHosts?: (job: Job, ctx: HostContext) => Hosts;
  /** Aborts running commands (Ctrl-C). */
  signal?: AbortSignal;
  /** Probed zfs options from earlier runs (main.ts passes the file cache; tests run without). */
  featureCache?: FeatureCache;
  /** Takes the one-run-per-backup-name lock (main.ts passes `lockRun`; tests run without). */
  lock?: (backupName: string) => Promise<{ release(): void }>;
  /** Reads the jobs file (default: Deno.readTextFile). */
  readTextFile?: (path: string) => Promise<string>;
}

/** The hosts of a run. */
export interface Hosts {
  source: Host;
  target: Host | undefined;
  /** Releases connections and temporary files. */
  close(): Promise<void>;
}

/** Real hosts: local processes, or ssh with a shared ControlMaster directory. */
export function processHosts(
  opts: Job,
  ctx: HostContext & { signal?: AbortSignal; recorder?: Recorder | undefined },
): Hosts {
  const controlDir = new ControlDir();
  // One client per address: source and target on one host share its `ssh -G` check and master.
  const clients = new Map<string, SshClient>();
  const client = (address: string) => {
    let c = clients.get(address);
    if (!c) clients.set(address, c = new SshClient({ address, configFile: opts.sshConfig }, controlDir));
    return c;
  };
  const make = (label: HostLabel, address: string | undefined) =>
    new ProcessHost(label, address ? client(address) : undefined, ctx);
  const source = make("Source", opts.sshSource);
  const target = opts.targetPath !== undefined ? make("Target", opts.sshTarget) : undefined;
  return {
    source,
    target,
    async close() {
      await Promise.all([source.close(), target?.close()]);
      await controlDir.remove();
    },
  };
}

/** Runs the program and returns its exit code. */
export async function runApp(deps: AppDeps): Promise<number> {
  const parsed = await parseOrExit("zfs-autobackup", deps, async () => {
    const line = parseOptions(deps.args);
    if (line.kind !== "run" && line.kind !== "jobs") return line;
    const jobs: FileJob[] = line.kind === "run" ? [{ name: "", job: line.job }] : compileJobs(
      parseJobsFile(await readJobsFile(deps, line.file), line.file),
      line.overrides,
      line.only,
    );
    return {
      kind: "start" as const,
      jobs,
      checkPermissions: line.checkPermissions,
      single: line.kind === "run",
    };
  });
  if (typeof parsed === "number") return parsed;
  const { jobs, checkPermissions, single } = parsed;
  const mode: JobMode = checkPermissions ? "check-permissions" : "run";
  const log = new Logger(
    {
      verbose: jobs.some((j) => j.job.verbose),
      debug: false,
      debugOutput: false,
      color: colorAllowed(),
      progress: false,
    },
    deps.stdout,
    deps.stderr,
  );
  if (single) {
    const job = jobs[0]!.job;
    const outcome = await runJob(deps, job, mode);
    if (outcome.report) await writeOutputs(job, [outcome.report], log, deps.stdout);
    return outcome.code;
  }
  const { code, results } = await runJobs(
    jobs,
    (j, title) => runJob(deps, j.job, mode, title),
    log,
    deps.signal,
  );
  await writeJobsOutputs(jobs, results.map((r) => r.outcome.report), log, deps.stdout);
  return code;
}

/**
 * The report and metrics of a jobs file: one document per file name, covering every job that
 * names it (a `--report` given next to `--jobs` names the same file for all of them).
 */
async function writeJobsOutputs(
  jobs: readonly FileJob[],
  reports: readonly (Report | undefined)[],
  log: Logger,
  stdout: Sink,
): Promise<void> {
  const byTargets = new Map<string, { targets: OutputTargets; reports: Report[] }>();
  jobs.forEach(({ job }, i) => {
    const report = reports[i];
    if (!report || (job.report === undefined && job.prometheus === undefined)) return;
    const key = JSON.stringify([job.report ?? null, job.prometheus ?? null]);
    const group = byTargets.get(key) ?? { targets: job, reports: [] };
    group.reports.push(report);
    byTargets.set(key, group);
  });
  for (const { targets, reports: group } of byTargets.values()) {
    await writeOutputs(targets, group, log, stdout);
  }
}

/** Reads the jobs file; a file that cannot be read is a usage error (nothing ran). */
async function readJobsFile(deps: AppDeps, path: string): Promise<string> {
  try {
    return await (deps.readTextFile ?? Deno.readTextFile)(path);
  } catch (e) {
    throw new UsageError(`Cannot read jobs file ${showValue(path)}: ${errorMessage(e)}`);
  }
}

/** What a run does with its job: the run itself, or only the permission check. */
export type JobMode = "run" | "check-permissions";

/** Syslog severity of each kind of console message. */
const SEVERITY_OF: Readonly<Record<LogKind, Severity>> = {
  error: Severity.err,
  warning: Severity.warning,
  info: Severity.info,
};

/** The --syslog writer: the log socket ($ZFS_AUTOBACKUP_SYSLOG_SOCKET or /dev/log). */
function openSyslog(deps: AppDeps, onFailure: (why: string) => void): SyslogWriter {
  return new SyslogWriter({
    socketPath: deps.env(SYSLOG_SOCKET_ENV) || DEFAULT_SYSLOG_SOCKET,
    transport: datagramsAvailable() ? "datagram" : "logger",
    pid: Deno.pid,
    now: () => new Date(deps.now()),
    onFailure,
  });
}

/**
 * Runs one job: its output, then its mode (the freshness check, the permission check, or a
 * backup or snapshot run with lock and hosts), and returns its exit code, summary and report.
 * `title` is printed first (verbose), to tell the jobs of a file apart. Never throws for the
 * job's own failures.
 */
export async function runJob(deps: AppDeps, opts: Job, mode: JobMode, title?: string): Promise<JobOutcome> {
  const syslog = opts.syslog
    ? openSyslog(deps, (why) => log.note(`Cannot send to syslog: ${why}`))
    : undefined;
  const log: Logger = new Logger(
    {
      verbose: opts.verbose,
      debug: opts.debug,
      debugOutput: opts.debugOutput,
      color: colorAllowed(),
      progress: opts.progress ?? (deps.stderr.isTerminal && !opts.noProgress),
    },
    // The check's stdout is its one status line: everything else goes to stderr.
    opts.monitor ? deps.stderr : deps.stdout,
    deps.stderr,
    syslog && ((kind, text) => syslog.send(SEVERITY_OF[kind], text)),
  );
  if (title !== undefined) log.title(title);
  const now = deps.now();
  let outcome: JobOutcome;
  let last: string;
  if (opts.monitor) {
    const verdict = await runCheck(opts, opts.monitor, log, deps, now);
    outcome = { code: verdict.status, failed: 0, summary: undefined, fatal: undefined, report: undefined };
    last = verdict.line;
  } else {
    const summary = newSummary(opts.backupName, new Date(now).toISOString());
    const end = await runModes(opts, mode, log, deps, now, summary);
    if (mode === "check-permissions") {
      outcome = {
        code: end.exitCode,
        failed: 0,
        summary: undefined,
        fatal: end.error?.message,
        report: undefined,
      };
      last = `${opts.backupName}: permission check, exit ${end.exitCode}`;
    } else {
      const report = buildReport(opts, summary, { startedAt: now, endedAt: deps.now(), ...end });
      outcome = {
        code: end.exitCode,
        failed: summary.totals.failed,
        summary,
        fatal: end.result === "fatal" || end.result === "aborted" ? end.error?.message : undefined,
        report,
      };
      last = summaryLine(report);
    }
  }
  if (syslog) {
    // The last syslog line sums the run up in one line.
    syslog.send(outcome.code === 0 ? Severity.notice : Severity.err, last);
    await syslog.close();
  }
  return outcome;
}

/**
 * The freshness check: no lock, hosts that run only read-only commands, one status line on
 * stdout, the plugin's exit code. Any failure (an unreachable host included) is UNKNOWN.
 */
async function runCheck(
  opts: Job,
  thresholds: MonitorThresholds,
  log: Logger,
  deps: AppDeps,
  now: number,
): Promise<Verdict> {
  const hosts = (deps.makeHosts ?? processHosts)(opts, {
    log,
    testMode: true,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  // Exclusions by change would hide exactly the datasets that stopped changing hands.
  const job = { ...opts, excludeUnchanged: 0 };
  let verdict: Verdict;
  try {
    const ctx = new RunContext(job, log, now, hosts.source, deps.signal);
    verdict = judgeFreshness(job.backupName, await checkFreshness(ctx, hosts.target), thresholds);
  } catch (e) {
    if (!(deps.signal?.aborted || e instanceof FatalError || e instanceof CommandError)) {
      log.error(bugText(e));
    }
    verdict = unknownVerdict(job.backupName, deps.signal?.aborted ? "Aborted" : errorMessage(e));
  } finally {
    await hosts.close();
  }
  deps.stdout.write(`${verdict.line}\n`);
  return verdict;
}

/** How a run ended, before the clock is read. */
type JobEnd = Omit<RunEnd, "startedAt" | "endedAt">;

/**
 * The end of a run stopped by `e` (an abort, a fatal error or a bug), its error logged. A zfs
 * permission failure is told as the permission doctor's one-line hint.
 */
function stoppedBy(
  e: unknown,
  log: Logger,
  signal: AbortSignal | undefined,
  hint: (e: unknown) => string | undefined = () => undefined,
): JobEnd {
  const fatal = (message: string, reason: ZfsReason | null = null): JobEnd => ({
    exitCode: ExitCode.fatal,
    result: "fatal",
    error: { message: message.split("\n")[0]!, reason },
  });
  if (signal?.aborted) {
    log.error("Aborted");
    return { ...fatal("Aborted"), result: "aborted" };
  }
  if (e instanceof FatalError || e instanceof CommandError || e instanceof UsageError) {
    const message = hint(e) ?? e.message;
    log.error(message);
    if (e instanceof CommandError && e.stderrTail.trim()) {
      log.debug(`stderr of the failed command:\n${e.stderrTail}`);
    }
    return fatal(message, e instanceof ZfsError ? e.reason : null);
  }
  log.error(bugText(e));
  return fatal(bugText(e));
}

/**
 * Takes the lock (not for --test or the permission check), makes the hosts and runs the mode,
 * filling `summary`; never throws.
 */
async function runModes(
  opts: Job,
  mode: JobMode,
  log: Logger,
  deps: AppDeps,
  now: number,
  summary: RunSummary,
): Promise<JobEnd> {
  const recordPath = deps.env(RECORD_ENV);
  const recorder = recordPath
    ? new Recorder(recordPath, { now: new Date(now).toISOString(), args: JSON.stringify(deps.args) })
    : undefined;
  // --test changes nothing, so it may run beside a real run of the same backup.
  let lock: { release(): void } | undefined;
  try {
    if (!opts.test && mode === "run") lock = await deps.lock?.(opts.backupName);
  } catch (e) {
    if (e instanceof FatalError) return stoppedBy(e, log, undefined);
    throw e;
  }
  // The permission check only reads; test mode makes sure of it.
  const testMode = opts.test || mode === "check-permissions";
  const hostCtx = { log, testMode, ...(deps.signal ? { signal: deps.signal } : {}), recorder };
  const hosts = (deps.makeHosts ?? processHosts)(opts, hostCtx);
  try {
    if (mode === "check-permissions") {
      const ctx = new RunContext(opts, log, now, hosts.source, deps.signal);
      const missing = await checkPermissions(ctx, hosts.target, (line) => deps.stdout.write(`${line}\n`));
      return { exitCode: missing ? 1 : ExitCode.ok, result: missing ? "failed" : "ok", error: null };
    }
    let failed = 0;
    if (isBackupJob(opts) && hosts.target) {
      const ctx = new BackupContext(
        opts,
        log,
        now,
        hosts.source,
        hosts.target,
        deps.signal,
        deps.featureCache,
      );
      printPreamble(ctx);
      failed = (await runBackup(ctx, summary)).totals.failed;
    } else {
      const ctx = new RunContext(opts, log, now, hosts.source, deps.signal, deps.featureCache);
      printPreamble(ctx);
      failed = (await runSnapshotOnly(ctx, summary)).totals.failed;
    }
    // A step that logs failures and goes on may have swallowed the abort: never report success.
    if (deps.signal?.aborted) return stoppedBy(undefined, log, deps.signal);
    const commands = hosts.source.commandCount + (hosts.target?.commandCount ?? 0);
    log.verbose("");
    log.verbose(
      `${commands} commands run (Source: ${hosts.source.commandCount}${
        hosts.target ? `, Target: ${hosts.target.commandCount}` : ""
      })`,
    );
    if (failed === 0 && opts.test) log.title("All tests successful.");
    else if (failed === 0) {
      log.title("All operations completed successfully");
      if (opts.targetPath === undefined) {
        log.verbose("(No target_path specified, only operated as snapshot tool.)");
      }
    }
    if (opts.test) {
      log.verbose("");
      log.note("TEST MODE - DID NOT MAKE ANY CHANGES!");
    }
    return { exitCode: exitCodeForFailures(failed), result: failed ? "failed" : "ok", error: null };
  } catch (e) {
    return stoppedBy(
      e,
      log,
      deps.signal,
      (err) => permissionHint(err, [hosts.source, hosts.target], deps.env),
    );
  } finally {
    log.clearProgress();
    await hosts.close();
    lock?.release();
  }
}
