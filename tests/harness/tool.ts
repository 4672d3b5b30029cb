/**
 * Runs the real CLI (`deno run main.ts`) as a child process, the way a user or cron would,
 * optionally with a faked wall clock from libfaketime so snapshot names and thinning are
 * deterministic.
 */
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { ENV_FAKETIME_LIB, FAKETIME_LIB_CANDIDATES, REPO_ROOT } from "./env.ts";

/** Options for one tool run. */
export interface RunToolOptions {
  /**
   * Wall clock start, `YYYY-MM-DD hh:mm:ss` (UTC). The clock starts there and keeps running;
   * monotonic time stays real so timers work.
   */
  fakeTime?: string;
  /** Extra environment variables (override the defaults below). */
  env?: Record<string, string>;
  /** Text fed to stdin (closed afterwards); stdin is /dev/null without it. */
  stdin?: string;
  /** Script to run instead of `<repo>/main.ts` (for harness self-tests). */
  entry?: string;
  /** Aborting kills the tool's process group. */
  signal?: AbortSignal;
}

/** What a tool run left behind. */
export interface ToolResult {
  /** Exit code (128+N when killed by signal N). */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** The libfaketime preload library ($ZAB_FAKETIME_LIB or the first existing Debian path). */
export function faketimeLib(): string {
  const fromEnv = Deno.env.get(ENV_FAKETIME_LIB);
  const candidates = fromEnv ? [fromEnv] : FAKETIME_LIB_CANDIDATES;
  for (const p of candidates) {
    try {
      Deno.statSync(p);
      return p;
    } catch {
      // Try the next one.
    }
  }
  throw new Error(
    `Finding libfaketime failed: none of "${candidates.join(", ")}" exists (install libfaketime)`,
  );
}

const FAKE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** The environment variables that make a child see `start` as the current UTC time. */
export function fakeTimeEnv(start: string): Record<string, string> {
  if (!FAKE_TIME.test(start)) {
    throw new Error(`Faking the time failed: "${start}" is not "YYYY-MM-DD hh:mm:ss"`);
  }
  return {
    LD_PRELOAD: faketimeLib(),
    // Frozen (no "@"): every reading is exactly `start`, so a snapshot name never depends on
    // how long a loaded machine takes to start the tool (a running clock could tick past the
    // second before the tool reads it). ssh and zfs run fine under it.
    FAKETIME: start,
    // Deno's timers and performance.now() need real monotonic time, or sleeps misbehave.
    DONT_FAKE_MONOTONIC: "1",
  };
}

/** The argv that runs the tool (or `entry`) with this repository's deno.json. */
export function toolArgv(args: readonly string[], entry: string = join(REPO_ROOT, "main.ts")): string[] {
  // -q keeps Deno's own diagnostics (downloads, warnings) out of the stderr tests assert on.
  return [
    Deno.execPath(),
    "run",
    "-q",
    "--allow-all",
    "--config",
    join(REPO_ROOT, "deno.json"),
    entry,
    ...args,
  ];
}

/**
 * Runs `deno run --allow-all <repo>/main.ts ...args` with TZ=UTC and NO_COLOR=1 (plus
 * libfaketime when `fakeTime` is given) and returns its exit code and complete output.
 */
export async function runTool(args: readonly string[], opts: RunToolOptions = {}): Promise<ToolResult> {
  const env: Record<string, string> = {
    TZ: "UTC",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    // No probe cache between runs unless a test asks for one: runs stay alike (and recordable).
    ZFS_AUTOBACKUP_FEATURE_CACHE: "",
    ...(opts.fakeTime === undefined ? {} : fakeTimeEnv(opts.fakeTime)),
    ...opts.env,
  };
  // spawnProcess keeps only a bounded stderr tail; tests want all of it.
  const stderr: string[] = [];
  const r = await spawnProcess(toolArgv(args, opts.entry), {
    env,
    onStderrLine: (line) => stderr.push(line),
    ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { code: r.code, stdout: r.stdout, stderr: stderr.length ? stderr.join("\n") + "\n" : "" };
}
