/**
 * The zfs-check program: parse options, prepare the target, print its hash list or compare a
 * list with it, clean up, map the outcome to an exit code. Returns the exit code instead of
 * calling Deno.exit so tests can run it in-process. The hashing itself lives in the library
 * functions it calls (ChunkHasher, hashTree, compareTree, prepareTarget).
 */
import { parseOrExit } from "../cli/early_exit.ts";
import { bugText, CommandError, errorMessage, ExitCode, exitCodeForFailures, FatalError } from "../errors.ts";
import type { Host, HostContext } from "../exec/host.ts";
import { ProcessHost } from "../exec/process_host.ts";
import { Logger } from "../log/logger.ts";
import { colorAllowed, type Sink } from "../log/term.ts";
import { ChunkHasher } from "./hasher.ts";
import {
  failureLine,
  fileEntry,
  hashLine,
  mapAsync,
  readLines,
  type SampleCounts,
  sampleLines,
  treeEntry,
} from "./hash_list.ts";
import { CHECK_HEADER, CHECK_PROGRAM, type CheckOptions, parseCheckOptions } from "./options.ts";
import { isBrokenPipe } from "./output.ts";
import { type PreparedTarget, prepareTarget, type TargetContext } from "./target.ts";
import { compareTree, hashTree } from "./tree.ts";

/** Everything zfs-check needs from the outside world. */
export interface ZfsCheckDeps {
  args: readonly string[];
  /** Hash lines, compare reports and verbose output. `writeError` (see output.ts) is watched. */
  stdout: Sink & { readonly writeError?: unknown };
  /** Errors and progress. */
  stderr: Sink;
  /** The hash list for `--check` without FILE. */
  stdin?: ReadableStream<Uint8Array>;
  /** Aborts the run (Ctrl-C, SIGTERM): hashing stops, the target is cleaned up, exit 255. */
  signal?: AbortSignal;
  /** Builds the host zfs commands run on; defaults to this machine. */
  makeHost?: (ctx: HostContext & { signal?: AbortSignal }) => Host;
  /** Overrides for preparing snapshot targets (tests). */
  target?: Pick<TargetContext, "deviceTimeoutMs" | "cloneName">;
}

/** Runs zfs-check and returns its exit code. */
export async function runZfsCheck(deps: ZfsCheckDeps): Promise<number> {
  const parsed = await parseOrExit(CHECK_PROGRAM, deps, () => parseCheckOptions(deps.args));
  if (typeof parsed === "number") return parsed;
  const opts: CheckOptions = parsed.options;

  const log = new Logger(
    {
      verbose: opts.verbose,
      debug: opts.debug,
      debugOutput: opts.debugOutput,
      color: colorAllowed(),
      progress: opts.progress ?? (deps.stderr.isTerminal && !opts.noProgress),
    },
    deps.stdout,
    deps.stderr,
  );
  printHeader(log, opts);
  const signal = deps.signal;
  const hostCtx = { log, testMode: opts.test, ...(signal ? { signal } : {}) };
  const host = deps.makeHost?.(hostCtx) ?? new ProcessHost("Source", undefined, hostCtx);
  let list: { lines: AsyncIterable<string>; close(): void } | undefined;
  let prepared: PreparedTarget | undefined;
  let code: number = ExitCode.fatal;
  try {
    // The list first: a missing list file must not cost a mount or a clone.
    if (opts.check !== undefined) list = await openList(opts.check, deps.stdin);
    prepared = await prepareTarget(opts.target, { host, log, testMode: opts.test, signal, ...deps.target });
    const isDir = await isDirectory(prepared.path);
    const hasher = new ChunkHasher(opts, signal);
    code = list
      ? await compare(prepared.path, isDir, hasher, list.lines, opts, log, deps.stdout)
      : await generate(prepared.path, isDir, hasher, log, deps.stdout);
    if (signal?.aborted) throw signal.reason;
  } catch (e) {
    code = ExitCode.fatal;
    if (signal?.aborted) log.error("Aborted");
    else if (e instanceof FatalError || e instanceof CommandError) log.error(e.message);
    else log.error(bugText(e));
  } finally {
    list?.close();
    if (prepared) {
      try {
        await prepared.release();
      } catch (e) {
        log.error(`Cannot clean up after checking "${opts.target}": ${errorMessage(e)}`);
        code = ExitCode.fatal;
      }
    }
    log.clearProgress();
    await host.close();
  }
  return code;
}

