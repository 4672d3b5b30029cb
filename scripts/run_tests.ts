/**
 * `deno task test`: prepares the real-ZFS test environment, runs `deno test`, tears the
 * environment down again, and prints `N passed, M failed` as the very last line (the CI
 * summary).
 *
 * Steps: install missing system packages, make sure zfs-fuse runs, start a loopback sshd for this
 * run, bring up the OpenZFS guest when the testbed exists (booting it only when it is not
 * running, and stopping it afterwards only when this run booted it), run
 * `deno test --allow-all --parallel tests/` with any extra arguments passed through, then clean
 * up, also on failure and on Ctrl-C.
 */
import { join } from "node:path";
import { spawnProcess } from "../lib/exec/process.ts";
import {
  ENV_KEEP_VM,
  ENV_OZFS_SSH_CONFIG,
  ENV_SKIP_OZFS,
  ENV_SSH_CONFIG,
  REPO_ROOT,
} from "../tests/harness/env.ts";
import { cleanupStaleFusePools, ensureZfsFuse, probeZfsFuse } from "../tests/harness/zfs_fuse.ts";
import { cleanupStaleSshd, runSshdDir, startLoopbackSshd, stopLoopbackSshd } from "../tests/harness/sshd.ts";
import { cleanupStaleOzfsPools, ENV_RUN_ID, prepareOzfsVm, releaseOzfsVm } from "../tests/harness/ozfs.ts";

