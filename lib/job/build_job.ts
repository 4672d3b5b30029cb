/**
 * Turning raw option values (from argv, or later a jobs file) into a validated, compiled `Job`,
 * or a `UsageError` naming the option and the value. Every check that can be made without a
 * host is made here, so a bad value never gets as far as touching a host.
 */
import { errorMessage, UsageError } from "../errors.ts";
import { SnapshotFormat, type SnapshotTags } from "../snapshot/snapshot_format.ts";
import { parseSchedule, parseTtl, type Schedule } from "../thinner/schedule.ts";
import { COMPRESS_TYPES, type CompressType } from "../transfer/compress.ts";
import { applyName } from "./apply_name.ts";
import {
  CLONE_POLICIES,
  type ClonePolicy,
  DEFAULTS,
  type Job,
  type MonitorThresholds,
  type PropertyAssignment,
  TAG_SEPARATORS,
} from "./job.ts";
import { parsePropertyAssignments, parsePropertyNames } from "./property_list.ts";
import { pythonRegex } from "./python_regex.ts";
import { oneLine, showValue } from "./show_value.ts";

/** A raw option value: a flag, a string, or a list of strings for a repeatable option. */
export type RawValue = string | boolean | string[] | undefined;

/** Raw values by long option name (without dashes). */
export type OptionValues = Readonly<Record<string, RawValue>>;

/** Upstream's notes for obsolete options, printed at the start of a run. */
export const NOTE_IGNORE_REPLICATED = "--ignore-replicated has been renamed, using --exclude-unchanged";
/** Note for the obsolete `--resume`. */
export const NOTE_RESUME = "The --resume option isn't needed anymore (it's autodetected now)";
/** Note for the obsolete `--raw`. */
export const NOTE_RAW =
  "The --raw option isn't needed anymore (it's autodetected now). Also see --encrypt and --decrypt.";

/** BACKUP-NAME and TARGET-PATH (undefined: snapshot-only). */
export interface JobNames {
  backupName: string;
  targetPath: string | undefined;
}

