/** The jobs file: parsing, defaults, types, and errors that name the file, line and key. */
import assert from "node:assert/strict";
import { parseJobsFile } from "../../lib/jobs/jobs_file.ts";
import { compileJobs, type FileJob } from "../../lib/jobs/compile_jobs.ts";
import { buildJob, type OptionValues } from "../../lib/job/build_job.ts";
import { UsageError } from "../../lib/errors.ts";
import { OPTION_SPECS } from "../../lib/cli/option_table.ts";

function load(text: string, only: string[] = [], overrides: OptionValues = {}): FileJob[] {
  return compileJobs(parseJobsFile(text, "jobs.yaml"), overrides, only);
}

/** Asserts that loading `text` fails with a UsageError whose message matches `why`. */
function refused(text: string, why: RegExp, only: string[] = []): void {
  assert.throws(() => load(text, only), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.doesNotMatch(e.message, /\n/, "one line");
    assert.match(e.message, why);
    return true;
  });
}

const SAMPLE = `# two jobs sharing defaults
defaults:
  verbose: true
  keep-source: 10,1d1w
  exclude-snapshot-pattern: [tmp]
jobs:
  offsite:
    backup-name: offsite
    target-path: backup/nas1
    ssh-target: root@nas
    compress: zstd-fast
    keep-target: 10,1d1w,1w1m
    strip-path: 1
  local:
    backup-name: local
    target-path: backup/local
    verbose: false
    exclude-snapshot-pattern:
      - ^scratch
      - cache
    compress: true
  snaps:
    backup-name: snaps
`;

Deno.test("jobs file: each job equals the command line with the same options (defaults merged, job wins)", () => {
  const jobs = load(SAMPLE);
  assert.deepEqual(jobs.map((j) => j.name), ["offsite", "local", "snaps"]);
  const expected = [
    buildJob({
      verbose: true,
      "keep-source": "10,1d1w",
      "exclude-snapshot-pattern": ["tmp"],
      "ssh-target": "root@nas",
      compress: "zstd-fast",
      "keep-target": "10,1d1w,1w1m",
      "strip-path": "1",
    }, { backupName: "offsite", targetPath: "backup/nas1" }),
    buildJob({
      verbose: false,
      "keep-source": "10,1d1w",
      "exclude-snapshot-pattern": ["^scratch", "cache"],
      compress: "zstd-fast",
    }, { backupName: "local", targetPath: "backup/local" }),
    buildJob(
      { verbose: true, "keep-source": "10,1d1w", "exclude-snapshot-pattern": ["tmp"] },
      { backupName: "snaps", targetPath: undefined },
    ),
  ];
  assert.deepEqual(jobs.map((j) => j.job), expected);
  assert.equal(jobs[1]!.job.verbose, false, "a job's false turns off a default flag");
  assert.equal(jobs[2]!.job.targetPath, undefined, "no target-path: snapshot-only");
});

Deno.test("jobs file: --only picks jobs in file order; command-line options apply to every job", () => {
  const jobs = load(SAMPLE, ["snaps", "offsite"], { test: true });
  assert.deepEqual(jobs.map((j) => j.name), ["offsite", "snaps"]);
  assert.ok(jobs.every((j) => j.job.test && j.job.verbose));
  refused(
    SAMPLE,
    /^Cannot use --only "nope": "jobs\.yaml" has no such job \(it has offsite, local, snaps\)$/,
    [
      "nope",
    ],
  );
});

