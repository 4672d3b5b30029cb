/**
 * Command-line parsing: defaults, every option, argparse conventions (abbreviations,
 * interleaving, `--`, short clusters), the `--compress` rule, derived settings, and the exact
 * text of every usage error.
 */
import assert from "node:assert/strict";
import { parseOptions } from "../../lib/cli/parse.ts";
import { NOTE_IGNORE_REPLICATED, NOTE_RAW, NOTE_RESUME } from "../../lib/job/build_job.ts";
import { parsePropertyAssignments } from "../../lib/job/property_list.ts";
import { OPTION_SPECS } from "../../lib/cli/option_table.ts";
import { COMPRESS_TYPES } from "../../lib/transfer/compress.ts";
import type { Job } from "../../lib/job/job.ts";
import { pythonRegex } from "../../lib/job/python_regex.ts";
import { parseSchedule } from "../../lib/thinner/schedule.ts";
import { UsageError } from "../../lib/errors.ts";
import { HEADER } from "../../lib/version.ts";

/** A job as plain data: the compiled snapshot format as its pattern, patterns as their text. */
type View = Omit<Job, "snapshotFormat" | "excludeSnapshotPatterns"> & {
  snapshotFormat: string;
  /** `--tag`, kept in the compiled snapshot format. */
  snapshotTag: string | undefined;
  excludeSnapshotPatterns: string[];
};

function view(job: Job): View {
  return {
    ...job,
    snapshotFormat: job.snapshotFormat.pattern,
    snapshotTag: job.snapshotFormat.tags?.tag,
    excludeSnapshotPatterns: job.excludeSnapshotPatterns.map(String),
  };
}

/** The compiled form of exclude patterns, as `view` shows them. */
const patterns = (...texts: string[]) => texts.map((t) => String(pythonRegex(t)));

/** Parses and expects a run. */
function run(args: readonly string[]): View {
  const r = parseOptions(args);
  assert.equal(r.kind, "run", `expected a run for ${JSON.stringify(args)}`);
  return view((r as { job: Job }).job);
}

