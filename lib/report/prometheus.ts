/**
 * The run as Prometheus text exposition format (`--prometheus`), for node_exporter's textfile
 * collector (pure). Every metric is a gauge named `zfs_autobackup_*`, labelled by `backup` and
 * `target`, per-dataset ones also by `dataset`; each family has its HELP and TYPE lines. No
 * sample carries a timestamp: the textfile collector refuses them. A value that is unknown
 * (no bytes count on old zfs, a lag without a time) is left out rather than written as 0.
 */
import type { Report, ReportDataset } from "./report.ts";

/** Prefix of every metric name. */
export const METRIC_PREFIX = "zfs_autobackup_";

/** One metric family: its name (without prefix), help and samples. */
interface Family {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Escapes HELP text: backslash and newline. */
function escapeHelp(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** A sample value as the format writes it (Go float syntax; NaN and the infinities spelled out). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** The `target` label: `host:path` over ssh, `path` locally, empty in snapshot-only mode. */
export function targetLabel(report: Report): string {
  const t = report.run.target;
  if (t === null) return "";
  return t.host === null ? t.path : `${t.host}:${t.path}`;
}

function datasetFamily(
  name: string,
  help: string,
  base: Record<string, string>,
  datasets: readonly ReportDataset[],
  value: (d: ReportDataset) => number | null,
): Family {
  return {
    name,
    help,
    samples: datasets.flatMap((d) => {
      const v = value(d);
      return v === null ? [] : [{ labels: { ...base, dataset: d.dataset }, value: v }];
    }),
  };
}

/** The metric families of a run, in the order they are written. */
export function metricFamilies(report: Report): Family[] {
  const base = { backup: report.run.backupName, target: targetLabel(report) };
  const { run, totals, datasets } = report;
  const one = (value: number | null) => (value === null ? [] : [{ labels: base, value }]);
  const epoch = (iso: string) => Date.parse(iso) / 1000;
  const time = (iso: string | null | undefined) => (iso === null || iso === undefined ? null : epoch(iso));
  return [
    {
      name: "last_run_success",
      help: "1 when the last run ended with exit code 0, else 0.",
      samples: one(run.exitCode === 0 ? 1 : 0),
    },
    { name: "last_run_exit_code", help: "Exit code of the last run.", samples: one(run.exitCode) },
    {
      name: "last_run_start_timestamp_seconds",
      help: "When the last run started (Unix time).",
      samples: one(epoch(run.startTime)),
    },
    {
      name: "last_run_end_timestamp_seconds",
      help: "When the last run ended (Unix time).",
      samples: one(epoch(run.endTime)),
    },
    { name: "last_run_duration_seconds", help: "How long the last run took.", samples: one(run.seconds) },
    { name: "last_run_datasets", help: "Datasets the last run selected.", samples: one(totals.datasets) },
    {
      name: "last_run_failed_datasets",
      help: "Datasets that failed in the last run.",
      samples: one(totals.failed),
    },
    {
      name: "last_run_unfinished_datasets",
      help: "Datasets the last run did not finish (it was stopped or hit a fatal error).",
      samples: one(totals.unfinished),
    },
    {
      name: "last_run_sent_bytes",
      help: "Bytes the last run sent (zfs send's count).",
      samples: one(totals.bytes),
    },
    {
      name: "last_run_transfer_seconds",
      help: "Seconds the last run spent transferring.",
      samples: one(totals.seconds),
    },
    datasetFamily(
      "dataset_success",
      "1 when the dataset was backed up in the last run, 0 when it failed or was not finished.",
      base,
      datasets,
      (d) => (d.result === "ok" ? 1 : 0),
    ),
    datasetFamily(
      "dataset_lag_seconds",
      "Age of the dataset's newest common snapshot on the target (newest snapshot without a " +
        "target) when the last run ended: the recovery point.",
      base,
      datasets,
      (d) => d.lagSeconds,
    ),
    datasetFamily(
      "dataset_newest_snapshot_timestamp_seconds",
      "Time of the dataset's newest snapshot on the source (Unix time, from its name).",
      base,
      datasets,
      (d) => time(d.newestSnapshot?.time),
    ),
    datasetFamily(
      "dataset_common_snapshot_timestamp_seconds",
      "Time of the dataset's newest snapshot on both source and target (Unix time, from its name).",
      base,
      datasets,
      (d) => time(d.commonSnapshot?.time),
    ),
    datasetFamily(
      "dataset_sent_bytes",
      "Bytes sent for the dataset in the last run.",
      base,
      datasets,
      (d) => d.bytes,
    ),
    datasetFamily(
      "dataset_transfer_seconds",
      "Seconds spent transferring the dataset in the last run.",
      base,
      datasets,
      (d) => d.seconds,
    ),
    datasetFamily(
      "dataset_snapshots_sent",
      "Snapshots sent for the dataset in the last run (full and incremental).",
      base,
      datasets,
      (d) => d.sent.full + d.sent.incremental,
    ),
  ];
}

/**
 * The exposition text of one or more runs (the jobs of a jobs file): families with samples
 * only, each named once with HELP and TYPE and then every run's samples, ending in a newline.
 */
export function prometheusText(reports: Report | readonly Report[]): string {
  const byName = new Map<string, Family>();
  for (const report of Array.isArray(reports) ? reports : [reports]) {
    for (const f of metricFamilies(report)) {
      const seen = byName.get(f.name);
      if (seen) seen.samples.push(...f.samples);
      else byName.set(f.name, { ...f, samples: [...f.samples] });
    }
  }
  const lines: string[] = [];
  for (const f of byName.values()) {
    if (f.samples.length === 0) continue;
    const name = `${METRIC_PREFIX}${f.name}`;
    lines.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} gauge`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
      lines.push(`${name}{${labels}} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
