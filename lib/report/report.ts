/**
 * The JSON run report (`--report`), schema 1: built from the run's summary and how the run
 * ended, as plain data (pure). README "Run report" documents every field; a change that
 * removes or renames a field, or changes its meaning, raises `REPORT_SCHEMA`.
 */
import type { ZfsReason } from "../errors.ts";
import type { Job } from "../job/job.ts";
import type { DatasetSummary, RunSummary, SnapshotRef } from "../run/summary.ts";
import { PROGRAM, VERSION } from "../version.ts";

/** The schema version written as `"schema"`. */
export const REPORT_SCHEMA = 1;

/** How a run ended. */
export type RunResult = "ok" | "failed" | "aborted" | "fatal";

/** A failure: its one-line message and, for a classified zfs failure, why. */
export interface ReportError {
  message: string;
  reason: ZfsReason | null;
}

/** How the run ended, as app.ts saw it. */
export interface RunEnd {
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number;
  exitCode: number;
  result: RunResult;
  /** What stopped the run (fatal, aborted); null otherwise. */
  error: ReportError | null;
}

/** A snapshot in the report. */
export interface ReportSnapshot {
  name: string;
  /** ISO 8601 (UTC) from the snapshot's name; null when the name is not one of ours. */
  time: string | null;
}

/** One dataset in the report. */
export interface ReportDataset {
  dataset: string;
  target: string | null;
  result: "ok" | "failed" | "unfinished";
  failure: ReportError | null;
  newestSnapshot: ReportSnapshot | null;
  commonSnapshot: ReportSnapshot | null;
  lagSeconds: number | null;
  snapshotsMade: number;
  sent: { full: number; incremental: number; resumed: number };
  destroyed: { source: number; target: number };
  bookmarks: { created: number; destroyed: number };
  bytes: number | null;
  seconds: number;
}

/** The document `--report` writes. */
export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  run: {
    backupName: string;
    mode: "backup" | "snapshot-only";
    source: { host: string | null };
    target: { host: string | null; path: string } | null;
    startTime: string;
    endTime: string;
    seconds: number;
    exitCode: number;
    result: RunResult;
    error: ReportError | null;
    test: boolean;
    options: Record<string, string | number | boolean | null>;
  };
  datasets: ReportDataset[];
  totals: {
    datasets: number;
    ok: number;
    failed: number;
    unfinished: number;
    snapshotsMade: number;
    sent: { full: number; incremental: number; resumed: number };
    destroyed: { source: number; target: number };
    bookmarks: { created: number; destroyed: number };
    bytes: number | null;
    seconds: number;
    maxLagSeconds: number | null;
    missingTarget: { snapshotsDestroyed: number; datasetsDestroyed: number };
  };
}

