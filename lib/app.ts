/**
 * The program: parse options, build hosts, run a mode, map the outcome to an exit code.
 * Returns the exit code instead of calling Deno.exit so tests can run it in-process.
 */
import { parseOptions } from "./cli/parse.ts";
import { isBackupJob, type Job } from "./job/job.ts";
import { bugText, CommandError, ExitCode, exitCodeForFailures, FatalError, UsageError } from "./errors.ts";
import type { Host, HostContext, HostLabel } from "./exec/host.ts";
import { ProcessHost } from "./exec/process_host.ts";
import { ControlDir, SshClient } from "./exec/ssh.ts";
import { RECORD_ENV, Recorder } from "./exec/fixture.ts";
import { Logger } from "./log/logger.ts";
import { colorAllowed, type Sink } from "./log/term.ts";
import { BackupContext, RunContext } from "./run/context.ts";
import { printPreamble } from "./run/preamble.ts";
import { runSnapshotOnly } from "./run/snapshot_only.ts";
import { runBackup } from "./run/backup.ts";

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
  const log = new Logger(
    {
      verbose: opts.verbose,
      debug: opts.debug,
      debugOutput: opts.debugOutput,
      color,
      progress: opts.progress ?? (deps.stderr.isTerminal && !opts.noProgress),
    },
    deps.stdout,
    deps.stderr,
  );
  const recordPath = deps.env(RECORD_ENV);
  const now = deps.now();
  const recorder = recordPath
    ? new Recorder(recordPath, { now: new Date(now).toISOString(), args: JSON.stringify(deps.args) })
    : undefined;
  // --test changes nothing, so it may run beside a real run of the same backup.
  let lock: { release(): void } | undefined;
  try {
    if (!opts.test) lock = await deps.lock?.(opts.backupName);
  } catch (e) {
    if (e instanceof FatalError) {
      log.error(e.message);
      return ExitCode.fatal;
    }
    throw e;
  }
  const hostCtx = { log, testMode: opts.test, ...(deps.signal ? { signal: deps.signal } : {}), recorder };
  const hosts = (deps.makeHosts ?? processHosts)(opts, hostCtx);
  try {
    let failed = 0;
    if (isBackupJob(opts) && hosts.target) {
      const ctx = new BackupContext(opts, log, now, hosts.source, hosts.target, deps.signal);
      printPreamble(ctx);
      failed = (await runBackup(ctx)).totals.failed;
    } else {
      const ctx = new RunContext(opts, log, now, hosts.source, deps.signal);
      printPreamble(ctx);
      failed = await runSnapshotOnly(ctx);
    }
    // A step that logs failures and goes on may have swallowed the abort: never report success.
    if (deps.signal?.aborted) {
      log.error("Aborted");
      return ExitCode.fatal;
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
    return exitCodeForFailures(failed);
  } catch (e) {
    if (deps.signal?.aborted) {
      log.error("Aborted");
      return ExitCode.fatal;
    }
    if (e instanceof FatalError || e instanceof CommandError || e instanceof UsageError) {
      log.error(e.message);
      if (e instanceof CommandError && e.stderrTail.trim()) {
        log.debug(`stderr of the failed command:\n${e.stderrTail}`);
      }
      return ExitCode.fatal;
    }
    log.error(bugText(e));
    return ExitCode.fatal;
  } finally {
    log.clearProgress();
    await hosts.close();
    lock?.release();
  }
}