/** Builds the job from raw values by long option name and the two names. */
export function buildJob(values: OptionValues, { backupName, targetPath }: JobNames): Job {
  const raw = new Raw(values);
  // Upstream treats an empty name as missing; a missing $VAR is the usual cause.
  if (backupName === "") throw new UsageError("Cannot start: BACKUP-NAME is empty");
  if (targetPath !== undefined) checkTargetPath(targetPath);
  const debugOutput = raw.flag("debug-output");
  const debug = raw.flag("debug") || debugOutput;
  const test = raw.flag("test");
  const utc = raw.flag("utc");
  const allowEmpty = raw.flag("allow-empty");
  const ignoreReplicated = raw.flag("ignore-replicated");
  const excludeUnchanged = wholeNumber(raw, "exclude-unchanged", 0);
  const minChange = wholeNumber(raw, "min-change", DEFAULTS.minChange);
  const tags = snapshotTags(raw);
  const monitor = thresholds(raw);
  const report = outputFile(raw, "report");
  const prometheus = outputFile(raw, "prometheus");
  if (monitor && (report !== undefined || prometheus !== undefined)) {
    const name = report !== undefined ? "report" : "prometheus";
    throw new UsageError(`Cannot use --${name} with --monitor: the check runs no backup`);
  }
  return {
    backupName,
    targetPath,
    test,
    verbose: raw.flag("verbose") || test || debug,
    debug,
    debugOutput,
    progress: raw.flag("progress") ? true : undefined,
    noProgress: raw.flag("no-progress"),
    utc,
    sshConfig: sshConfig(raw),
    sshSource: sshHost(raw, "ssh-source"),
    sshTarget: sshHost(raw, "ssh-target"),
    property: userProperty(raw, backupName),
    holdTag: named(raw, "hold-format", DEFAULTS.holdFormat, backupName),
    snapshotFormat: new SnapshotFormat(
      named(raw, "snapshot-format", DEFAULTS.snapshotFormat, backupName),
      utc,
      `Cannot use --snapshot-format ${showValue(raw.string("snapshot-format") ?? DEFAULTS.snapshotFormat)}`,
      tags,
    ),
    tagSeparator: tags.separator,
    stripPath: wholeNumber(raw, "strip-path", 0),
    // An explicit threshold is kept; upstream would overwrite it with 1.
    excludeUnchanged: ignoreReplicated && excludeUnchanged === 0 ? 1 : excludeUnchanged,
    excludeReceived: raw.flag("exclude-received"),
    includeReceived: raw.flag("include-received"),
    excludeSnapshotPatterns: raw.list("exclude-snapshot-pattern").map(compileRegex),
    noSnapshot: raw.flag("no-snapshot"),
    preSnapshotCmds: commands(raw, "pre-snapshot-cmd"),
    postSnapshotCmds: commands(raw, "post-snapshot-cmd"),
    minChange: allowEmpty ? 0 : minChange,
    allowEmpty,
    otherSnapshots: raw.flag("other-snapshots"),
    setSnapshotProperties: assignments(raw, "set-snapshot-properties"),
    noGuidCheck: raw.flag("no-guid-check"),
    noSend: raw.flag("no-send"),
    noHolds: raw.flag("no-holds"),
    noBookmarks: raw.flag("no-bookmarks"),
    clearRefreservation: raw.flag("clear-refreservation"),
    clearMountpoint: raw.flag("clear-mountpoint"),
    filterProperties: parsePropertyNames(raw.string("filter-properties") ?? "", "--filter-properties"),
    setProperties: assignments(raw, "set-properties"),
    rollback: raw.flag("rollback"),
    force: raw.flag("force"),
    destroyIncompatible: raw.flag("destroy-incompatible"),
    ignoreTransferErrors: raw.flag("ignore-transfer-errors"),
    decrypt: raw.flag("decrypt"),
    encrypt: raw.flag("encrypt"),
    zfsCompressed: raw.flag("zfs-compressed"),
    clones: clones(raw),
    parallel: parallel(raw),
    compress: compress(raw),
    rate: size(raw, "rate", false),
    buffer: size(raw, "buffer", true),
    bufferChunkSize: size(raw, "buffer-chunk-size", false),
    sendPipes: commands(raw, "send-pipe"),
    recvPipes: commands(raw, "recv-pipe"),
    noThinning: raw.flag("no-thinning"),
    keepSource: schedule(raw, "keep-source"),
    keepTarget: schedule(raw, "keep-target"),
    destroyMissing: ttl(raw, "destroy-missing"),
    report,
    prometheus,
    syslog: raw.flag("syslog"),
    monitor,
    deprecationNotes: [
      ...(ignoreReplicated ? [NOTE_IGNORE_REPLICATED] : []),
      ...(raw.flag("resume") ? [NOTE_RESUME] : []),
      ...(raw.flag("raw") ? [NOTE_RAW] : []),
    ],
  };
}

/** Typed access to the raw values. */
class Raw {
  constructor(private readonly values: OptionValues) {}
  flag(name: string): boolean {
    return this.values[name] === true;
  }
  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === "string" ? v : undefined;
  }
  list(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : [];
  }
}