function printHeader(log: Logger, opts: CheckOptions): void {
  log.verbose(CHECK_HEADER);
  log.verbose("");
  if (opts.test) log.note("TEST MODE - WILL ONLY DO READ-ONLY STUFF");
  log.verbose(`Target               : ${opts.target}`);
  log.verbose(`Block size           : ${opts.blockSize} bytes`);
  log.verbose(`Block count          : ${opts.count}`);
  log.verbose(`Effective chunk size : ${opts.blockSize * opts.count} bytes`);
  log.verbose(`Skip chunk count     : ${opts.skip} (checks ${(100 / (1 + opts.skip)).toFixed(2)}% of data)`);
  log.verbose("");
}

/** The hash list to check: a file, or stdin when `check` is true. */
async function openList(
  check: string | true,
  stdin: ReadableStream<Uint8Array> | undefined,
): Promise<{ lines: AsyncIterable<string>; close(): void }> {
  if (check === true) {
    if (!stdin) throw new FatalError("Cannot read the hash list from stdin: no stdin");
    return { lines: readLines(stdin), close() {} };
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(check);
  } catch (e) {
    throw new FatalError(`Cannot open the hash list "${check}": ${errorMessage(e)}`);
  }
  const stream = file.readable;
  return {
    lines: readLines(stream),
    close() {
      // Closing an already consumed stream's file throws; there is nothing left to release then.
      stream.cancel().catch(() => {});
    },
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false; // Hashing reports the path's real problem.
  }
}

/** Every second at most: the progress line. */
function throttle(): () => boolean {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < 1000) return false;
    last = now;
    return true;
  };
}

/** Prints the hash list; stops early when stdout is a closed pipe. */
async function generate(
  path: string,
  isDir: boolean,
  hasher: ChunkHasher,
  log: Logger,
  out: ZfsCheckDeps["stdout"],
): Promise<number> {
  log.debug(`${isDir ? "Hashing tree" : "Hashing file"}: ${path}`);
  const due = throttle();
  let count = 0;
  for await (const h of isDir ? hashTree(path, hasher) : hasher.hashFile(path)) {
    out.write(`${hashLine(h)}\n`);
    count++;
    if (out.writeError !== undefined) {
      if (!isBrokenPipe(out.writeError)) {
        throw new FatalError(`Cannot write the hash list: ${errorMessage(out.writeError)}`);
      }
      log.debug("stdout was closed: stopping");
      break;
    }
    if (due()) log.progress(`Generated ${count} hashes.`);
  }
  log.verbose(`Generated ${count} hashes.`);
  return ExitCode.ok;
}

/** Prints every failed chunk and returns the exit code (the number of failures, capped). */
async function compare(
  path: string,
  isDir: boolean,
  hasher: ChunkHasher,
  lines: AsyncIterable<string>,
  opts: CheckOptions,
  log: Logger,
  out: ZfsCheckDeps["stdout"],
): Promise<number> {
  log.debug(`${isDir ? "Comparing tree" : "Comparing file"}: ${path}`);
  const counts: SampleCounts = { checked: 0, skipped: 0 };
  const fields = sampleLines(lines, opts.skip, counts);
  const due = throttle();
  const entries = mapAsync(fields, (f) => {
    if (due()) log.progress(`Checked ${counts.checked} hashes (skipped ${counts.skipped})`);
    return f;
  });
  let errors = 0;
  const report = (f: Parameters<typeof failureLine>[0]) => {
    errors++;
    out.write(`${failureLine(f)}\n`);
    // A closed pipe only loses the report; the exit code still counts the failures.
    if (out.writeError !== undefined && !isBrokenPipe(out.writeError)) {
      throw new FatalError(`Cannot write the report: ${errorMessage(out.writeError)}`);
    }
  };
  const failures = isDir
    ? compareTree(path, mapAsync(entries, treeEntry), hasher)
    : hasher.compareFile(path, mapAsync(entries, fileEntry));
  for await (const f of failures) report(f);
  log.verbose(`Checked ${counts.checked} hashes (skipped ${counts.skipped})`);
  log.verbose(`Total errors: ${errors}`);
  return exitCodeForFailures(errors);
}
