/**
 * The option table and the `--help` text. The table is the single description of every
 * command-line option (name, short form, value, group, help line); `parse.ts` reads its syntax
 * from here and this file renders it, so the help can never list an option the parser lacks.
 */
import { CLONE_POLICIES, COMPRESS_TYPES, type Options } from "./options.ts";
import { DEFAULTS } from "./options.ts";
import { HEADER } from "../version.ts";

/** The one-line usage. */
export const USAGE = "usage: zfs-autobackup [options] BACKUP-NAME [TARGET-PATH]";

/** Re-exported for the help text's readers (the lists live with the option types). */
export { CLONE_POLICIES, COMPRESS_TYPES };

/**
 * How an option takes its value: `flag` none, `value` exactly one (last one wins), `list` one per
 * use (accumulates), `optional` an optional one (only `--compress`).
 */
export type OptionKind = "flag" | "value" | "list" | "optional";

/** Help sections, in the order they are printed. */
export type OptionGroup =
  | "common"
  | "ssh"
  | "format"
  | "selection"
  | "snapshot"
  | "transfer"
  | "data"
  | "thinner";

/** One command-line option. */
export interface OptionSpec {
  /** Long name without the leading `--`. */
  readonly name: string;
  /** Further long names for the same option (`dry-run`). */
  readonly aliases?: readonly string[];
  /** Single-letter short form without the `-`. */
  readonly short?: string;
  readonly kind: OptionKind;
  /** Placeholder for the value in help and messages. */
  readonly metavar?: string;
  readonly group: OptionGroup;
  /** The `Options` field it sets; undefined for `--help`/`--version`. */
  readonly field?: keyof Options;
  /** One-line help; undefined = hidden (accepted, never listed). */
  readonly help?: string;
  /** Default shown in help. */
  readonly shownDefault?: string;
}

/** Section titles of the help text. */
export const GROUP_TITLES: Readonly<Record<OptionGroup, string>> = {
  common: "Common options",
  ssh: "SSH options",
  format: "String formatting options",
  selection: "Selection options",
  snapshot: "Snapshot options",
  transfer: "Transfer options",
  data: "Data transfer options",
  thinner: "Thinner options",
};