Deno.test("jobs file: every bad file names the file, the line and the key", () => {
  const cases: [string, RegExp][] = [
    // YAML syntax
    ["jobs:\n  a: [\n", /^jobs\.yaml:\d+: not valid YAML: /],
    [
      "jobs:\n  a:\n    backup-name: x\n  a:\n    backup-name: y\n",
      /^jobs\.yaml:4: not valid YAML: Map keys must be unique/,
    ],
    // shape
    ["- a\n- b\n", /^jobs\.yaml:1: expected a map with the keys defaults and jobs$/],
    ["defaults:\n  verbose: true\n", /^jobs\.yaml:1: the key jobs is missing$/],
    ["jobs: {}\n", /^jobs\.yaml:1: jobs: expected a map of job names/],
    ["job:\n  a:\n    backup-name: x\n", /^jobs\.yaml:1: job: unknown key \(expected defaults or jobs\)$/],
    ["jobs:\n  a: [x]\n", /^jobs\.yaml:2: jobs\.a: expected a map of options$/],
    ["jobs:\n  a b:\n    backup-name: x\n", /^jobs\.yaml:2: jobs\.a b: a job name is letters/],
    ["jobs:\n  a:\n    verbose: true\n", /^jobs\.yaml:2: jobs\.a: backup-name is missing$/],
    // unknown keys
    [
      "jobs:\n  a:\n    backup-name: x\n    ssh-targe: root@nas\n",
      /^jobs\.yaml:4: jobs\.a\.ssh-targe: unknown option \(did you mean ssh-target\?\)$/,
    ],
    [
      "defaults:\n  frobnicate: 1\njobs:\n  a:\n    backup-name: x\n",
      /^jobs\.yaml:2: defaults\.frobnicate: unknown option$/,
    ],
    [
      "jobs:\n  a:\n    backup-name: x\n    only: [a]\n",
      /^jobs\.yaml:4: jobs\.a\.only: --only belongs on the command line/,
    ],
    // wrong types
    [
      "jobs:\n  a:\n    backup-name: x\n    verbose: yes\n",
      /^jobs\.yaml:4: jobs\.a\.verbose: expected true or false, got "yes"$/,
    ],
    [
      "jobs:\n  a:\n    backup-name: x\n    ssh-target: [a]\n",
      /^jobs\.yaml:4: jobs\.a\.ssh-target: expected a text value, got a list$/,
    ],
    [
      "jobs:\n  a:\n    backup-name: x\n    rate:\n",
      /^jobs\.yaml:4: jobs\.a\.rate: expected a text value, got nothing$/,
    ],
    [
      "jobs:\n  a:\n    backup-name: x\n    send-pipe:\n      - cat\n      - {a: 1}\n",
      /^jobs\.yaml:6: jobs\.a\.send-pipe: expected a text value, got a map$/,
    ],
    [
      "jobs:\n  a:\n    backup-name: [x]\n",
      /^jobs\.yaml:3: jobs\.a\.backup-name: expected a text value, got a list$/,
    ],
    // bad values, in buildJob's words
    [
      "jobs:\n  a:\n    backup-name: x\n    target-path: b\n    keep-target: 1w1d\n",
      /^jobs\.yaml:5: jobs\.a\.keep-target: Cannot use --keep-target "1w1d": period cannot be longer than TTL$/,
    ],
    [
      "defaults:\n  compress: bzip2\njobs:\n  a:\n    backup-name: x\n",
      /^jobs\.yaml:2: defaults\.compress: Cannot use --compress "bzip2": expected one of/,
    ],
    [
      "jobs:\n  a:\n    backup-name: x\n    target-path: /abs\n",
      /^jobs\.yaml:4: jobs\.a\.target-path: Cannot use TARGET-PATH "\/abs"/,
    ],
    [
      "jobs:\n  a:\n    backup-name: ''\n",
      /^jobs\.yaml:3: jobs\.a\.backup-name: Cannot start: BACKUP-NAME is empty$/,
    ],
    // a bad job that --only leaves out still refuses the file
    [
      "jobs:\n  a:\n    backup-name: x\n  b:\n    backup-name: y\n    strip-path: -1\n",
      /^jobs\.yaml:6: jobs\.b\.strip-path:/,
    ],
  ];
  for (const [text, why] of cases) refused(text, why, text.includes("strip-path: -1") ? ["a"] : []);
});

Deno.test("jobs file: numbers are taken as written, a single text is a one-item list, aliases work", () => {
  const [j] = load(
    "jobs:\n  a:\n    backup-name: 2024\n    min-change: 200000\n    send-pipe: cat\n    dry-run: true\n",
  );
  assert.equal(j!.job.backupName, "2024");
  assert.equal(j!.job.minChange, 200000);
  assert.deepEqual(j!.job.sendPipes, ["cat"]);
  assert.equal(j!.job.test, true);
});

Deno.test("jobs file: every option of the table can be written as a key", () => {
  const skip = new Set(["help", "version", "jobs", "only", "check-permissions"]);
  for (const spec of OPTION_SPECS.filter((s) => !skip.has(s.name))) {
    const value = spec.kind === "flag" || spec.kind === "optional"
      ? "true"
      : spec.kind === "list"
      ? "[cat]"
      : "1";
    const valid: Record<string, string> = {
      "ssh-config": "f",
      "ssh-source": "h",
      "ssh-target": "h",
      clones: "never",
    };
    const text = `jobs:\n  a:\n    backup-name: x\n    ${spec.name}: ${valid[spec.name] ?? value}\n`;
    try {
      load(text);
    } catch (e) {
      // A value check may refuse "1"; the key itself must be known.
      assert.doesNotMatch(
        String(e),
        /unknown option|command line|expected a text value|expected true or false/,
        spec.name,
      );
    }
  }
});
