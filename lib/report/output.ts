/**
 * Writing the report and the metrics (the shell around report.ts and prometheus.ts): each file
 * atomically, so a reader (node_exporter, a monitoring script) never sees half of it. Failures
 * are warnings: they never change the run's exit code.
 */
import { basename, dirname, join } from "node:path";
import { errorMessage } from "../errors.ts";
import type { Job } from "../job/job.ts";
import type { Logger } from "../log/logger.ts";
import type { Sink } from "../log/term.ts";
import { prometheusText } from "./prometheus.ts";
import { type Report, reportsText } from "./report.ts";

/** Where the report and the metrics go (a job's `--report` and `--prometheus`). */
export type OutputTargets = Pick<Job, "report" | "prometheus">;

/**
 * Writes `text` to `path` through a temporary file in the same directory, flushed to disk and
 * then renamed over `path`. The temporary name ends in `.tmp`, so the textfile collector (which
 * reads `*.prom`) never picks it up.
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      const data = new TextEncoder().encode(text);
      for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Writes `--report` (a file, or stdout for "-") and `--prometheus` of one run, or of the jobs
 * of a jobs file that name the same files; a failure is a warning.
 */
export async function writeOutputs(
  job: OutputTargets,
  reports: readonly Report[],
  log: Logger,
  stdout: Sink,
): Promise<void> {
  if (reports.length === 0) return;
  if (job.report === "-") stdout.write(reportsText(reports));
  else if (job.report !== undefined) {
    await writeAtomic(job.report, reportsText(reports)).catch((e) =>
      log.note(`Cannot write the report to "${job.report}": ${errorMessage(e)}`)
    );
  }
  if (job.prometheus !== undefined) {
    await writeAtomic(job.prometheus, prometheusText(reports)).catch((e) =>
      log.note(`Cannot write the metrics to "${job.prometheus}": ${errorMessage(e)}`)
    );
  }
}
