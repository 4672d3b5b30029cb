/**
 * The program: parse options, build hosts, run a mode, map the outcome to an exit code.
 * Returns the exit code instead of calling Deno.exit so tests can run it in-process.
 */
import { parseOptions } from "./cli/parse.ts";
import { isBackupJob, type Job, type MonitorThresholds } from "./job/job.ts";
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
import { printPreamble } from "./run/preamble.ts";
import { runSnapshotOnly } from "./run/snapshot_only.ts";
import { runBackup } from "./run/backup.ts";
import { checkFreshness } from "./run/monitor.ts";
import { judgeFreshness, unknownVerdict, type Verdict } from "./monitor/freshness.ts";
import { newSummary, type RunSummary } from "./run/summary.ts";
import { buildReport, type RunEnd, summaryLine } from "./report/report.ts";
import {
  datagramsAvailable,
  DEFAULT_SYSLOG_SOCKET,
  Severity,
  SYSLOG_SOCKET_ENV,
  SyslogWriter,
} from "./log/syslog.ts";
import { writeOutputs } from "./report/output.ts";

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
  /** Takes the one-run-per-backup-name lock (main.ts passes `lockRun`; tests run without). */
  lock?: (backupName: string) => Promise<{ release(): void }>;
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
  let opts: Job;
  try {
    const parsed = parseOptions(deps.args);
    if (parsed.kind === "help") {
      deps.stdout.write(parsed.text); // helpText() ends with its newline.
      return ExitCode.ok;
    }
    if (parsed.kind === "version") {
      deps.stdout.write(`${parsed.text}\n`);
      return ExitCode.ok;
    }
    opts = parsed.job;
  } catch (e) {
    if (e instanceof UsageError) {
      deps.stderr.write(`zfs-autobackup: error: ${e.message} (see --help)\n`);
      return ExitCode.usage;
    }
    throw e;
  }

  const color = colorAllowed();
  const syslog = opts.syslog
    ? openSyslog(deps, (why) => log.note(`Cannot send to syslog: ${why}`))
    : undefined;
  const log: Logger = new Logger(
    {
      verbose: opts.verbose,
      debug: opts.debug,
      debugOutput: opts.debugOutput,
      color,
      progress: opts.progress ?? (deps.stderr.isTerminal && !opts.noProgress),
    },
    // The check's stdout is its one status line: everything else goes to stderr.
    opts.monitor ? deps.stderr : deps.stdout,
    deps.stderr,
    syslog && ((kind, text) => syslog.send(SEVERITY_OF[kind], text)),
  );
  const now = deps.now();
  let code: number;
  let last: string;
  if (opts.monitor) {
    const verdict = await runCheck(opts, opts.monitor, log, deps, now);
    [code, last] = [verdict.status, verdict.line];
  } else {
    const summary = newSummary(opts.backupName, new Date(now).toISOString());
    const end = await runJob(opts, log, deps, now, summary);
    const report = buildReport(opts, summary, { startedAt: now, endedAt: deps.now(), ...end });
    await writeOutputs(opts, report, log, deps.stdout);
    [code, last] = [end.exitCode, summaryLine(report)];
  }
  if (syslog) {
    // The last syslog line sums the run up in one line.
    syslog.send(code === 0 ? Severity.notice : Severity.err, last);
    await syslog.close();
  }
  return code;
}

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

/** The end of a run stopped by `e` (an abort, a fatal error or a bug), its error logged. */
function stoppedBy(e: unknown, log: Logger, signal: AbortSignal | undefined): JobEnd {
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
    log.error(e.message);
    if (e instanceof CommandError && e.stderrTail.trim()) {
      log.debug(`stderr of the failed command:\n${e.stderrTail}`);
    }
    return fatal(e.message, e instanceof ZfsError ? e.reason : null);
  }
  log.error(bugText(e));
  return fatal(bugText(e));
}

/** Takes the lock, makes the hosts and runs the mode, filling `summary`; never throws. */
async function runJob(
  opts: Job,
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
    if (!opts.test) lock = await deps.lock?.(opts.backupName);
  } catch (e) {
    if (e instanceof FatalError) return stoppedBy(e, log, undefined);
    throw e;
  }
  const hostCtx = { log, testMode: opts.test, ...(deps.signal ? { signal: deps.signal } : {}), recorder };
  const hosts = (deps.makeHosts ?? processHosts)(opts, hostCtx);
  try {
    let failed = 0;
    if (isBackupJob(opts) && hosts.target) {
      const ctx = new BackupContext(opts, log, now, hosts.source, hosts.target, deps.signal);
      printPreamble(ctx);
      failed = (await runBackup(ctx, summary)).totals.failed;
    } else {
      const ctx = new RunContext(opts, log, now, hosts.source, deps.signal);
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
    return stoppedBy(e, log, deps.signal);
  } finally {
    log.clearProgress();
    await hosts.close();
    lock?.release();
  }
}