/** Test counts from Deno's final summary line. */
export interface DenoSummary {
  /** Passed tests (steps not counted). */
  passed: number;
  /** Failed tests (steps not counted). */
  failed: number;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const SUMMARY = /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/;

/**
 * Parses one line of `deno test` output; returns the counts when it is the final summary,
 * e.g. `ok | 12 passed (3 steps) | 0 failed (2s)` or `FAILED | 10 passed | 2 failed (1s)`.
 */
export function parseSummaryLine(line: string): DenoSummary | undefined {
  const m = SUMMARY.exec(line.replace(ANSI, "").trim());
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

/**
 * The CI line and exit code. No summary means deno test never finished (type error, crash,
 * interrupt): one failure. A non-zero exit despite zero failed tests (an error outside any
 * test) also counts as one failure, and so does each broken setup step.
 */
export function finalVerdict(
  summary: DenoSummary | undefined,
  testExitCode: number,
  setupFailures: number,
): { line: string; failed: number } {
  let passed = 0;
  let failed = 1;
  if (summary) {
    passed = summary.passed;
    failed = summary.failed === 0 && testExitCode !== 0 ? 1 : summary.failed;
  }
  failed += setupFailures;
  return { line: `${passed} passed, ${failed} failed`, failed };
}

/** Appends `tests/` unless the extra arguments already name test files or directories. */
async function testArgs(extra: readonly string[]): Promise<string[]> {
  for (const a of extra) {
    if (a.startsWith("-")) continue;
    if (await Deno.stat(a).then(() => true, () => false)) return [...extra];
  }
  return [...extra, "tests/"];
}

const say = (line: string) => console.error(`[run_tests] ${line}`);
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(2)} s`;

async function main(): Promise<number> {
  Deno.chdir(REPO_ROOT);
  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      say("interrupted: stopping the tests and cleaning up (press Ctrl-C twice more to force)");
      ac.abort();
    } else if (interrupts >= 3) {
      say("forced exit: the loopback sshd or the guest may still be running");
      console.log("0 passed, 1 failed");
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  // Empty means "not available" to loopbackSsh()/ozfsConfig(); it also hides values inherited
  // from the caller's environment when a tier is skipped or fails to come up.
  const env: Record<string, string> = {
    DENO_NO_UPDATE_CHECK: "1",
    [ENV_RUN_ID]: String(Deno.pid),
    [ENV_SSH_CONFIG]: "",
    [ENV_OZFS_SSH_CONFIG]: "",
  };
  const cleanups: Array<() => Promise<void>> = [];
  let setupFailures = 0;
  let summary: DenoSummary | undefined;
  let testCode = 1;
  // Without the system packages nothing below can work: skip straight to the verdict.
  let depsMissing = false;
  const setupStep = async (what: string, fn: () => Promise<void>) => {
    if (ac.signal.aborted || depsMissing) return;
    try {
      await fn();
    } catch (e) {
      // An interrupt already makes the run fail; it is not a broken setup step.
      if (!ac.signal.aborted) setupFailures++;
      say(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  try {
    let t0 = performance.now();
    const deps = await spawnProcess(["bash", join("scripts", "install_deps.sh")], {
      onStdoutLine: say,
      onStderrLine: say,
      collectStdout: false,
      signal: ac.signal,
    });
    if (deps.code !== 0) {
      say(`installing dependencies failed with exit code ${deps.code}; not running the tests`);
      depsMissing = true;
    } else {
      say(`dependencies present (${secs(t0)})`);
    }

    await setupStep("Starting zfs-fuse", async () => {
      t0 = performance.now();
      await ensureZfsFuse();
      const stale = await cleanupStaleFusePools();
      await probeZfsFuse();
      say(`zfs-fuse ready (${secs(t0)})${stale.length ? `; destroyed stale pools ${stale.join(", ")}` : ""}`);
    });

    await setupStep("Starting the loopback sshd", async () => {
      t0 = performance.now();
      await cleanupStaleSshd();
      const dir = runSshdDir();
      cleanups.push(async () => {
        await stopLoopbackSshd(dir);
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      });
      const sshd = await startLoopbackSshd(dir);
      env[ENV_SSH_CONFIG] = sshd.configPath;
      say(`loopback sshd on 127.0.0.1:${sshd.port}, ${ENV_SSH_CONFIG}=${sshd.configPath} (${secs(t0)})`);
    });

    if (Deno.env.get(ENV_SKIP_OZFS) === "1") {
      say(`OpenZFS tier SKIPPED: ${ENV_SKIP_OZFS}=1`);
    } else {
      await setupStep("Preparing the OpenZFS guest", async () => {
        t0 = performance.now();
        let startedByUs = false;
        let ready = false;
        // Registered first: an interrupted boot still stops the qemu this run started.
        cleanups.push(() => releaseOzfsVm(startedByUs, Deno.env.get(ENV_KEEP_VM) === "1", say, ready));
        const prepared = await prepareOzfsVm((l) => say(l), () => {
          startedByUs = true;
        }, ac.signal);
        ready = true;
        if ("skipped" in prepared) {
          say(`OpenZFS tier SKIPPED: ${prepared.skipped}`);
          return;
        }
        const config = prepared.ready.configPath;
        const stale = await cleanupStaleOzfsPools(config);
        env[ENV_OZFS_SSH_CONFIG] = config;
        say(
          `OpenZFS guest ready (${prepared.ready.startedByUs ? "booted by this run" : "already running"}), ` +
            `${ENV_OZFS_SSH_CONFIG}=${config} (${secs(t0)})` +
            (stale.length ? `; destroyed stale guest pools ${stale.join(", ")}` : ""),
        );
      });
    }

    if (!ac.signal.aborted && !depsMissing) {
      const args = ["test", "--allow-all", "--parallel", ...await testArgs(Deno.args)];
      say(`deno ${args.join(" ")}`);
      const onLine = (print: (s: string) => void) => (line: string) => {
        print(line);
        summary = parseSummaryLine(line) ?? summary;
      };
      const r = await spawnProcess([Deno.execPath(), ...args], {
        env,
        onStdoutLine: onLine(console.log),
        onStderrLine: onLine(console.error),
        collectStdout: false,
        signal: ac.signal,
      });
      testCode = r.code;
      if (r.signal) say(`deno test was killed by ${r.signal}`);
    }
  } catch (e) {
    setupFailures++;
    say(`harness error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        say(`cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  return finish(summary, testCode, setupFailures, ac.signal.aborted);
}

function finish(
  summary: DenoSummary | undefined,
  testCode: number,
  setupFailures: number,
  aborted: boolean,
): number {
  if (!summary) say("no deno test summary line found");
  const verdict = finalVerdict(summary, testCode, setupFailures);
  // Must be the very last line of output: CI reads it.
  console.log(verdict.line);
  if (aborted) return 130;
  return verdict.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
