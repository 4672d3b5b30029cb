/** The JSON run report: every field from the summary and the run's end (pure). */
import assert from "node:assert/strict";
import { buildReport, lagOf, REPORT_SCHEMA, reportText, summaryLine } from "../../lib/report/report.ts";
import { VERSION } from "../../lib/version.ts";
import { END_MS, sampleJob, sampleSummary, START_MS } from "./sample.ts";
import { checkReportSchema } from "../harness/report_schema.ts";

const END = { startedAt: START_MS, endedAt: END_MS, exitCode: 1, result: "failed" as const, error: null };

Deno.test("report: run, per-dataset facts and totals", () => {
  const r = buildReport(sampleJob(), sampleSummary(), END);
  checkReportSchema(r);
  assert.equal(r.schema, REPORT_SCHEMA);
  assert.deepEqual(r.tool, { name: "zfs-autobackup", version: VERSION });
  assert.deepEqual(
    { ...r.run, options: undefined },
    {
      backupName: "offsite",
      mode: "backup",
      source: { host: null },
      target: { host: "root@nas", path: "backup/nas1" },
      startTime: "2010-11-11T00:00:00.000Z",
      endTime: "2010-11-11T00:01:30.500Z",
      seconds: 90.5,
      exitCode: 1,
      result: "failed",
      error: null,
      test: false,
      options: undefined,
    },
  );
  const [a, b, c, q] = r.datasets;
  assert.deepEqual(a, {
    dataset: "pool/a",
    target: "backup/nas1/pool/a",
    result: "ok",
    failure: null,
    newestSnapshot: { name: "offsite-20101111000000", time: "2010-11-11T00:00:00.000Z" },
    commonSnapshot: { name: "offsite-20101111000000", time: "2010-11-11T00:00:00.000Z" },
    // The run ended 90.5 s after the snapshot; lags are whole seconds.
    lagSeconds: 90,
    snapshotsMade: 1,
    sent: { full: 1, incremental: 1, resumed: 1 },
    destroyed: { source: 2, target: 3 },
    bookmarks: { created: 1, destroyed: 2 },
    bytes: 1500,
    seconds: 1.75,
  });
  assert.equal(b!.result, "failed");
  assert.deepEqual(b!.failure, {
    message: 'Command failed on Target with exit code 1: cannot receive: out of space: "zfs recv"',
    reason: "no-space",
  });
  assert.equal(b!.lagSeconds, 86400 + 90);
  assert.equal(b!.bytes, null, "no transfer: no byte count");
  assert.equal(c!.result, "unfinished");
  assert.equal(c!.commonSnapshot, null);
  assert.equal(c!.lagSeconds, null);
  assert.deepEqual(q!.commonSnapshot, { name: "manual", time: null });
  assert.equal(q!.lagSeconds, null, "a snapshot not of ours has no time, so no lag");
  assert.deepEqual(r.totals, {
    datasets: 4,
    ok: 2,
    failed: 1,
    unfinished: 1,
    snapshotsMade: 3,
    sent: { full: 1, incremental: 1, resumed: 1 },
    destroyed: { source: 2, target: 3 + 4 },
    bookmarks: { created: 1, destroyed: 2 },
    bytes: 1500,
    seconds: 1.75,
    maxLagSeconds: 86490,
    missingTarget: { snapshotsDestroyed: 4, datasetsDestroyed: 1 },
  });
});

Deno.test("report: options that shape the run; snapshot-only mode measures the lag from the newest snapshot", () => {
  const job = sampleJob(["--no-holds", "--compress", "--destroy-missing", "30d", "--test"]);
  const r = buildReport(job, sampleSummary(), END);
  assert.equal(r.run.test, true);
  assert.equal(r.run.options.holdTag, null);
  assert.equal(r.run.options.compress, "zstd-fast");
  assert.equal(r.run.options.destroyMissingSeconds, 30 * 86400);
  assert.equal(r.run.options.snapshotFormat, "offsite-%Y%m%d%H%M%S");
  assert.equal(r.run.options.tag, null);
  assert.equal(r.run.options.noBookmarks, false);
  const tagged = buildReport(sampleJob(["--tag", "nas1", "--no-bookmarks"]), sampleSummary(), END);
  assert.equal(tagged.run.options.tag, "nas1");
  assert.equal(tagged.run.options.noBookmarks, true);

  const parsed = sampleJob();
  const snapOnly = { ...parsed, targetPath: undefined, sshTarget: undefined };
  const s = buildReport(snapOnly, sampleSummary(), END);
  checkReportSchema(s);
  assert.equal(s.run.mode, "snapshot-only");
  assert.equal(s.run.target, null);
  assert.equal(s.datasets[1]!.commonSnapshot, null);
  assert.equal(s.datasets[1]!.lagSeconds, 90, "the newest snapshot, not the (old) common one");
});

Deno.test("report: a fatal error before any dataset keeps the error and the exit code", () => {
  const empty = {
    ...sampleSummary(),
    datasets: [],
    missing: { snapshotsDestroyed: 0, datasetsDestroyed: 0 },
  };
  const error = { message: "Command failed on Target (root@nas) with exit code 255: ssh: ...", reason: null };
  const r = buildReport(sampleJob(), empty, { ...END, exitCode: 255, result: "fatal", error });
  checkReportSchema(r);
  assert.equal(r.run.exitCode, 255);
  assert.equal(r.run.result, "fatal");
  assert.deepEqual(r.run.error, error);
  assert.equal(r.totals.datasets, 0);
  assert.equal(r.totals.bytes, null);
  assert.equal(r.totals.maxLagSeconds, null);
});

Deno.test("report: text is indented JSON ending in a newline that parses back to the same document", () => {
  const r = buildReport(sampleJob(), sampleSummary(), END);
  const text = reportText(r);
  assert.ok(text.endsWith("}\n"));
  assert.deepEqual(JSON.parse(text), r);
});

Deno.test("lagOf: backup mode uses the common snapshot, snapshot-only the newest one", () => {
  const d = sampleSummary().datasets[1]!;
  const now = d.newestSource!.time! + 10;
  assert.equal(lagOf(d, true, now), 86410);
  assert.equal(lagOf(d, false, now), 10);
});

Deno.test("summaryLine: one line with the outcome, counts and the error", () => {
  const r = buildReport(sampleJob(), sampleSummary(), END);
  assert.equal(
    summaryLine(r),
    "offsite: failed, 4 datasets, 1 failed, 1 unfinished, 3 snapshots made, 2 sent (1500 bytes), 9 destroyed, " +
      "max lag 86490s, 90.5s, exit 1",
  );
  const fatal = buildReport(sampleJob(), sampleSummary(), {
    ...END,
    exitCode: 255,
    result: "aborted",
    error: { message: "Aborted", reason: null },
  });
  assert.match(summaryLine(fatal), /^offsite: aborted, .*, exit 255: Aborted$/);
  assert.ok(!summaryLine(fatal).includes("\n"));
});
