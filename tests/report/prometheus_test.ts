/**
 * The metrics text: checked against the exposition format's grammar by a strict reader
 * (tests/harness/exposition.ts), and by `promtool check metrics` where Debian's prometheus
 * package is installed.
 */
import assert from "node:assert/strict";
import { escapeLabelValue, formatValue, prometheusText } from "../../lib/report/prometheus.ts";
import { buildReport, type Report } from "../../lib/report/report.ts";
import { spawnProcess } from "../../lib/exec/process.ts";
import { parseExposition } from "../harness/exposition.ts";
import { END_MS, sampleJob, sampleSummary, START_MS } from "./sample.ts";

function sampleReport(args: readonly string[] = [], exitCode = 1): Report {
  return buildReport(sampleJob(args), sampleSummary(), {
    startedAt: START_MS,
    endedAt: END_MS,
    exitCode,
    result: exitCode ? "failed" : "ok",
    error: null,
  });
}

/** The value of `name` for the series whose labels include `labels`. */
function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const f = parseExposition(text).get(`zfs_autobackup_${name}`);
  return f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

Deno.test("prometheus: grammar, prefix, HELP and TYPE for every family, labels backup/target/dataset", () => {
  const text = prometheusText(sampleReport());
  const families = parseExposition(text);
  assert.ok(families.size >= 10);
  for (const [name, f] of families) {
    assert.match(name, /^zfs_autobackup_[a-z_]+$/);
    assert.ok(f.help && f.help.length > 10, `${name}: HELP`);
    assert.equal(f.type, "gauge", name);
    assert.ok(f.samples.length > 0, `${name}: a family without samples is left out`);
    for (const s of f.samples) {
      const keys = Object.keys(s.labels);
      assert.deepEqual(
        keys,
        name.startsWith("zfs_autobackup_dataset_") ? ["backup", "target", "dataset"] : ["backup", "target"],
      );
      assert.equal(s.labels.backup, "offsite");
      assert.equal(s.labels.target, "root@nas:backup/nas1");
    }
  }
});

Deno.test("prometheus: values of the run and of each dataset", () => {
  const text = prometheusText(sampleReport());
  const run = { backup: "offsite" };
  assert.equal(value(text, "last_run_success", run), 0);
  assert.equal(value(text, "last_run_exit_code", run), 1);
  assert.equal(value(text, "last_run_start_timestamp_seconds", run), START_MS / 1000);
  assert.equal(value(text, "last_run_end_timestamp_seconds", run), END_MS / 1000);
  assert.equal(value(text, "last_run_duration_seconds", run), 90.5);
  assert.equal(value(text, "last_run_datasets", run), 4);
  assert.equal(value(text, "last_run_failed_datasets", run), 1);
  assert.equal(value(text, "last_run_unfinished_datasets", run), 1);
  assert.equal(value(text, "last_run_sent_bytes", run), 1500);
  assert.equal(value(text, "last_run_transfer_seconds", run), 1.75);
  assert.equal(value(text, "dataset_success", { dataset: "pool/a" }), 1);
  assert.equal(value(text, "dataset_success", { dataset: "pool/b" }), 0);
  assert.equal(value(text, "dataset_success", { dataset: "pool/c" }), 0, "unfinished is not success");
  assert.equal(value(text, "dataset_lag_seconds", { dataset: "pool/a" }), 90);
  assert.equal(value(text, "dataset_lag_seconds", { dataset: "pool/b" }), 86490);
  assert.equal(value(text, "dataset_lag_seconds", { dataset: "pool/c" }), undefined, "unknown: left out");
  assert.equal(
    value(text, "dataset_common_snapshot_timestamp_seconds", { dataset: "pool/b" }),
    START_MS / 1000 - 86400,
  );
  assert.equal(value(text, "dataset_sent_bytes", { dataset: "pool/a" }), 1500);
  assert.equal(value(text, "dataset_sent_bytes", { dataset: "pool/b" }), undefined);
  assert.equal(value(text, "dataset_snapshots_sent", { dataset: "pool/a" }), 2);
  // A hostile dataset name survives escaping.
  assert.equal(value(text, "dataset_success", { dataset: 'pool/"q\\x' }), 1);
  assert.equal(value(prometheusText(sampleReport([], 0)), "last_run_success", run), 1);
});

Deno.test("prometheus: snapshot-only runs have an empty target label and no common snapshot metric", () => {
  const r = sampleReport();
  const text = prometheusText({
    ...r,
    run: { ...r.run, target: null },
    datasets: r.datasets.map((d) => ({ ...d, commonSnapshot: null })),
  });
  const families = parseExposition(text);
  assert.equal(families.get("zfs_autobackup_last_run_success")!.samples[0]!.labels.target, "");
  assert.equal(families.has("zfs_autobackup_dataset_common_snapshot_timestamp_seconds"), false);
});

Deno.test("prometheus: escaping and value spelling", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(1.5), "1.5");
  assert.equal(formatValue(1e21), "1e+21");
  assert.deepEqual(parseExposition('m{l="a\\\\b\\"c\\nd"} 1e+21\n').get("m")!.samples[0], {
    labels: { l: 'a\\b"c\nd' },
    value: 1e21,
  });
});

Deno.test("exposition reader: refuses what the format forbids", () => {
  const bad = [
    "m 1", // no final newline
    "m 1\n\n",
    "# TYPE m gauge\nm 1\n# HELP m late\n",
    "m 1\nn 1\nm 2\n",
    "m 1 1700000000\n",
    'm{l="x"} 1\nm{l="x"} 2\n',
    "m{l=x} 1\n",
    'm{__l="x"} 1\n',
    "m one\n",
    "# a comment\n",
    "1m 1\n",
    "# HELP m bad \\t escape\n",
    "# TYPE m gauge\n# TYPE m gauge\n",
    "# TYPE m meter\n",
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), Error, JSON.stringify(text));
});

const PROMTOOL = (await spawnProcess(["promtool", "--version"])).code === 0;

Deno.test({
  name: `promtool check metrics accepts the text${
    PROMTOOL ? "" : " (SKIPPED: promtool missing; apt-get install prometheus)"
  }`,
  ignore: !PROMTOOL,
  fn: async () => {
    for (const r of [sampleReport(), sampleReport([], 0)]) {
      const out = await spawnProcess(["promtool", "check", "metrics"], { stdin: prometheusText(r) });
      assert.equal(out.code, 0, `${out.stdout}${out.stderr}`);
      assert.equal(`${out.stdout}${out.stderr}`.trim(), "", "no lint findings");
    }
    // It does catch mistakes: a counter without _total is a lint finding.
    const wrong = await spawnProcess(["promtool", "check", "metrics"], {
      stdin: "# HELP x_bytes help\n# TYPE x_bytes counter\nx_bytes 1\n",
    });
    assert.notEqual(`${wrong.stdout}${wrong.stderr}`.trim(), "");
  },
});