/** Every option zfs-autobackup 3.3 accepts, plus `--clones` from upstream's development head. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  // common
  { name: "help", short: "h", kind: "flag", group: "common", help: "Show this help and exit." },
  {
    name: "test",
    aliases: ["dry-run"],
    short: "n",
    kind: "flag",
    group: "common",
    field: "test",
    help: "Simulate: run every read-only step but change nothing (implies --verbose).",
  },
  { name: "verbose", short: "v", kind: "flag", group: "common", field: "verbose", help: "Log what happens." },
  {
    name: "debug",
    short: "d",
    kind: "flag",
    group: "common",
    field: "debug",
    help: "Also log every command as it runs (implies --verbose).",
  },
  {
    name: "debug-output",
    kind: "flag",
    group: "common",
    field: "debugOutput",
    help: "Also log the output and exit code of every command (implies --debug).",
  },
  {
    name: "progress",
    kind: "flag",
    group: "common",
    field: "progress",
    help: "Show transfer progress on stderr (default: on when stderr is a terminal).",
  },
  { name: "no-progress", kind: "flag", group: "common", field: "noProgress" },
  {
    name: "utc",
    kind: "flag",
    group: "common",
    field: "utc",
    help: "Use UTC instead of local time when naming and reading snapshot times.",
  },
  { name: "version", kind: "flag", group: "common", help: "Show the version and exit." },

  // ssh
  {
    name: "ssh-config",
    kind: "value",
    metavar: "FILE",
    group: "ssh",
    field: "sshConfig",
    help: "Use this ssh config file (ssh -F FILE) for both hosts.",
  },
  {
    name: "ssh-source",
    kind: "value",
    metavar: "USER@HOST",
    group: "ssh",
    field: "sshSource",
    help: "Reach the source datasets over ssh (pull).",
    shownDefault: "local",
  },
  {
    name: "ssh-target",
    kind: "value",
    metavar: "USER@HOST",
    group: "ssh",
    field: "sshTarget",
    help: "Reach the target datasets over ssh (push).",
    shownDefault: "local",
  },

  // format
  {
    name: "property-format",
    kind: "value",
    metavar: "FORMAT",
    group: "format",
    field: "propertyFormat",
    help: "User property that selects datasets; {} stands for BACKUP-NAME.",
    shownDefault: DEFAULTS.propertyFormat,
  },
  {
    name: "snapshot-format",
    kind: "value",
    metavar: "FORMAT",
    group: "format",
    field: "snapshotFormat",
    help: "Snapshot name; {} stands for BACKUP-NAME, strftime codes such as %Y for the time.",
    shownDefault: DEFAULTS.snapshotFormat,
  },
  {
    name: "hold-format",
    kind: "value",
    metavar: "FORMAT",
    group: "format",
    field: "holdFormat",
    help: "Tag for zfs hold; {} stands for BACKUP-NAME.",
    shownDefault: DEFAULTS.holdFormat,
  },
  {
    name: "strip-path",
    kind: "value",
    metavar: "N",
    group: "format",
    field: "stripPath",
    help: "Leave out the first N components of a source dataset name when naming its target.",
    shownDefault: "0",
  },

  // selection
  {
    name: "exclude-unchanged",
    kind: "value",
    metavar: "BYTES",
    group: "selection",
    field: "excludeUnchanged",
    help: "Skip datasets with less than BYTES written since their last snapshot; 0 turns this off.",
    shownDefault: "0",
  },
  { name: "ignore-replicated", kind: "flag", group: "selection", field: "excludeUnchanged" },
  {
    name: "exclude-received",
    kind: "flag",
    group: "selection",
    field: "excludeReceived",
    help: "Skip datasets whose selection property was received (backups of other machines).",
  },
  { name: "include-received", kind: "flag", group: "selection", field: "includeReceived" },
  {
    name: "exclude-snapshot-pattern",
    kind: "list",
    metavar: "REGEX",
    group: "selection",
    field: "excludeSnapshotPatterns",
    help: "Never send source snapshots whose full name (pool/fs@snap) matches REGEX. Repeatable.",
  },

  // snapshot
  {
    name: "no-snapshot",
    kind: "flag",
    group: "snapshot",
    field: "noSnapshot",
    help: "Make no new snapshots in this run.",
  },
  {
    name: "pre-snapshot-cmd",
    kind: "list",
    metavar: "COMMAND",
    group: "snapshot",
    field: "preSnapshotCmds",
    help: "Run COMMAND on the source host before snapshotting. Repeatable.",
  },
  {
    name: "post-snapshot-cmd",
    kind: "list",
    metavar: "COMMAND",
    group: "snapshot",
    field: "postSnapshotCmds",
    help: "Run COMMAND on the source host after snapshotting, also when that failed. Repeatable.",
  },
  {
    name: "min-change",
    kind: "value",
    metavar: "BYTES",
    group: "snapshot",
    field: "minChange",
    help: "Snapshot a dataset only when at least BYTES were written since our last snapshot.",
    shownDefault: String(DEFAULTS.minChange),
  },
  {
    name: "allow-empty",
    kind: "flag",
    group: "snapshot",
    field: "allowEmpty",
    help: "Snapshot unchanged datasets too (the same as --min-change 0).",
  },
  {
    name: "other-snapshots",
    kind: "flag",
    group: "snapshot",
    field: "otherSnapshots",
    help: "Also send snapshots that zfs-autobackup did not make.",
  },
  {
    name: "set-snapshot-properties",
    kind: "value",
    metavar: "P=V,...",
    group: "snapshot",
    field: "setSnapshotProperties",
    help: "Give new snapshots these properties (zfs snapshot -o P=V).",
  },
  {
    name: "no-guid-check",
    kind: "flag",
    group: "snapshot",
    field: "noGuidCheck",
    help: "Match common snapshots by name only, not by guid (faster, less safe).",
  },

  // transfer
  {
    name: "no-send",
    kind: "flag",
    group: "transfer",
    field: "noSend",
    help: "Check and thin, but transfer nothing.",
  },
  {
    name: "no-holds",
    kind: "flag",
    group: "transfer",
    field: "noHolds",
    help: "Put no holds on the common snapshots.",
  },
  {
    name: "clear-refreservation",
    kind: "flag",
    group: "transfer",
    field: "clearRefreservation",
    help: "Do not copy refreservation to the target (adds it to --filter-properties).",
  },
  {
    name: "clear-mountpoint",
    kind: "flag",
    group: "transfer",
    field: "clearMountpoint",
    help: "Receive with canmount=noauto, so target datasets are not mounted by themselves.",
  },
  {
    name: "filter-properties",
    kind: "value",
    metavar: "P,...",
    group: "transfer",
    field: "filterProperties",
    help: "Do not copy these properties to the target (zfs recv -x P).",
  },
  {
    name: "set-properties",
    kind: "value",
    metavar: "P=V,...",
    group: "transfer",
    field: "setProperties",
    help: "Give target datasets these property values (zfs recv -o P=V).",
  },
  {
    name: "rollback",
    kind: "flag",
    group: "transfer",
    field: "rollback",
    help: "Roll each target back to its newest snapshot before receiving into it.",
  },
  {
    name: "force",
    short: "F",
    kind: "flag",
    group: "transfer",
    field: "force",
    help: "Let zfs recv overwrite the target (zfs recv -F), e.g. onto an existing dataset.",
  },
  {
    name: "destroy-incompatible",
    kind: "flag",
    group: "transfer",
    field: "destroyIncompatible",
    help: "Destroy target snapshots that are in the way of a transfer, then roll back.",
  },
  {
    name: "ignore-transfer-errors",
    kind: "flag",
    group: "transfer",
    field: "ignoreTransferErrors",
    help: "Accept a failing zfs recv as long as the snapshot arrived.",
  },
  {
    name: "decrypt",
    kind: "flag",
    group: "transfer",
    field: "decrypt",
    help: "Send encrypted datasets decrypted instead of raw.",
  },
  {
    name: "encrypt",
    kind: "flag",
    group: "transfer",
    field: "encrypt",
    help: "Let the target's encryption root encrypt data that arrives unencrypted.",
  },
  {
    name: "zfs-compressed",
    kind: "flag",
    group: "transfer",
    field: "zfsCompressed",
    help: "Send blocks as compressed on disk (zfs send -c).",
  },
  {
    name: "clones",
    kind: "value",
    metavar: "POLICY",
    group: "transfer",
    field: "clones",
    help: "How to send a clone: never (as a full dataset) or simple (as a clone of its origin).",
    shownDefault: "never",
  },
  { name: "resume", kind: "flag", group: "transfer", field: "deprecationNotes" },
  { name: "raw", kind: "flag", group: "transfer", field: "deprecationNotes" },

  // data transfer
  {
    name: "compress",
    kind: "optional",
    metavar: "TYPE",
    group: "data",
    field: "compress",
    help: `Compress the stream between the hosts; TYPE is one of ${COMPRESS_TYPES.join(", ")}.`,
    shownDefault: `${DEFAULTS.compress} when TYPE is left out`,
  },
  {
    name: "rate",
    kind: "value",
    metavar: "DATARATE",
    group: "data",
    field: "rate",
    help: "Limit the send rate to DATARATE bytes per second, e.g. 50M (uses mbuffer).",
  },
  {
    name: "buffer",
    kind: "value",
    metavar: "SIZE",
    group: "data",
    field: "buffer",
    help: "Buffer SIZE of the stream in memory, e.g. 128M (uses mbuffer).",
  },
  {
    name: "buffer-chunk-size",
    kind: "value",
    metavar: "SIZE",
    group: "data",
    field: "bufferChunkSize",
    help: "Block size mbuffer works with (uses mbuffer).",
    shownDefault: "128k",
  },
  {
    name: "send-pipe",
    kind: "list",
    metavar: "COMMAND",
    group: "data",
    field: "sendPipes",
    help: "Pass the stream through COMMAND on the source, right after zfs send. Repeatable.",
  },
  {
    name: "recv-pipe",
    kind: "list",
    metavar: "COMMAND",
    group: "data",
    field: "recvPipes",
    help: "Pass the stream through COMMAND on the target, right before zfs recv. Repeatable.",
  },

  // thinner
  {
    name: "no-thinning",
    kind: "flag",
    group: "thinner",
    field: "noThinning",
    help: "Destroy no snapshots at all.",
  },
  {
    name: "keep-source",
    kind: "value",
    metavar: "SCHEDULE",
    group: "thinner",
    field: "keepSource",
    help: "Which snapshots to keep on the source.",
    shownDefault: DEFAULTS.keep,
  },
  {
    name: "keep-target",
    kind: "value",
    metavar: "SCHEDULE",
    group: "thinner",
    field: "keepTarget",
    help: "Which snapshots to keep on the target.",
    shownDefault: DEFAULTS.keep,
  },
  {
    name: "destroy-missing",
    kind: "value",
    metavar: "TIME",
    group: "thinner",
    field: "destroyMissing",
    help: "Destroy target datasets whose source is gone once their newest snapshot is older than " +
      "TIME, e.g. 30d.",
  },
];

/** Help text width; fixed so the text does not depend on the terminal. */
const WIDTH = 80;
/** Column where option descriptions start. */
const DESCRIPTION_COLUMN = 30;

