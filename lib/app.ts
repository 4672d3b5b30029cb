/**
 * The program: parse options, build hosts, run a mode, map the outcome to an exit code.
 * Returns the exit code instead of calling Deno.exit so tests can run it in-process.
 */
import { parseOptions } from "./cli/parse.ts";
import { isBackupJob, type Job } from "./job/job.ts";
import { showValue } from "./job/show_value.ts";
import {
  bugText,
  CommandError,
  errorMessage,
  ExitCode,
  exitCodeForFailures,
  FatalError,
  UsageError,
} from "./errors.ts";
import type { Host, HostContext, HostLabel } from "./exec/host.ts";
import { ProcessHost } from "./exec/process_host.ts";
import { ControlDir, SshClient } from "./exec/ssh.ts";
import { RECORD_ENV, Recorder } from "./exec/fixture.ts";
import { Logger, type LoggerOptions } from "./log/logger.ts";
import { colorAllowed, type Sink } from "./log/term.ts";
import { BackupContext, RunContext } from "./run/context.ts";
import { printPreamble } from "./run/preamble.ts";
import { runSnapshotOnly } from "./run/snapshot_only.ts";
import { runBackup } from "./run/backup.ts";
import type { RunSummary } from "./run/summary.ts";
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
  let jobs: FileJob[];
  let checkPermissions: boolean;
  let single: boolean;
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
    checkPermissions = parsed.checkPermissions;
    single = parsed.kind === "run";
    jobs = parsed.kind === "run" ? [{ name: "", job: parsed.job }] : compileJobs(
      parseJobsFile(await readJobsFile(deps, parsed.file), parsed.file),
      parsed.overrides,
      parsed.only,
    );
  } catch (e) {
    if (e instanceof UsageError) {
      deps.stderr.write(`zfs-autobackup: error: ${e.message} (see --help)\n`);
      return ExitCode.usage;
    }
    throw e;
  }
  const mode: JobMode = checkPermissions ? "check-permissions" : "run";
  if (single) return (await runJob(deps, jobs[0]!.job, mode)).code;
  const log = new Logger(
    loggerOptions(jobs.some((j) => j.job.verbose), false, false, false),
    deps.stdout,
    deps.stderr,
  );
  const { code } = await runJobs(jobs, (j, title) => runJob(deps, j.job, mode, title), log, deps.signal);
  return code;
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

function loggerOptions(
  verbose: boolean,
  debug: boolean,
  debugOutput: boolean,
  progress: boolean,
): LoggerOptions {
  return { verbose, debug, debugOutput, color: colorAllowed(), progress };
}

/**
 * Runs one job: output, lock, hosts, the mode, and the job's exit code. `title` is printed
 * first (verbose), to tell the jobs of a file apart. Never throws for the job's own failures.
 */
export async function runJob(deps: AppDeps, opts: Job, mode: JobMode, title?: string): Promise<JobOutcome> {
  const log = new Logger(
    loggerOptions(
      opts.verbose,
      opts.debug,
      opts.debugOutput,
      opts.progress ?? (deps.stderr.isTerminal && !opts.noProgress),
    ),
    deps.stdout,
    deps.stderr,
  );
  if (title !== undefined) log.title(title);
  const stopped = (message: string): JobOutcome => ({
    code: ExitCode.fatal,
    failed: 0,
    summary: undefined,
    fatal: message,
  });
  const recordPath = deps.env(RECORD_ENV);
  const now = deps.now();
  const recorder = recordPath
    ? new Recorder(recordPath, { now: new Date(now).toISOString(), args: JSON.stringify(deps.args) })
    : undefined;
  // --test changes nothing, so it may run beside a real run of the same backup.
  let lock: { release(): void } | undefined;
  try {
    if (!opts.test && mode === "run") lock = await deps.lock?.(opts.backupName);
  } catch (e) {
    if (e instanceof FatalError) {
      log.error(e.message);
      return stopped(e.message);
    }
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
      return { code: missing ? 1 : ExitCode.ok, failed: 0, summary: undefined, fatal: undefined };
    }
    let failed = 0;
    let summary: RunSummary | undefined;
    if (isBackupJob(opts) && hosts.target) {
      const ctx = new BackupContext(opts, log, now, hosts.source, hosts.target, deps.signal);
      printPreamble(ctx);
      summary = await runBackup(ctx);
      failed = summary.totals.failed;
    } else {
      const ctx = new RunContext(opts, log, now, hosts.source, deps.signal);
      printPreamble(ctx);
      await runSnapshotOnly(ctx);
    }
    // A step that logs failures and goes on may have swallowed the abort: never report success.
    if (deps.signal?.aborted) {
      log.error("Aborted");
      return stopped("Aborted");
    }
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
    return { code: exitCodeForFailures(failed), failed, summary, fatal: undefined };
  } catch (e) {
    if (deps.signal?.aborted) {
      log.error("Aborted");
      return stopped("Aborted");
    }
    if (e instanceof FatalError || e instanceof CommandError || e instanceof UsageError) {
      const message = permissionHint(e, [hosts.source, hosts.target], deps.env) ?? e.message;
      log.error(message);
      if (e instanceof CommandError && e.stderrTail.trim()) {
        log.debug(`stderr of the failed command:\n${e.stderrTail}`);
      }
      return stopped(message);
    }
    log.error(bugText(e));
    return stopped(bugText(e));
  } finally {
    log.clearProgress();
    await hosts.close();
    lock?.release();
  }
}
