/**
 * Running the jobs of a jobs file one after the other. Each job is a whole run of its own (its
 * own lock, hosts and output, see `runJob` in app.ts); a job that fails does not stop the next.
 * The exit code adds up the failed datasets of all jobs.
 */
import { ExitCode, exitCodeForFailures } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { RunSummary } from "../run/summary.ts";
import type { Report } from "../report/report.ts";
import type { FileJob } from "./compile_jobs.ts";

/** What one job's run ended with. */
export interface JobOutcome {
  /**
   * The exit code of the job alone: its failed datasets, 255 when it stopped, 1 when a
   * permission check found something missing.
   */
  code: number;
  /** Failed datasets (backup mode). */
  failed: number;
  /**
   * The backup's summary, for reports over the whole run; undefined for snapshot-only, a
   * permission check, and a job that stopped before its datasets.
   */
  summary: RunSummary | undefined;
  /** The message that stopped the job (exit 255), or undefined. */
  fatal: string | undefined;
  /** The job's `--report` document (not for the freshness and permission checks). */
  report: Report | undefined;
}

/** One job's name and outcome. */
export interface JobResult {
  name: string;
  outcome: JobOutcome;
}

/**
 * The exit code of a jobs run: 255 when a job stopped (as a single run would), else the failed
 * datasets of all jobs together (capped at 255), at least the highest code of a job.
 */
export function jobsExitCode(results: readonly JobResult[]): number {
  if (results.some((r) => r.outcome.fatal !== undefined)) return ExitCode.fatal;
  const failed = results.reduce((n, r) => n + r.outcome.failed, 0);
  return Math.max(exitCodeForFailures(failed), ...results.map((r) => r.outcome.code));
}

/** The closing lines for the jobs that did not succeed (empty when all did). */
export function failedJobLines(results: readonly JobResult[]): string[] {
  const bad = results.filter((r) => r.outcome.code !== ExitCode.ok);
  if (bad.length === 0) return [];
  const line = ({ name, outcome: o }: JobResult) => {
    if (o.fatal !== undefined) return `  ${name}: stopped: ${o.fatal}`;
    if (o.failed) return `  ${name}: ${o.failed} dataset${o.failed === 1 ? "" : "s"} failed`;
    return `  ${name}: permissions missing`;
  };
  return [
    `${bad.length} of ${results.length} job${results.length === 1 ? "" : "s"} failed:`,
    ...bad.map(line),
  ];
}

/**
 * Runs `jobs` in order with `runOne` (which must not throw for a job's own failures), prints
 * which job runs and, at the end, the jobs that failed. An abort (Ctrl-C) stops before the next
 * job. Returns the exit code and every job's result (the seam for a report over all jobs).
 */
export async function runJobs(
  jobs: readonly FileJob[],
  runOne: (job: FileJob, title: string) => Promise<JobOutcome>,
  log: Logger,
  signal?: AbortSignal,
): Promise<{ code: number; results: JobResult[] }> {
  const results: JobResult[] = [];
  for (const [i, job] of jobs.entries()) {
    if (signal?.aborted) break;
    const title = `Job ${job.name} (${i + 1}/${jobs.length}): ${job.job.backupName}${
      job.job.targetPath === undefined ? "" : ` -> ${job.job.targetPath}`
    }`;
    results.push({ name: job.name, outcome: await runOne(job, title) });
  }
  if (signal?.aborted) return { code: ExitCode.fatal, results };
  for (const line of failedJobLines(results)) log.error(line);
  return { code: jobsExitCode(results), results };
}