/** What the tool does, one paragraph. */
const INTRO = "Snapshots the ZFS datasets whose user property autobackup:BACKUP-NAME (see " +
  "--property-format) is true, child or parent, replicates them below TARGET-PATH (locally or " +
  "over ssh) and thins old snapshots on both sides. Without TARGET-PATH it only makes and thins " +
  "snapshots.";

const POSITIONALS: ReadonlyArray<readonly [string, string]> = [
  ["BACKUP-NAME", "Name of this backup job; selects datasets and names snapshots and holds."],
  ["TARGET-PATH", "Existing dataset to receive into, without a leading /. Leave out for snapshots only."],
];

/** Paragraphs after the option list. */
const NOTES = [
  "--compress takes TYPE from the next word only when that word is a compressor name, so " +
  '"--compress offsite1 pool/backup" still reads offsite1 as BACKUP-NAME.',
  "P=V,... lists: items are separated by commas and split at their first =, so a value may " +
  "contain =. Inside a value write \\, for a comma and \\\\ for a backslash.",
  "SCHEDULE: a number N keeps the newest N snapshots; PERIOD+TTL such as 1d1w keeps one " +
  "snapshot per PERIOD until it is TTL old. Units: s, min, h, d, w, m (30 days), y.",
  "Long options may be shortened to any unique prefix: --keep-s is --keep-source.",
  "Exit codes: 0 success, 2 bad command line, 1-254 that many datasets failed, 255 a fatal " +
  "error (or 255 or more failed datasets).",
];

