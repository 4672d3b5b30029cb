/** Running the jobs of a file: order, failures that do not stop the next job, exit codes. */
import assert from "node:assert/strict";
import { type JobOutcome, type JobResult, jobsExitCode, runJobs } from "../../lib/jobs/run_jobs.ts";
import { buildJob } from "../../lib/job/build_job.ts";
import { Logger } from "../../lib/log/logger.ts";
import { MemorySink } from "../../lib/log/term.ts";

const ok: JobOutcome = { code: 0, failed: 0, summary: undefined, fatal: undefined, report: undefined };
const failed = (n: number): JobOutcome => ({
  code: Math.min(n, 255),
  failed: n,
  summary: undefined,
  fatal: undefined,
  report: undefined,
});
const stopped: JobOutcome = {
  code: 255,
  failed: 0,
  summary: undefined,
  fatal: "Target path 'x' does not exist.",
  report: undefined,
};
const result = (name: string, outcome: JobOutcome): JobResult => ({ name, outcome });

Deno.test("jobs exit code: failed datasets add up over jobs (capped); a stopped job is 255", () => {
  assert.equal(jobsExitCode([result("a", ok), result("b", ok)]), 0);
  assert.equal(jobsExitCode([result("a", failed(2)), result("b", ok), result("c", failed(3))]), 5);
  assert.equal(jobsExitCode([result("a", failed(200)), result("b", failed(100))]), 255);
  assert.equal(jobsExitCode([result("a", stopped), result("b", failed(1))]), 255);
  const missing: JobOutcome = { ...ok, code: 1 };
  assert.equal(jobsExitCode([result("a", ok), result("b", missing)]), 1, "a permission check's 1 counts");
});

function fileJob(name: string) {
  return { name, job: buildJob({}, { backupName: name, targetPath: `pool/${name}` }) };
}

Deno.test("runJobs: every job runs in order even after failures; titles name the job; failed jobs listed last", async () => {
  const out = new MemorySink();
  const err = new MemorySink();
  const log = new Logger(
    { verbose: true, debug: false, debugOutput: false, color: false, progress: false },
    out,
    err,
  );
  const outcomes: Record<string, JobOutcome> = { a: stopped, b: failed(2), c: ok };
  const titles: string[] = [];
  const r = await runJobs(["a", "b", "c"].map(fileJob), (j, title) => {
    titles.push(title);
    return Promise.resolve(outcomes[j.name]!);
  }, log);
  assert.deepEqual(titles, [
    "Job a (1/3): a -> pool/a",
    "Job b (2/3): b -> pool/b",
    "Job c (3/3): c -> pool/c",
  ]);
  assert.equal(r.code, 255);
  assert.deepEqual(r.results.map((x) => x.name), ["a", "b", "c"]);
  assert.equal(
    err.text,
    "! 2 of 3 jobs failed:\n!   a: stopped: Target path 'x' does not exist.\n!   b: 2 datasets failed\n",
  );
});

Deno.test("runJobs: an abort stops before the next job with 255", async () => {
  const sink = new MemorySink();
  const log = new Logger(
    { verbose: false, debug: false, debugOutput: false, color: false, progress: false },
    sink,
    sink,
  );
  const abort = new AbortController();
  const ran: string[] = [];
  const r = await runJobs(
    ["a", "b"].map(fileJob),
    (j) => {
      ran.push(j.name);
      abort.abort();
      return Promise.resolve(stopped);
    },
    log,
    abort.signal,
  );
  assert.deepEqual(ran, ["a"]);
  assert.equal(r.code, 255);
});