/** Seconds with millisecond precision (no float noise such as 0.30000000000000004). */
function roundSeconds(s: number): number {
  return Math.round(s * 1000) / 1000;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function snapshot(ref: SnapshotRef | undefined): ReportSnapshot | null {
  if (ref === undefined) return null;
  return { name: ref.name, time: ref.time === undefined ? null : iso(ref.time * 1000) };
}

/** The run's options that shape what it does (the rest are in the command line). */
function options(job: Job): Report["run"]["options"] {
  return {
    property: job.property,
    snapshotFormat: job.snapshotFormat.pattern,
    holdTag: job.noHolds ? null : job.holdTag,
    tag: job.snapshotFormat.tags?.tag ?? null,
    noBookmarks: job.noBookmarks,
    noSnapshot: job.noSnapshot,
    noSend: job.noSend,
    noThinning: job.noThinning,
    otherSnapshots: job.otherSnapshots,
    minChange: job.minChange,
    excludeUnchanged: job.excludeUnchanged,
    stripPath: job.stripPath,
    compress: job.compress ?? null,
    destroyMissingSeconds: job.destroyMissing ?? null,
    destroyIncompatible: job.destroyIncompatible,
    rollback: job.rollback,
    force: job.force,
  };
}

/**
 * The lag (recovery point) of a dataset at `now` (epoch seconds): since the common snapshot in
 * backup mode, since the newest snapshot in snapshot-only mode; null without a time.
 */
export function lagOf(d: DatasetSummary, backup: boolean, now: number): number | null {
  const ref = backup ? d.common : d.newestSource;
  return ref?.time === undefined ? null : now - ref.time;
}

function dataset(d: DatasetSummary, backup: boolean, now: number): ReportDataset {
  const full = d.transfers.filter((t) => t.full).length;
  const known = d.transfers.filter((t) => t.bytes !== undefined);
  return {
    dataset: d.dataset,
    target: d.target ?? null,
    result: d.result === "pending" ? "unfinished" : d.result,
    failure: d.failed === undefined ? null : { message: d.failed, reason: d.reason ?? null },
    newestSnapshot: snapshot(d.newestSource),
    commonSnapshot: backup ? snapshot(d.common) : null,
    lagSeconds: lagOf(d, backup, Math.floor(now)),
    snapshotsMade: d.snapshotsMade,
    sent: {
      full,
      // A `-I` range stream carries several snapshots: count snapshots, not streams.
      incremental: d.transfers.reduce((s, t) => s + (t.full ? 0 : t.snapshots), 0),
      resumed: d.transfers.filter((t) => t.resumed).length,
    },
    destroyed: { ...d.destroyed },
    bookmarks: { ...d.bookmarks },
    bytes: known.length ? known.reduce((s, t) => s + t.bytes!, 0) : null,
    seconds: roundSeconds(d.transfers.reduce((s, t) => s + t.seconds, 0)),
  };
}

function sum(list: readonly ReportDataset[], pick: (d: ReportDataset) => number): number {
  return list.reduce((s, d) => s + pick(d), 0);
}

/** Builds the report of a run from its job, its summary and how it ended. */
export function buildReport(job: Job, summary: RunSummary, end: RunEnd): Report {
  const backup = job.targetPath !== undefined;
  const datasets = summary.datasets.map((d) => dataset(d, backup, end.endedAt / 1000));
  const withBytes = datasets.filter((d) => d.bytes !== null);
  const lags = datasets.flatMap((d) => (d.lagSeconds === null ? [] : [d.lagSeconds]));
  const count = (r: ReportDataset["result"]) => datasets.filter((d) => d.result === r).length;
  return {
    schema: REPORT_SCHEMA,
    tool: { name: PROGRAM, version: VERSION },
    run: {
      backupName: job.backupName,
      mode: backup ? "backup" : "snapshot-only",
      source: { host: job.sshSource ?? null },
      target: job.targetPath === undefined ? null : { host: job.sshTarget ?? null, path: job.targetPath },
      startTime: iso(end.startedAt),
      endTime: iso(end.endedAt),
      seconds: roundSeconds((end.endedAt - end.startedAt) / 1000),
      exitCode: end.exitCode,
      result: end.result,
      error: end.error,
      test: job.test,
      options: options(job),
    },
    datasets,
    totals: {
      datasets: datasets.length,
      ok: count("ok"),
      failed: count("failed"),
      unfinished: count("unfinished"),
      snapshotsMade: sum(datasets, (d) => d.snapshotsMade),
      sent: {
        full: sum(datasets, (d) => d.sent.full),
        incremental: sum(datasets, (d) => d.sent.incremental),
        resumed: sum(datasets, (d) => d.sent.resumed),
      },
      destroyed: {
        source: sum(datasets, (d) => d.destroyed.source),
        target: sum(datasets, (d) => d.destroyed.target) + summary.missing.snapshotsDestroyed,
      },
      bookmarks: {
        created: sum(datasets, (d) => d.bookmarks.created),
        destroyed: sum(datasets, (d) => d.bookmarks.destroyed),
      },
      bytes: withBytes.length ? sum(withBytes, (d) => d.bytes!) : null,
      seconds: roundSeconds(sum(datasets, (d) => d.seconds)),
      maxLagSeconds: lags.length ? Math.max(...lags) : null,
      missingTarget: { ...summary.missing },
    },
  };
}

/** The report as written: indented JSON with a final newline. */
export function reportText(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * The reports of several jobs of one jobs file that name the same file: one document whose
 * `jobs` list holds each job's report, in the order the jobs ran. One report is written as is.
 */
export function reportsText(reports: readonly Report[]): string {
  if (reports.length === 1) return reportText(reports[0]!);
  const tool = reports[0]?.tool ?? null;
  return `${JSON.stringify({ schema: REPORT_SCHEMA, tool, jobs: reports }, null, 2)}\n`;
}

/**
 * The one-line summary of a run (the last syslog line), e.g.
 * `offsite: ok, 3 datasets, 0 failed, 3 sent (12345 bytes) in 4.2s, exit 0`.
 */
export function summaryLine(report: Report): string {
  const { run, totals: t } = report;
  const sent = t.sent.full + t.sent.incremental;
  const parts = [
    `${run.backupName}: ${run.result}`,
    `${t.datasets} dataset${t.datasets === 1 ? "" : "s"}`,
    `${t.failed} failed`,
    ...(t.unfinished ? [`${t.unfinished} unfinished`] : []),
    `${t.snapshotsMade} snapshot${t.snapshotsMade === 1 ? "" : "s"} made`,
    `${sent} sent${t.bytes === null ? "" : ` (${t.bytes} bytes)`}`,
    `${t.destroyed.source + t.destroyed.target} destroyed`,
    ...(t.maxLagSeconds === null ? [] : [`max lag ${t.maxLagSeconds}s`]),
    `${run.seconds}s`,
    `exit ${run.exitCode}`,
  ];
  const error = run.error ? `: ${run.error.message}` : "";
  return `${parts.join(", ")}${error}`;
}