/** Parses and expects a UsageError; returns its message. */
function usageError(args: readonly string[]): string {
  try {
    parseOptions(args);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${e}`);
    return e.message;
  }
  assert.fail(`expected a usage error for ${JSON.stringify(args)}`);
}

/** The result of `zfs-autobackup name`: every field at its default. */
const BASE: View = {
  backupName: "name",
  targetPath: undefined,
  test: false,
  verbose: false,
  debug: false,
  debugOutput: false,
  progress: undefined,
  noProgress: false,
  utc: false,
  sshConfig: undefined,
  sshSource: undefined,
  sshTarget: undefined,
  property: "autobackup:name",
  holdTag: "zfs_autobackup:name",
  snapshotFormat: "name-%Y%m%d%H%M%S",
  snapshotTag: undefined,
  tagSeparator: "_",
  stripPath: 0,
  excludeUnchanged: 0,
  excludeReceived: false,
  includeReceived: false,
  excludeSnapshotPatterns: [],
  noSnapshot: false,
  preSnapshotCmds: [],
  postSnapshotCmds: [],
  minChange: 1,
  allowEmpty: false,
  otherSnapshots: false,
  setSnapshotProperties: [],
  noGuidCheck: false,
  noSend: false,
  noHolds: false,
  noBookmarks: false,
  clearRefreservation: false,
  clearMountpoint: false,
  filterProperties: [],
  setProperties: [],
  rollback: false,
  force: false,
  destroyIncompatible: false,
  ignoreTransferErrors: false,
  decrypt: false,
  encrypt: false,
  zfsCompressed: false,
  clones: "never",
  parallel: 1,
  compress: undefined,
  rate: undefined,
  buffer: undefined,
  bufferChunkSize: undefined,
  sendPipes: [],
  recvPipes: [],
  noThinning: false,
  keepSource: parseSchedule("10,1d1w,1w1m,1m1y"),
  keepTarget: parseSchedule("10,1d1w,1w1m,1m1y"),
  destroyMissing: undefined,
  report: undefined,
  prometheus: undefined,
  syslog: false,
  monitor: undefined,
  deprecationNotes: [],
};

/** BASE with `fields` changed; the names follow BACKUP-NAME unless a field sets them. */
function expected(fields: Partial<View>): View {
  const name = fields.backupName ?? "name";
  return {
    ...BASE,
    property: `autobackup:${name}`,
    holdTag: `zfs_autobackup:${name}`,
    snapshotFormat: `${name}-%Y%m%d%H%M%S`,
    ...fields,
  };
}

Deno.test("parseOptions: BACKUP-NAME alone gives every default", () => {
  assert.deepEqual(run(["name"]), BASE);
});

Deno.test("parseOptions: TARGET-PATH is the second positional", () => {
  assert.deepEqual(run(["name", "pool/backup"]), { ...BASE, targetPath: "pool/backup" });
});

/** [argv, fields that differ from BASE]. "name" is BACKUP-NAME unless a case says otherwise. */
const OPTION_CASES: ReadonlyArray<readonly [readonly string[], Partial<View>]> = [
  // common
  [["--test", "name"], { test: true, verbose: true }],
  [["--dry-run", "name"], { test: true, verbose: true }],
  [["-n", "name"], { test: true, verbose: true }],
  [["--verbose", "name"], { verbose: true }],
  [["-v", "name"], { verbose: true }],
  [["--debug", "name"], { debug: true, verbose: true }],
  [["-d", "name"], { debug: true, verbose: true }],
  [["--debug-output", "name"], { debugOutput: true, debug: true, verbose: true }],
  [["--progress", "name"], { progress: true }],
  [["--no-progress", "name"], { noProgress: true }],
  [["--progress", "--no-progress", "name"], { progress: true, noProgress: true }],
  [["--utc", "name"], { utc: true }],
  // ssh
  [["--ssh-config", "/etc/zab/ssh_config", "name"], { sshConfig: "/etc/zab/ssh_config" }],
  [["--ssh-source", "root@src", "name"], { sshSource: "root@src" }],
  [["--ssh-target=backup@tgt.example.org", "name"], { sshTarget: "backup@tgt.example.org" }],
  [["--ssh-source", "host", "--ssh-target", "host", "name"], { sshSource: "host", sshTarget: "host" }],
  // formats
  [["--property-format", "backup:{}", "name"], { property: "backup:name" }],
  [["--property-format", "autobackup:fixed", "name"], { property: "autobackup:fixed" }],
  [["--snapshot-format", "{}-%Y-%m-%d_%H:%M", "name"], { snapshotFormat: "name-%Y-%m-%d_%H:%M" }],
  [["--snapshot-format", "daily-%Y%m%d", "name"], { snapshotFormat: "daily-%Y%m%d" }],
  [["--hold-format", "hold_{}", "name"], { holdTag: "hold_name" }],
  [["--strip-path", "2", "name"], { stripPath: 2 }],
  [["--strip-path=0", "name"], { stripPath: 0 }],
  [["--strip-path", "007", "name"], { stripPath: 7 }],
  [["--tag", "nas1", "name"], { snapshotTag: "nas1" }],
  [["--tag-seperator", ".", "--tag", "nas_1", "name"], { tagSeparator: ".", snapshotTag: "nas_1" }],
  [["--tag-seperator", " ", "name"], { tagSeparator: " " }],
  [["--tag-seperator", ":", "--snapshot-format", "{}-%Y%m%d%H%M%S", "name"], { tagSeparator: ":" }],
  // Without --tag and --tag-seperator a format with "_" still works, as in zfs-autobackup 3.3.
  [["--snapshot-format", "{}_%Y%m%d", "name"], { snapshotFormat: "name_%Y%m%d" }],
  // selection
  [["--exclude-unchanged", "1048576", "name"], { excludeUnchanged: 1048576 }],
  [["--ignore-replicated", "name"], { excludeUnchanged: 1, deprecationNotes: [NOTE_IGNORE_REPLICATED] }],
  [
    ["--exclude-unchanged", "500", "--ignore-replicated", "name"],
    { excludeUnchanged: 500, deprecationNotes: [NOTE_IGNORE_REPLICATED] },
  ],
  [["--exclude-received", "name"], { excludeReceived: true }],
  [["--include-received", "name"], { includeReceived: true }],
  [["--exclude-snapshot-pattern", "@manual-", "name"], { excludeSnapshotPatterns: patterns("@manual-") }],
  [
    ["--exclude-snapshot-pattern", "^a", "--exclude-snapshot-pattern=b$", "name"],
    { excludeSnapshotPatterns: patterns("^a", "b$") },
  ],
  [["--exclude-snapshot-pattern", "-daily$", "name"], { excludeSnapshotPatterns: patterns("-daily$") }],
  // Python syntax is accepted and compiled to its JavaScript equivalent (python_regex.ts).
  [["--exclude-snapshot-pattern", "(?i)@manual\\Z", "name"], {
    excludeSnapshotPatterns: patterns("(?i)@manual\\Z"),
  }],
  // snapshot
  [["--no-snapshot", "name"], { noSnapshot: true }],
  [["--pre-snapshot-cmd", "sync", "name"], { preSnapshotCmds: ["sync"] }],
  [
    ["--pre-snapshot-cmd", "a 1", "--pre-snapshot-cmd", "b 2", "name"],
    { preSnapshotCmds: ["a 1", "b 2"] },
  ],
  [["--post-snapshot-cmd", "x", "--post-snapshot-cmd=y", "name"], { postSnapshotCmds: ["x", "y"] }],
  [["--min-change", "4096", "name"], { minChange: 4096 }],
  [["--min-change", "0", "name"], { minChange: 0 }],
  [["--allow-empty", "name"], { allowEmpty: true, minChange: 0 }],
  [["--min-change", "5", "--allow-empty", "name"], { allowEmpty: true, minChange: 0 }],
  [["--other-snapshots", "name"], { otherSnapshots: true }],
  [
    ["--set-snapshot-properties", "a:b=1,c:d=x y", "name"],
    { setSnapshotProperties: [{ name: "a:b", value: "1" }, { name: "c:d", value: "x y" }] },
  ],
  [["--no-guid-check", "name"], { noGuidCheck: true }],
  // transfer
  [["--no-send", "name"], { noSend: true }],
  [["--no-holds", "name"], { noHolds: true }],
  [["--no-bookmarks", "name"], { noBookmarks: true }],
  [["--clear-refreservation", "name"], { clearRefreservation: true }],
  [["--clear-mountpoint", "name"], { clearMountpoint: true }],
  [
    ["--filter-properties", "refreservation,com.sun:auto-snapshot", "name"],
    { filterProperties: ["refreservation", "com.sun:auto-snapshot"] },
  ],
  [["--filter-properties", "", "name"], { filterProperties: [] }],
  [
    ["--set-properties", "readonly=on,canmount=noauto", "name"],
    { setProperties: [{ name: "readonly", value: "on" }, { name: "canmount", value: "noauto" }] },
  ],
  [["--set-properties", "", "name"], { setProperties: [] }],
  [["--rollback", "name"], { rollback: true }],
  [["--force", "name"], { force: true }],
  [["-F", "name"], { force: true }],
  [["--destroy-incompatible", "name"], { destroyIncompatible: true }],
  [["--ignore-transfer-errors", "name"], { ignoreTransferErrors: true }],
  [["--decrypt", "name"], { decrypt: true }],
  [["--encrypt", "name"], { encrypt: true }],
  [["--zfs-compressed", "name"], { zfsCompressed: true }],
  [["--clones", "simple", "name"], { clones: "simple" }],
  [["--clones=never", "name"], { clones: "never" }],
  [["--parallel", "4", "name"], { parallel: 4 }],
  [["--parallel=1", "name"], { parallel: 1 }],
  [["--resume", "name"], { deprecationNotes: [NOTE_RESUME] }],
  [["--raw", "name"], { deprecationNotes: [NOTE_RAW] }],
  [
    ["--raw", "--resume", "--ignore-replicated", "name"],
    { excludeUnchanged: 1, deprecationNotes: [NOTE_IGNORE_REPLICATED, NOTE_RESUME, NOTE_RAW] },
  ],
  // data transfer
  [["--compress", "name"], { compress: "zstd-fast" }],
  [["--rate", "50M", "name"], { rate: "50M" }],
  [["--buffer", "128M", "name"], { buffer: "128M" }],
  [["--buffer-chunk-size", "128k", "name"], { bufferChunkSize: "128k" }],
  [["--send-pipe", "dd bs=1M", "--send-pipe=cat", "name"], { sendPipes: ["dd bs=1M", "cat"] }],
  [["--recv-pipe", "cat", "name"], { recvPipes: ["cat"] }],
  // thinner
  [["--no-thinning", "name"], { noThinning: true }],
  [["--keep-source", "5", "name"], { keepSource: parseSchedule("5") }],
  [["--keep-source=", "name"], { keepSource: parseSchedule("") }],
  [["--keep-target", "1d1y", "name"], { keepTarget: parseSchedule("1d1y") }],
  [["--keep-target", "1", "--keep-target", "2", "name"], { keepTarget: parseSchedule("2") }],
  [["--destroy-missing", "30d", "name"], { destroyMissing: 30 * 86400 }],
  // monitoring
  [["--report", "/var/log/zab.json", "name"], { report: "/var/log/zab.json" }],
  [["--report", "-", "name"], { report: "-" }],
  [["--prometheus", "/var/lib/node/zab.prom", "name"], { prometheus: "/var/lib/node/zab.prom" }],
  [["--syslog", "name"], { syslog: true }],
  [["--monitor", "26h,50h", "name"], { monitor: { warn: 26 * 3600, crit: 50 * 3600 } }],
  [["--monitor=1d,1d", "name"], { monitor: { warn: 86400, crit: 86400 } }],
];

Deno.test("parseOptions: each option sets its field and nothing else", () => {
  for (const [args, fields] of OPTION_CASES) {
    assert.deepEqual(run(args), expected(fields), JSON.stringify(args));
  }
});

/** Command lines with --jobs, and what they parse into. */
const JOBS_CASES: ReadonlyArray<readonly [readonly string[], unknown]> = [
  [["--jobs", "f.yaml"], { kind: "jobs", file: "f.yaml", only: [], overrides: {}, checkPermissions: false }],
  [
    ["--jobs=f.yaml", "--only", "a,b", "--only", "c", "--test", "-v"],
    {
      kind: "jobs",
      file: "f.yaml",
      only: ["a", "b", "c"],
      overrides: { test: true, verbose: true },
      checkPermissions: false,
    },
  ],
  [["--jobs", "f.yaml", "--check-permissions"], {
    kind: "jobs",
    file: "f.yaml",
    only: [],
    overrides: {},
    checkPermissions: true,
  }],
];

Deno.test("parseOptions: --jobs takes no positionals; other options are kept as overrides for every job", () => {
  for (const [args, result] of JOBS_CASES) assert.deepEqual(parseOptions(args), result, JSON.stringify(args));
  for (
    const [args, why] of [
      [["--jobs", "f.yaml", "name"], /Cannot use argument "name" with --jobs/],
      [["--jobs", ""], /Cannot use --jobs "": expected a file name$/],
      [["--jobs", "f", "--only", ""], /Cannot use --only "": expected a job name$/],
      [["--only", "a", "name"], /Cannot use --only without --jobs$/],
    ] as const
  ) {
    assert.throws(() => parseOptions(args), why, JSON.stringify(args));
  }
});

Deno.test("parseOptions: the option cases cover every long name of the table", () => {
  const used = new Set(
    [...OPTION_CASES, ...JOBS_CASES].flatMap(([args]) =>
      args.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0])
    ),
  );
  const missing = OPTION_SPECS.flatMap((s) => [s.name, ...(s.aliases ?? [])])
    .filter((n) => n !== "help" && n !== "version" && !used.has(n));
  assert.deepEqual(missing, []);
});

Deno.test("option table: names are unique, short forms and hidden options as upstream's", () => {
  const names = OPTION_SPECS.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
  assert.equal(new Set(names).size, names.length);
  const shorts = OPTION_SPECS.flatMap((s) => (s.short ? [s.short] : []));
  assert.deepEqual(shorts, ["h", "n", "v", "d", "F"]);
  for (const spec of OPTION_SPECS) {
    if (spec.kind !== "flag") assert.ok(spec.metavar, `${spec.name} needs a metavar`);
  }
  const hidden = OPTION_SPECS.filter((s) => s.help === undefined).map((s) => s.name);
  assert.deepEqual(hidden, ["no-progress", "ignore-replicated", "include-received", "resume", "raw"]);
});

Deno.test("parseOptions: --compress takes the next word only when it is a compressor name", () => {
  const cases: ReadonlyArray<readonly [readonly string[], Partial<View>]> = [
    // The upstream trap (#265): "test" is BACKUP-NAME here, not a compressor.
    [["--compress", "test", "target"], { backupName: "test", targetPath: "target", compress: "zstd-fast" }],
    [["--compress", "xz", "name", "target"], { targetPath: "target", compress: "xz" }],
    [["name", "target", "--compress"], { targetPath: "target", compress: "zstd-fast" }],
    [["--compress=lz4", "name"], { compress: "lz4" }],
    [["--compress", "--verbose", "name"], { compress: "zstd-fast", verbose: true }],
    [["--compress", "--", "xz"], { backupName: "xz", compress: "zstd-fast" }],
    [["--comp", "gzip", "name"], { compress: "gzip" }],
    [["--comp=pigz-slow", "name"], { compress: "pigz-slow" }],
    // Compressor names are case-sensitive, as upstream's choices are.
    [["--compress", "ZSTD-FAST", "name"], {
      backupName: "ZSTD-FAST",
      targetPath: "name",
      compress: "zstd-fast",
    }],
  ];
  for (const [args, fields] of cases) {
    assert.deepEqual(run(args), expected(fields), JSON.stringify(args));
  }
  for (const type of COMPRESS_TYPES) {
    assert.equal(run(["--compress", type, "name"]).compress, type);
    assert.equal(run([`--compress=${type}`, "name"]).compress, type);
  }
});

Deno.test("parseOptions: argparse conventions", () => {
  const cases: ReadonlyArray<readonly [readonly string[], Partial<View>]> = [
    // interleaving
    [["name", "--verbose", "pool/bak", "--no-send"], { verbose: true, targetPath: "pool/bak", noSend: true }],
    [["--ssh-source", "src", "name", "--keep-source", "3", "pool/bak"], {
      sshSource: "src",
      keepSource: parseSchedule("3"),
      targetPath: "pool/bak",
    }],
    // short clusters
    [["-vd", "name"], { verbose: true, debug: true }],
    [["-nF", "name"], { test: true, verbose: true, force: true }],
    [["-vvv", "name"], { verbose: true }],
    // "--" ends options
    [["--", "-v"], { backupName: "-v" }],
    [["--verbose", "--", "--help", "--x"], { backupName: "--help", targetPath: "--x", verbose: true }],
    [["name", "--", "pool/bak"], { targetPath: "pool/bak" }],
    // like argparse, a word that looks like a negative number is a positional
    [["-1"], { backupName: "-1" }],
    [["-"], { backupName: "-" }],
    // abbreviations: any unique prefix, hidden options included
    [["--keep-s", "5", "name"], { keepSource: parseSchedule("5") }],
    [["--keep-t=3", "name"], { keepTarget: parseSchedule("3") }],
    [["--verb", "name"], { verbose: true }],
    [["--dry", "name"], { test: true, verbose: true }],
    [["--no-sn", "name"], { noSnapshot: true }],
    [["--no-p", "name"], { noProgress: true }],
    [["--inc", "name"], { includeReceived: true }],
    [["--exclude-s", "x", "name"], { excludeSnapshotPatterns: patterns("x") }],
    [["--debug-o", "name"], { debugOutput: true, debug: true, verbose: true }],
    // an exact name wins over longer names it is a prefix of
    [["--debug", "name"], { debug: true, verbose: true }],
    [["--buffer", "1M", "name"], { buffer: "1M" }],
    // a value may start with "-" and may itself look like an option
    [["--pre-snapshot-cmd", "--verbose", "name"], { preSnapshotCmds: ["--verbose"] }],
    [["--send-pipe", "-h", "name"], { sendPipes: ["-h"] }],
    // the last of a single-valued option wins
    [["--strip-path", "1", "--strip-path", "2", "name"], { stripPath: 2 }],
  ];
  for (const [args, fields] of cases) {
    assert.deepEqual(run(args), expected(fields), JSON.stringify(args));
  }
});

Deno.test("parseOptions: --help and --version", () => {
  const helpCases = [
    ["-h"],
    ["--help"],
    ["--he"],
    ["--help", "name", "target"],
    ["name", "-vh"],
    ["--bogus", "--strip-path", "x", "-h"],
    ["-h", "--version"],
  ];
  for (const args of helpCases) {
    const r = parseOptions(args);
    assert.equal(r.kind, "help", JSON.stringify(args));
    assert.ok(r.kind === "help" && r.text.startsWith("usage: zfs-autobackup"));
  }
  for (const args of [["--version"], ["--vers"], ["--version", "-h"], ["--no-", "--version"]]) {
    assert.deepEqual(parseOptions(args), { kind: "version", text: HEADER }, JSON.stringify(args));
  }
  // After "--" or as an option's value, -h is just a word.
  assert.equal(run(["--", "-h"]).backupName, "-h");
  assert.equal(run(["--ssh-config", "-h", "name"]).sshConfig, "-h");
  assert.equal(usageError(["--help=yes"]), 'Cannot use "--help=yes": --help takes no value');
});

/** [argv, exact message]. */
const ERROR_CASES: ReadonlyArray<readonly [readonly string[], string]> = [
  // positionals
  [[], "Cannot start: BACKUP-NAME is missing (usage: zfs-autobackup [options] BACKUP-NAME [TARGET-PATH])"],
  [
    ["--verbose"],
    "Cannot start: BACKUP-NAME is missing (usage: zfs-autobackup [options] BACKUP-NAME [TARGET-PATH])",
  ],
  [[""], "Cannot start: BACKUP-NAME is missing (usage: zfs-autobackup [options] BACKUP-NAME [TARGET-PATH])"],
  [["a", "b", "c"], 'Cannot use argument "c": only BACKUP-NAME and TARGET-PATH are expected'],
  [
    ["name", "/pool/bak"],
    'Cannot use TARGET-PATH "/pool/bak": it must not start with "/" (write "pool/bak")',
  ],
  [["name", "//pool"], 'Cannot use TARGET-PATH "//pool": it must not start with "/" (write "pool")'],
  [["name", "/"], 'Cannot use TARGET-PATH "/": it must not start with "/"'],
  [["name", ""], 'Cannot use TARGET-PATH "": it is empty'],
  [["name", "pool/"], 'Cannot use TARGET-PATH "pool/": expected a dataset name like pool/backup'],
  [["name", "pool//bak"], 'Cannot use TARGET-PATH "pool//bak": expected a dataset name like pool/backup'],
  [["name", "pool@snap"], 'Cannot use TARGET-PATH "pool@snap": expected a dataset name like pool/backup'],
  [["name", "pool#mark"], 'Cannot use TARGET-PATH "pool#mark": expected a dataset name like pool/backup'],
  // option syntax
  [["--bogus", "name"], 'Cannot use "--bogus": unknown option'],
  [["--verbsoe", "name"], 'Cannot use "--verbsoe": unknown option (did you mean --verbose?)'],
  [["--ssh_source", "h", "name"], 'Cannot use "--ssh_source": unknown option (did you mean --ssh-source?)'],
  [
    ["--keep-sources", "1", "name"],
    'Cannot use "--keep-sources": unknown option (did you mean --keep-source?)',
  ],
  [["---verbose", "name"], 'Cannot use "---verbose": unknown option (did you mean --verbose?)'],
  [["--=x", "name"], 'Cannot use "--=x": unknown option'],
  [
    ["--no-", "name"],
    'Cannot use "--no-": ambiguous option, could be --no-progress, --no-snapshot, --no-guid-check, ' +
    "--no-send, --no-holds, --no-bookmarks, --no-thinning",
  ],
  [["--ver", "name"], 'Cannot use "--ver": ambiguous option, could be --verbose, --version'],
  [["--ra", "1", "name"], 'Cannot use "--ra": ambiguous option, could be --raw, --rate'],
  [["--verbose=yes", "name"], 'Cannot use "--verbose=yes": --verbose takes no value'],
  [["--dry-run=1", "name"], 'Cannot use "--dry-run=1": --dry-run takes no value'],
  [["--verb=1", "name"], 'Cannot use "--verb=1": --verbose takes no value'],
  [["-x", "name"], 'Cannot use "-x": unknown option -x'],
  [["-vx", "name"], 'Cannot use "-vx": unknown option -x'],
  [["-verbose", "name"], 'Cannot use "-verbose": unknown option -e (did you mean --verbose?)'],
  [["-v=1", "name"], 'Cannot use "-v=1": short options take no value'],
  [["name", "--rate"], "Cannot use --rate: expected a value (--rate DATARATE)"],
  [["--rate", "--", "name"], "Cannot use --rate: expected a value (--rate DATARATE)"],
  [
    ["name", "--exclude-snapshot-pattern"],
    "Cannot use --exclude-snapshot-pattern: expected a value " +
    "(--exclude-snapshot-pattern REGEX)",
  ],
  // the first problem is the one reported
  [["--bogus", "--strip-path", "x", "name"], 'Cannot use "--bogus": unknown option'],
  // whole numbers
  [["--strip-path", "x", "name"], 'Cannot use --strip-path "x": expected a whole number'],
  [["--strip-path", "-1", "name"], 'Cannot use --strip-path "-1": expected a whole number'],
  [["--strip-path", "1.5", "name"], 'Cannot use --strip-path "1.5": expected a whole number'],
  [["--strip-path", "", "name"], 'Cannot use --strip-path "": expected a whole number'],
  [["--parallel", "0", "name"], 'Cannot use --parallel "0": expected 1 or more'],
  [["--parallel", "x", "name"], 'Cannot use --parallel "x": expected a whole number'],
  [["--strip-path", " 1", "name"], 'Cannot use --strip-path " 1": expected a whole number'],
  [["--min-change", "1e3", "name"], 'Cannot use --min-change "1e3": expected a whole number'],
  [["--min-change", "1M", "name"], 'Cannot use --min-change "1M": expected a whole number'],
  [
    ["--exclude-unchanged", "99999999999999999999", "name"],
    'Cannot use --exclude-unchanged "99999999999999999999": expected a whole number',
  ],
  [["--exclude-unchanged", "+5", "name"], 'Cannot use --exclude-unchanged "+5": expected a whole number'],
  // choices
  [["--clones", "full", "name"], 'Cannot use --clones "full": expected never or simple'],
  [["--clones", "", "name"], 'Cannot use --clones "": expected never or simple'],
  // tags
  [["--tag-seperator", "__", "name"], 'Cannot use --tag-seperator "__": expected one of _ . : - space'],
  [["--tag-seperator", "", "name"], 'Cannot use --tag-seperator "": expected one of _ . : - space'],
  [["--tag", "", "name"], 'Cannot use --tag "": expected a non-empty tag'],
  [["--tag", "a/b", "name"], 'Cannot use --tag "a/b": only letters, digits, _ . : - and space are allowed'],
  [
    ["--tag", "nas_1", "name"],
    'Cannot use --tag "nas_1": it contains the tag separator "_" (see --tag-seperator)',
  ],
  [
    ["--tag-seperator", "-", "name"],
    'Cannot use --tag-seperator with --snapshot-format "{}-%Y%m%d%H%M%S": the format contains the tag separator "-"',
  ],
  [
    ["--snapshot-format", "{}_%Y%m%d", "--tag", "nas", "name"],
    'Cannot use --tag with --snapshot-format "{}_%Y%m%d": the format contains the tag separator "_"',
  ],
  [
    ["--compress=bzip2", "name"],
    'Cannot use --compress "bzip2": expected one of gzip, pigz-fast, pigz-slow, zstd-fast, zstd-slow, ' +
    "zstd-adapt, xz, lzo, lz4",
  ],
  [
    ["--compress=", "name"],
    'Cannot use --compress "": expected one of gzip, pigz-fast, pigz-slow, zstd-fast, zstd-slow, ' +
    "zstd-adapt, xz, lzo, lz4",
  ],
  // sizes
  [["--rate", "fast", "name"], 'Cannot use --rate "fast": expected a size like 128k, 16M or 1G'],
  [["--rate", "10%", "name"], 'Cannot use --rate "10%": expected a size like 128k, 16M or 1G'],
  [["--rate", "0", "name"], 'Cannot use --rate "0": expected a size like 128k, 16M or 1G'],
  [["--rate", "-5M", "name"], 'Cannot use --rate "-5M": expected a size like 128k, 16M or 1G'],
  [["--buffer", "1MiB", "name"], 'Cannot use --buffer "1MiB": expected a size like 128k, 16M or 1G (or 10%)'],
  [["--buffer", "5 M", "name"], 'Cannot use --buffer "5 M": expected a size like 128k, 16M or 1G (or 10%)'],
  [["--buffer", "", "name"], 'Cannot use --buffer "": expected a size like 128k, 16M or 1G (or 10%)'],
  [
    ["--buffer-chunk-size", "1P", "name"],
    'Cannot use --buffer-chunk-size "1P": expected a size like 128k, 16M or 1G',
  ],
  // regular expressions
  [
    ["--exclude-snapshot-pattern", "(", "name"],
    'Cannot use --exclude-snapshot-pattern "(": not a valid regular expression (unterminated group)',
  ],
  [
    ["--exclude-snapshot-pattern", "*x", "name"],
    'Cannot use --exclude-snapshot-pattern "*x": not a valid regular expression (nothing to repeat)',
  ],
  [
    ["--exclude-snapshot-pattern", "ok", "--exclude-snapshot-pattern", "[", "name"],
    'Cannot use --exclude-snapshot-pattern "[": not a valid regular expression (unterminated character class)',
  ],
  // property lists
  [
    ["--set-properties", "readonly", "name"],
    'Cannot use --set-properties "readonly": item "readonly" has no "="',
  ],
  [["--set-properties", "=on", "name"], 'Cannot use --set-properties "=on": a property name is empty'],
  [
    ["--set-properties", "a=1,", "name"],
    'Cannot use --set-properties "a=1,": it has an empty item (a stray comma?)',
  ],
  [
    ["--set-snapshot-properties", "a b=1", "name"],
    'Cannot use --set-snapshot-properties "a b=1": property name "a b" contains whitespace',
  ],
  [
    ["--set-properties", "a=1,a=2", "name"],
    'Cannot use --set-properties "a=1,a=2": property "a" is given twice',
  ],
  [
    ["--filter-properties", "a,,b", "name"],
    'Cannot use --filter-properties "a,,b": property names must not be empty',
  ],
  [
    ["--filter-properties", "a,", "name"],
    'Cannot use --filter-properties "a,": property names must not be empty',
  ],
  [
    ["--filter-properties", "a, b", "name"],
    'Cannot use --filter-properties "a, b": property name " b" contains whitespace',
  ],
  // ssh
  [["--ssh-source", "", "name"], 'Cannot use --ssh-source "": expected USER@HOST'],
  [
    ["--ssh-source", "-oProxyCommand=sh -c evil", "name"],
    'Cannot use --ssh-source "-oProxyCommand=sh -c evil": it must not start with "-"',
  ],
  [["--ssh-target=-F/tmp/x", "name"], 'Cannot use --ssh-target "-F/tmp/x": it must not start with "-"'],
  [["--ssh-target", "a b", "name"], 'Cannot use --ssh-target "a b": it must not contain whitespace'],
  [["--ssh-source", "--verbose", "name"], 'Cannot use --ssh-source "--verbose": it must not start with "-"'],
  [["--ssh-config", "", "name"], 'Cannot use --ssh-config "": expected a file name'],
  // formats
  [["--property-format", "", "name"], 'Cannot use --property-format "": expected a non-empty format'],
  [
    ["--property-format", "autobackup:{0}", "name"],
    'Cannot use --property-format "autobackup:{0}": braces are only allowed as "{}" (for BACKUP-NAME)',
  ],
  [
    ["--snapshot-format", "{name}-%Y", "name"],
    'Cannot use --snapshot-format "{name}-%Y": braces are only allowed as "{}" (for BACKUP-NAME)',
  ],
  [
    ["--hold-format", "x{", "name"],
    'Cannot use --hold-format "x{": braces are only allowed as "{}" (for BACKUP-NAME)',
  ],
  [
    ["--hold-format", "{{}}", "name"],
    'Cannot use --hold-format "{{}}": braces are only allowed as "{}" (for BACKUP-NAME)',
  ],
  [
    ["--hold-format", "}{", "name"],
    'Cannot use --hold-format "}{": braces are only allowed as "{}" (for BACKUP-NAME)',
  ],
  [
    ["--property-format", "{}", "name"],
    'Cannot use --property-format "{}": "name" is not a user property (it needs a ":", like autobackup:{})',
  ],
  // the snapshot format is compiled before anything runs
  [["--snapshot-format", "{}-%Q", "name"], 'Cannot use --snapshot-format "{}-%Q": unknown directive "%Q"'],
  [
    ["--snapshot-format", "{}{}-%Y", "name"],
    'Cannot use --snapshot-format "{}{}-%Y": "{}" may appear only once',
  ],
  [["--snapshot-format", "{}-%Y%", "name"], 'Cannot use --snapshot-format "{}-%Y%": stray "%" at the end'],
  [
    ["--snapshot-format", "{}-%Y-%Y", "name"],
    'Cannot use --snapshot-format "{}-%Y-%Y": directive "%Y" is used more than once',
  ],
  // schedules and times
  [
    ["--keep-source", "-1", "name"],
    'Cannot use --keep-source "-1": number of snapshots to keep cannot be negative',
  ],
  [["--keep-target", "1w1d", "name"], 'Cannot use --keep-target "1w1d": period cannot be longer than TTL'],
  [
    ["--keep-target", "1x", "name"],
    'Cannot use --keep-target "1x": unknown period unit "x" (use s, min, h, d, w, m or y)',
  ],
  [["--destroy-missing", "soon", "name"], 'Cannot use --destroy-missing "soon": missing time amount'],
  [
    ["--destroy-missing", "5", "name"],
    'Cannot use --destroy-missing "5": missing time unit (use s, min, h, d, w, m or y)',
  ],
  // empty patterns and commands (an unset $VAR in a cron line)
  [
    ["--exclude-snapshot-pattern", "", "name"],
    'Cannot use --exclude-snapshot-pattern "": an empty pattern would exclude every snapshot',
  ],
  [["--send-pipe", " ", "name"], 'Cannot use --send-pipe " ": expected a command'],
  [["--recv-pipe", "", "name"], 'Cannot use --recv-pipe "": expected a command'],
  [["--pre-snapshot-cmd", "", "name"], 'Cannot use --pre-snapshot-cmd "": expected a command'],
  [["--post-snapshot-cmd", "\t", "name"], 'Cannot use --post-snapshot-cmd "\\t": expected a command'],
  // monitoring
  [["--report", "", "name"], 'Cannot use --report "": expected a file name'],
  [
    ["--prometheus", "zab.txt", "name"],
    'Cannot use --prometheus "zab.txt": the textfile collector reads only files named "*.prom"',
  ],
  [["--monitor", "1d", "name"], 'Cannot use --monitor "1d": expected WARN,CRIT such as 26h,50h'],
  [
    ["--monitor", "1d,2", "name"],
    'Cannot use --monitor "2": missing time unit (use s, min, h, d, w, m or y)',
  ],
  [["--monitor", "3d,2d", "name"], 'Cannot use --monitor "3d,2d": WARN must not be longer than CRIT'],
  [
    ["--monitor", "1d,2d", "--prometheus", "a.prom", "name"],
    "Cannot use --prometheus with --monitor: the check runs no backup",
  ],
];

Deno.test("parseOptions: each usage error has its exact message", () => {
  for (const [args, message] of ERROR_CASES) assert.equal(usageError(args), message, JSON.stringify(args));
});

Deno.test("parseOptions: usage errors are one line without a trailing period", () => {
  for (const [args] of ERROR_CASES) {
    const message = usageError(args);
    assert.ok(!message.includes("\n") && !message.endsWith("."), message);
  }
});

Deno.test("parseOptions: valid sizes", () => {
  for (const value of ["1", "100", "128k", "128K", "50M", "1g", "1T", "1.5M", "128KB", "16mb", "8b"]) {
    assert.equal(run(["--rate", value, "name"]).rate, value);
    assert.equal(run(["--buffer-chunk-size", value, "name"]).bufferChunkSize, value);
  }
  assert.equal(run(["--buffer", "10%", "name"]).buffer, "10%");
});

Deno.test("parseOptions: hostile values are kept verbatim or rejected on one line", () => {
  const shell = "$(rm -rf /); `id` | tee /x && echo 'q\"";
  assert.equal(run([shell]).backupName, shell);
  assert.deepEqual(run(["--pre-snapshot-cmd", shell, "name"]).preSnapshotCmds, [shell]);
  assert.deepEqual(run(["--send-pipe", "a\nb", "name"]).sendPipes, ["a\nb"]);
  assert.equal(run(["--ssh-config", "-oProxyCommand=x", "name"]).sshConfig, "-oProxyCommand=x");
  assert.equal(run(["näme-✓"]).backupName, "näme-✓");
  // Control characters are escaped and long values cut, so the message stays one short line.
  assert.equal(
    usageError(["--strip-path", "1\n2\x1b[31m", "name"]),
    'Cannot use --strip-path "1\\n2\\x1b[31m": expected a whole number',
  );
  const long = "x".repeat(10_000);
  const message = usageError(["--clones", long, "name"]);
  assert.equal(message, `Cannot use --clones "${"x".repeat(120)}…": expected never or simple`);
  // Python syntax that has no JavaScript equivalent is refused (see python_regex.ts).
  assert.equal(
    usageError(["--exclude-snapshot-pattern", "(?x)a b", "name"]),
    'Cannot use --exclude-snapshot-pattern "(?x)a b": not a valid regular expression ' +
      '(the inline flag "(?x)" is not supported)',
  );
  assert.match(
    usageError(["--exclude-snapshot-pattern", "a\n(", "name"]),
    /^Cannot use --exclude-snapshot-pattern "a\\n\(": not a valid regular expression \(.+\)$/,
  );
});

/** [text, expected assignments or the error's reason]. */
const ASSIGNMENT_CASES: ReadonlyArray<readonly [string, Array<[string, string]> | string]> = [
  ["", []],
  ["a=1", [["a", "1"]]],
  ["a=1,b=2", [["a", "1"], ["b", "2"]]],
  ["a=", [["a", ""]]],
  ["a=b=c", [["a", "b=c"]]],
  ["a==", [["a", "="]]],
  ["user:note=x\\,y", [["user:note", "x,y"]]],
  ["a=x\\\\,b=2", [["a", "x\\"], ["b", "2"]]],
  ["a=x\\\\\\,y", [["a", "x\\,y"]]],
  ["a=C:\\dir", [["a", "C:\\dir"]]],
  ["a=end\\", [["a", "end\\"]]],
  ["a=with space", [["a", "with space"]]],
  ["a=ünï", [["a", "ünï"]]],
  ["x", 'item "x" has no "="'],
  ["a=1,x", 'item "x" has no "="'],
  ["a\\,b", 'item "a,b" has no "="'],
  ["=1", "a property name is empty"],
  [",a=1", "it has an empty item (a stray comma?)"],
  ["a=1,,b=2", "it has an empty item (a stray comma?)"],
  ["a\tb=1", 'property name "a\\tb" contains whitespace'],
  [" a=1", 'property name " a" contains whitespace'],
  ["a=1,b=2,a=3", 'property "a" is given twice'],
];

Deno.test("parsePropertyAssignments: escapes and errors", () => {
  for (const [text, expected] of ASSIGNMENT_CASES) {
    if (typeof expected === "string") {
      assert.throws(
        () => parsePropertyAssignments(text, "--set-properties"),
        (e: unknown) => e instanceof UsageError && e.message.endsWith(`: ${expected}`),
        JSON.stringify(text),
      );
    } else {
      const want = expected.map(([name, value]) => ({ name, value }));
      assert.deepEqual(parsePropertyAssignments(text, "--set-properties"), want, JSON.stringify(text));
    }
  }
});

Deno.test("parsePropertyAssignments: the message names the option and the whole text", () => {
  assert.throws(
    () => parsePropertyAssignments("a=1,b", "--set-snapshot-properties"),
    { name: "UsageError", message: 'Cannot use --set-snapshot-properties "a=1,b": item "b" has no "="' },
  );
});