/** The full grouped `--help` text (ends with a newline). */
export function helpText(): string {
  const lines = [USAGE, "", HEADER, "", ...wrap(INTRO, WIDTH), "", "Arguments:"];
  for (const [name, text] of POSITIONALS) lines.push(...entry(`  ${name}`, text));
  for (const group of Object.keys(GROUP_TITLES) as OptionGroup[]) {
    lines.push("", `${GROUP_TITLES[group]}:`);
    for (const spec of OPTION_SPECS) {
      if (spec.group === group && spec.help !== undefined) {
        lines.push(...entry(invocation(spec), describe(spec)));
      }
    }
  }
  lines.push("", "Notes:");
  NOTES.forEach((note, i) =>
    lines.push(...(i > 0 ? [""] : []), ...wrap(note, WIDTH - 2).map((l) => `  ${l}`))
  );
  return lines.join("\n") + "\n";
}

/** How the option is written in help: `  -n, --test, --dry-run` or `  --rate DATARATE`. */
function invocation(spec: OptionSpec): string {
  const names = [
    ...(spec.short ? [`-${spec.short}`] : []),
    ...[spec.name, ...(spec.aliases ?? [])].map((n) => `--${n}`),
  ].join(", ");
  if (spec.metavar === undefined) return `  ${names}`;
  return spec.kind === "optional" ? `  ${names} [${spec.metavar}]` : `  ${names} ${spec.metavar}`;
}

function describe(spec: OptionSpec): string {
  const text = spec.help ?? "";
  // A no-break space keeps "(default:" on the line of its value; wrap() turns it back.
  return spec.shownDefault === undefined ? text : `${text} (default:${NBSP}${spec.shownDefault})`;
}

/** Left part and wrapped description; a long left part gets the description on the next line. */
function entry(left: string, text: string): string[] {
  const indent = " ".repeat(DESCRIPTION_COLUMN);
  const wrapped = wrap(text, WIDTH - DESCRIPTION_COLUMN);
  const out = left.length + 2 <= DESCRIPTION_COLUMN ? [] : [left];
  const first = out.length === 0 ? left.padEnd(DESCRIPTION_COLUMN) : indent;
  wrapped.forEach((line, i) => out.push((i === 0 ? first : indent) + line));
  return out;
}

const NBSP = "\u00a0";

/** Greedy word wrap at spaces (not at no-break spaces); an overlong word gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines.map((l) => l.replaceAll(NBSP, " "));
}