/** TARGET-PATH: a relative dataset name. */
function checkTargetPath(path: string): void {
  const fail = (why: string) => new UsageError(`Cannot use TARGET-PATH ${showValue(path)}: ${why}`);
  // Upstream crashes on "" (it indexes the first character); a missing $VAR is the usual cause.
  if (path === "") throw fail("it is empty");
  if (path.startsWith("/")) {
    const relative = path.replace(/^\/+/, "");
    throw fail(`it must not start with "/"${relative ? ` (write ${showValue(relative)})` : ""}`);
  }
  // Would only fail later, against the target, after snapshots were already made.
  if (path.split("/").includes("") || /[@#]/.test(path)) {
    throw fail("expected a dataset name like pool/backup");
  }
}

function wholeNumber(raw: Raw, name: string, fallback: number): number {
  const text = raw.string(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new UsageError(`Cannot use --${name} ${showValue(text)}: expected a whole number`);
  }
  return n;
}

/** `--parallel N`: a whole number of at least 1. */
function parallel(raw: Raw): number {
  const n = wholeNumber(raw, "parallel", 1);
  if (n < 1) {
    throw new UsageError(
      `Cannot use --parallel ${showValue(raw.string("parallel") ?? "")}: expected 1 or more`,
    );
  }
  return n;
}

/** An mbuffer size: digits, optional fraction, optional k/M/G/T and b; `--buffer` also takes N%. */
function size(raw: Raw, name: string, percentToo: boolean): string | undefined {
  const text = raw.string(name);
  if (text === undefined) return undefined;
  const shape = /^(\d+(?:\.\d+)?)([kmgt]?b?)$/i.exec(text) ?? (percentToo ? /^(\d+)(%)$/.exec(text) : null);
  if (shape === null || !(Number(shape[1]) > 0)) {
    throw new UsageError(
      `Cannot use --${name} ${showValue(text)}: expected a size like 128k, 16M or 1G${
        percentToo ? " (or 10%)" : ""
      }`,
    );
  }
  return text;
}

function compress(raw: Raw): CompressType | undefined {
  const text = raw.string("compress");
  if (text === undefined) return undefined;
  const found = COMPRESS_TYPES.find((t) => t === text);
  if (found === undefined) {
    throw new UsageError(
      `Cannot use --compress ${showValue(text)}: expected one of ${COMPRESS_TYPES.join(", ")}`,
    );
  }
  return found;
}

function clones(raw: Raw): ClonePolicy {
  const text = raw.string("clones");
  if (text === undefined) return "never";
  const found = CLONE_POLICIES.find((p) => p === text);
  if (found === undefined) {
    throw new UsageError(`Cannot use --clones ${showValue(text)}: expected ${CLONE_POLICIES.join(" or ")}`);
  }
  return found;
}

/** The host goes to ssh as an argument of its own: a leading "-" would make it an ssh option. */
function sshHost(raw: Raw, name: string): string | undefined {
  const text = raw.string(name);
  if (text === undefined) return undefined;
  const fail = (why: string) => new UsageError(`Cannot use --${name} ${showValue(text)}: ${why}`);
  // Upstream would silently run locally on "", the opposite of what was asked for.
  if (text === "") throw fail("expected USER@HOST");
  if (text.startsWith("-")) throw fail('it must not start with "-"');
  if (/\s/.test(text)) throw fail("it must not contain whitespace");
  return text;
}

function sshConfig(raw: Raw): string | undefined {
  const text = raw.string("ssh-config");
  if (text === "") throw new UsageError(`Cannot use --ssh-config "": expected a file name`);
  return text;
}

/**
 * A format with `{}` replaced by BACKUP-NAME. Upstream uses Python's str.format, where other
 * braces mean something else or fail, and ZFS names cannot hold braces anyway.
 */
function named(raw: Raw, name: string, fallback: string, backupName: string): string {
  const text = raw.string(name) ?? fallback;
  const fail = (why: string) => new UsageError(`Cannot use --${name} ${showValue(text)}: ${why}`);
  if (text === "") throw fail("expected a non-empty format");
  if (/[{}]/.test(text.replaceAll("{}", ""))) throw fail('braces are only allowed as "{}" (for BACKUP-NAME)');
  if (text.split("{}").length > 2) throw fail('"{}" may appear only once');
  return applyName(text, backupName);
}

/** The selection property: zfs only lets user properties (the ones with a ":") be set. */
function userProperty(raw: Raw, backupName: string): string {
  const property = named(raw, "property-format", DEFAULTS.propertyFormat, backupName);
  if (!property.includes(":")) {
    const text = raw.string("property-format") ?? DEFAULTS.propertyFormat;
    throw new UsageError(
      `Cannot use --property-format ${
        showValue(text)
      }: "${property}" is not a user property (it needs a ":", like autobackup:{})`,
    );
  }
  return property;
}

/** Compiles the pattern the way selection uses it (Python syntax, see python_regex.ts). */
function compileRegex(pattern: string): RegExp {
  const fail = (why: string) =>
    new UsageError(`Cannot use --exclude-snapshot-pattern ${showValue(pattern)}: ${why}`);
  // An unset $VAR in a cron line gives "", which would match every snapshot.
  if (pattern === "") throw fail("an empty pattern would exclude every snapshot");
  try {
    return pythonRegex(pattern);
  } catch (e) {
    const message = errorMessage(e);
    const cut = message.lastIndexOf("/: ");
    const reason = cut < 0 ? message : message.slice(cut + 3);
    const lowered = reason.charAt(0).toLowerCase() + reason.slice(1);
    throw fail(`not a valid regular expression (${oneLine(lowered)})`);
  }
}

/** Shell commands and pipe fragments: an empty one would silently break the run or the stream. */
function commands(raw: Raw, name: string): string[] {
  const list = raw.list(name);
  for (const cmd of list) {
    if (cmd.trim() === "") throw new UsageError(`Cannot use --${name} ${showValue(cmd)}: expected a command`);
  }
  return list;
}

function assignments(raw: Raw, name: string): PropertyAssignment[] {
  const text = raw.string(name);
  return text === undefined ? [] : parsePropertyAssignments(text, `--${name}`);
}

/**
 * `--tag-seperator` and `--tag`. A tagged name must split back into name and tag in one way
 * only, so TAG may not contain the separator, nor may --snapshot-format when a tag or an
 * explicit separator is used. With neither (the default `_`), a format containing `_` keeps
 * working as in zfs-autobackup 3.3: its names are recognised whole, and tags of other runs
 * are still found by trying each separator in turn.
 */
function snapshotTags(raw: Raw): SnapshotTags {
  const given = raw.string("tag-seperator");
  const separator = given ?? DEFAULTS.tagSeparator;
  if (!TAG_SEPARATORS.some((c) => c === separator)) {
    throw new UsageError(
      `Cannot use --tag-seperator ${showValue(separator)}: expected one of ${
        TAG_SEPARATORS.map((c) => c === " " ? "space" : c).join(" ")
      }`,
    );
  }
  const tag = raw.string("tag");
  if (tag !== undefined) {
    const fail = (why: string) => new UsageError(`Cannot use --tag ${showValue(tag)}: ${why}`);
    if (tag === "") throw fail("expected a non-empty tag");
    if (!/^[A-Za-z0-9_.: -]+$/.test(tag)) throw fail("only letters, digits, _ . : - and space are allowed");
    if (tag.includes(separator)) {
      throw fail(`it contains the tag separator ${showValue(separator)} (see --tag-seperator)`);
    }
  }
  const format = raw.string("snapshot-format") ?? DEFAULTS.snapshotFormat;
  if ((given !== undefined || tag !== undefined) && format.includes(separator)) {
    const option = given !== undefined ? "--tag-seperator" : "--tag";
    throw new UsageError(
      `Cannot use ${option} with --snapshot-format ${
        showValue(format)
      }: the format contains the tag separator ${showValue(separator)}`,
    );
  }
  return { separator, tag };
}

function schedule(raw: Raw, name: string): Schedule {
  return parseSchedule(raw.string(name) ?? DEFAULTS.keep, `--${name}`);
}

function ttl(raw: Raw, name: string): number | undefined {
  const text = raw.string(name);
  return text === undefined ? undefined : parseTtl(text, `--${name}`);
}

/**
 * `--report`/`--prometheus FILE`. node_exporter's textfile collector reads only `*.prom` files, so
 * any other name would be written and never scraped; `--report -` means stdout.
 */
function outputFile(raw: Raw, name: "report" | "prometheus"): string | undefined {
  const text = raw.string(name);
  if (text === undefined) return undefined;
  const fail = (why: string) => new UsageError(`Cannot use --${name} ${showValue(text)}: ${why}`);
  if (text === "" || text.endsWith("/")) throw fail("expected a file name");
  if (name === "prometheus" && !text.endsWith(".prom")) {
    throw fail('the textfile collector reads only files named "*.prom"');
  }
  return text;
}

/** `--monitor WARN,CRIT`: two ages such as 26h,50h, the warning one not above the critical one. */
function thresholds(raw: Raw): MonitorThresholds | undefined {
  const text = raw.string("monitor");
  if (text === undefined) return undefined;
  const parts = text.split(",");
  if (parts.length !== 2) {
    throw new UsageError(`Cannot use --monitor ${showValue(text)}: expected WARN,CRIT such as 26h,50h`);
  }
  const [warn, crit] = parts.map((p) => parseTtl(p, "--monitor")) as [number, number];
  if (warn > crit) {
    throw new UsageError(`Cannot use --monitor ${showValue(text)}: WARN must not be longer than CRIT`);
  }
  return { warn, crit };
}
