/**
 * zfs-autoverify's command line: upstream's options for it (the common, ssh, formatting and
 * selection options of zfs-autobackup, plus `--fs-compare`), and `--skip` for sampling as in
 * zfs-check. Read with the same parser as zfs-autobackup's, against this smaller table; the
 * shared values are validated by `buildJob`, the two of its own here.
 */
import { UsageError } from "../errors.ts";
import { renderHelp } from "../cli/help.ts";
import { indexOptions, parseCommandLine } from "../cli/parse.ts";
import { OPTION_SPECS, type OptionGroup, type OptionSpec } from "../cli/option_table.ts";
import { buildJob, type OptionValues } from "../job/build_job.ts";
import type { BackupJob } from "../job/job.ts";
import { showValue } from "../job/show_value.ts";
import { headerOf } from "../version.ts";

/** The program name zfs-autoverify answers to. */
export const VERIFY_PROGRAM = "zfs-autoverify";

/** The header line of --version and verbose output. */
export const VERIFY_HEADER = headerOf(VERIFY_PROGRAM);

/** Usage line. */
export const VERIFY_USAGE = `usage: ${VERIFY_PROGRAM} [options] BACKUP-NAME TARGET-PATH`;

/** How file systems are compared. */
export const FS_COMPARE_METHODS = ["find", "rsync"] as const;

/** One of `FS_COMPARE_METHODS`. */
export type FsCompare = (typeof FS_COMPARE_METHODS)[number];

/** A validated zfs-autoverify run. */
export interface VerifyJob {
  /** The shared options (selection, names, ssh), built by `buildJob`. */
  job: BackupJob;
  /** `--fs-compare`: upstream's default is find. */
  fsCompare: FsCompare;
  /** `--skip`: after each hashed volume chunk or file, skip this many. */
  skip: number;
}

/** What the command line asks for. */
export type VerifyParse =
  | { kind: "run"; verify: VerifyJob }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

const SHARED_GROUPS: ReadonlySet<OptionGroup> = new Set(["common", "ssh", "format", "selection"]);

const OWN_SPECS: readonly OptionSpec[] = [
  {
    name: "fs-compare",
    kind: "value",
    metavar: "METHOD",
    group: "verify",
    help: "How to compare file systems: find (file lists with types, modes, owners, sizes, " +
      "times and SHA-1 checksums, made on each host) or rsync (rsync -n -c; needs rsync on both " +
      "hosts, and one side local or both on the same host).",
    shownDefault: "find",
  },
  {
    name: "skip",
    kind: "value",
    metavar: "NUMBER",
    group: "verify",
    help: "Sample huge datasets: after each hashed volume chunk (100 MiB, as zfs-check) or file, " +
      "skip NUMBER.",
    shownDefault: "0",
  },
];

/** Help lines that say something else for zfs-autoverify. */
const OWN_HELP: Readonly<Record<string, string>> = {
  test: "Only plan: select, pair and name the common snapshots; compare nothing (implies --verbose).",
  progress: "Show which dataset is being verified on stderr (default: on when stderr is a terminal).",
};

/** zfs-autoverify's options: the shared groups of zfs-autobackup's table, then its own. */
export const VERIFY_SPECS: readonly OptionSpec[] = [
  ...OPTION_SPECS.filter((s) => SHARED_GROUPS.has(s.group)).map((s) =>
    s.name in OWN_HELP ? { ...s, help: OWN_HELP[s.name]! } : s
  ),
  ...OWN_SPECS,
];

const VERIFY_OPTIONS = indexOptions(VERIFY_SPECS);

/**
 * Parses argv (without the program name). `--help`/`--version` anywhere win. Throws UsageError
 * (one line) on anything else that is wrong.
 */
export function parseVerifyOptions(args: readonly string[]): VerifyParse {
  const line = parseCommandLine(args, VERIFY_OPTIONS);
  if (line.kind === "help") return { kind: "help", text: verifyHelpText() };
  if (line.kind === "version") return { kind: "version", text: VERIFY_HEADER };
  const [backupName, targetPath, extra] = line.positionals;
  if (extra !== undefined) {
    throw new UsageError(
      `Cannot use argument ${showValue(extra)}: only BACKUP-NAME and TARGET-PATH are expected`,
    );
  }
  if (backupName === undefined || backupName === "") {
    throw new UsageError(`Cannot start: BACKUP-NAME is missing (${VERIFY_USAGE})`);
  }
  if (targetPath === undefined) {
    throw new UsageError(`Cannot start: TARGET-PATH is missing (${VERIFY_USAGE})`);
  }
  const job: BackupJob = { ...buildJob(line.values, { backupName, targetPath }), targetPath };
  const fsCompare = method(line.values);
  if (
    fsCompare === "rsync" && job.sshSource !== undefined && job.sshTarget !== undefined &&
    job.sshSource !== job.sshTarget
  ) {
    throw new UsageError(
      `Cannot use --fs-compare rsync with --ssh-source ${showValue(job.sshSource)} and --ssh-target ${
        showValue(job.sshTarget)
      }: rsync cannot compare two remote paths (use --fs-compare find)`,
    );
  }
  return { kind: "run", verify: { job, fsCompare, skip: skipCount(line.values) } };
}

function method(values: OptionValues): FsCompare {
  const text = values["fs-compare"];
  if (typeof text !== "string") return "find";
  const found = FS_COMPARE_METHODS.find((m) => m === text);
  if (found === undefined) {
    throw new UsageError(
      `Cannot use --fs-compare ${showValue(text)}: expected ${FS_COMPARE_METHODS.join(" or ")}`,
    );
  }
  return found;
}

function skipCount(values: OptionValues): number {
  const text = values["skip"];
  if (typeof text !== "string") return 0;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new UsageError(`Cannot use --skip ${showValue(text)}: expected a whole number`);
  }
  return n;
}

/** The `--help` text (ends with a newline). */
export function verifyHelpText(): string {
  return renderHelp({
    usage: VERIFY_USAGE,
    header: VERIFY_HEADER,
    intro: "Proves a backup made by zfs-autobackup: for every dataset the backup selects, takes " +
      "the newest snapshot that source and target share (checked by guid) and compares the two " +
      "snapshots' contents, each read on its own host, so only lists and hashes cross ssh, never " +
      "data. Changes nothing: file system snapshots are mounted read-only on a temporary " +
      "directory, volume snapshots are cloned to a temporary read-only volume, and both are " +
      "removed again, also after Ctrl-C.",
    positionals: [
      ["BACKUP-NAME", "Name of the backup job; selects the source datasets (autobackup:BACKUP-NAME)."],
      ["TARGET-PATH", "Dataset the backup receives into, without a leading /."],
    ],
    specs: VERIFY_SPECS,
    notes: [
      "Prints one line per dataset: OK, DIFFERS (with up to 10 differences below it) or FAILED " +
      "(it could not be compared, e.g. no common snapshot).",
      "Remote hosts need a POSIX sh with GNU find, sed, sort, xargs, dd and sha1sum (any Linux " +
      "with coreutils); no Deno.",
      "Exit codes: 0 every dataset is identical, 1-254 that many datasets differ or could not be " +
      "compared, 2 bad command line, 255 a fatal error (or 255 or more datasets).",
    ],
  });
}
