/**
 * The option table: the single description of every command-line option (name, short form,
 * value kind, group, help line). `parse.ts` reads its syntax from here and `help.ts` renders it,
 * so the help can never list an option the parser lacks.
 */
import { DEFAULTS, TAG_SEPARATORS } from "../job/job.ts";
import { COMPRESS_TYPES } from "../transfer/compress.ts";

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
  | "thinner"
  | "monitoring"
  | "service"
  | "verify";

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
  monitoring: "Monitoring options",
  service: "Service options",
  verify: "Verify options",
};

/**
 * Every option zfs-autobackup 3.3 accepts, plus `--clones`, `--no-bookmarks`, `--tag` and
 * `--tag-seperator` (upstream's spelling) from upstream's development branch.
 */
export const OPTION_SPECS: readonly OptionSpec[] = [
  // common
  { name: "help", short: "h", kind: "flag", group: "common", help: "Show this help and exit." },
  {
    name: "test",
    aliases: ["dry-run"],
    short: "n",
    kind: "flag",
    group: "common",
    help: "Simulate: run every read-only step but change nothing (implies --verbose).",
  },
  { name: "verbose", short: "v", kind: "flag", group: "common", help: "Log what happens." },
  {
    name: "debug",
    short: "d",
    kind: "flag",
    group: "common",
    help: "Also log every command as it runs (implies --verbose).",
  },
  {
    name: "debug-output",
    kind: "flag",
    group: "common",
    help: "Also log the output and exit code of every command (implies --debug).",
  },
  {
    name: "progress",
    kind: "flag",
    group: "common",
    help: "Show transfer progress on stderr (default: on when stderr is a terminal).",
  },
  { name: "no-progress", kind: "flag", group: "common" },
  {
    name: "utc",
    kind: "flag",
    group: "common",
    help: "Use UTC instead of local time when naming and reading snapshot times.",
  },
  { name: "version", kind: "flag", group: "common", help: "Show the version and exit." },

  // ssh
  {
    name: "ssh-config",
    kind: "value",
    metavar: "FILE",
    group: "ssh",
    help: "Use this ssh config file (ssh -F FILE) for both hosts.",
  },
  {
    name: "ssh-source",
    kind: "value",
    metavar: "USER@HOST",
    group: "ssh",
    help: "Reach the source datasets over ssh (pull).",
    shownDefault: "local",
  },
  {
    name: "ssh-target",
    kind: "value",
    metavar: "USER@HOST",
    group: "ssh",
    help: "Reach the target datasets over ssh (push).",
    shownDefault: "local",
  },

  // format
  {
    name: "property-format",
    kind: "value",
    metavar: "FORMAT",
    group: "format",
    help: "User property that selects datasets; {} stands for BACKUP-NAME.",
    shownDefault: DEFAULTS.propertyFormat,
  },
  {
    name: "snapshot-format",
    kind: "value",
    metavar: "FORMAT",
    group: "format",
    help: "Snapshot name; {} stands for BACKUP-NAME, strftime codes such as %Y for the time.",
    shownDefault: DEFAULTS.snapshotFormat,
  },
  {
    name: "hold-format",
    kind: "value",
    metavar: "FORMAT",
    group: "format",
    help: "Tag for zfs hold; {} stands for BACKUP-NAME.",
    shownDefault: DEFAULTS.holdFormat,
  },
  {
    name: "strip-path",
    kind: "value",
    metavar: "N",
    group: "format",
    help: "Leave out the first N components of a source dataset name when naming its target.",
    shownDefault: "0",
  },
  {
    name: "tag-seperator",
    kind: "value",
    metavar: "C",
    group: "format",
    help: `Character between a snapshot name and its tag, and in bookmark names (one of ${
      TAG_SEPARATORS.map((c) => c === " " ? "space" : c).join(" ")
    }).`,
    shownDefault: DEFAULTS.tagSeparator,
  },
  {
    name: "tag",
    kind: "value",
    metavar: "TAG",
    group: "format",
    help:
      "Append <separator>TAG to the names of the snapshots this run makes (matching and thinning ignore tags).",
  },

  // selection
  {
    name: "exclude-unchanged",
    kind: "value",
    metavar: "BYTES",
    group: "selection",
    help: "Skip datasets with less than BYTES written since their last snapshot; 0 turns this off.",
    shownDefault: "0",
  },
  { name: "ignore-replicated", kind: "flag", group: "selection" },
  {
    name: "exclude-received",
    kind: "flag",
    group: "selection",
    help: "Skip datasets whose selection property was received (backups of other machines).",
  },
  { name: "include-received", kind: "flag", group: "selection" },
  {
    name: "exclude-snapshot-pattern",
    kind: "list",
    metavar: "REGEX",
    group: "selection",
    help: "Never send source snapshots whose full name (pool/fs@snap) matches REGEX. Repeatable.",
  },

  // snapshot
  {
    name: "no-snapshot",
    kind: "flag",
    group: "snapshot",
    help: "Make no new snapshots in this run.",
  },
  {
    name: "pre-snapshot-cmd",
    kind: "list",
    metavar: "COMMAND",
    group: "snapshot",
    help: "Run COMMAND on the source host before snapshotting. Repeatable.",
  },
  {
    name: "post-snapshot-cmd",
    kind: "list",
    metavar: "COMMAND",
    group: "snapshot",
    help: "Run COMMAND on the source host after snapshotting, also when that failed. Repeatable.",
  },
  {
    name: "min-change",
    kind: "value",
    metavar: "BYTES",
    group: "snapshot",
    help: "Snapshot a dataset only when at least BYTES were written since our last snapshot.",
    shownDefault: String(DEFAULTS.minChange),
  },
  {
    name: "allow-empty",
    kind: "flag",
    group: "snapshot",
    help: "Snapshot unchanged datasets too (the same as --min-change 0).",
  },
  {
    name: "other-snapshots",
    kind: "flag",
    group: "snapshot",
    help: "Also send snapshots that zfs-autobackup did not make.",
  },
  {
    name: "set-snapshot-properties",
    kind: "value",
    metavar: "P=V,...",
    group: "snapshot",
    help: "Give new snapshots these properties (zfs snapshot -o P=V).",
  },
  {
    name: "no-guid-check",
    kind: "flag",
    group: "snapshot",
    help: "Match common snapshots by name only, not by guid (faster, less safe).",
  },

  // transfer
  {
    name: "no-send",
    kind: "flag",
    group: "transfer",
    help: "Check and thin, but transfer nothing.",
  },
  {
    name: "no-holds",
    kind: "flag",
    group: "transfer",
    help: "Put no holds on the common snapshots.",
  },
  {
    name: "no-bookmarks",
    kind: "flag",
    group: "transfer",
    help:
      "Hold the common snapshot on the source instead of bookmarking it, as zfs-autobackup 3.3 (existing bookmarks stay).",
  },
  {
    name: "clear-refreservation",
    kind: "flag",
    group: "transfer",
    help: "Do not copy refreservation to the target (adds it to --filter-properties).",
  },
  {
    name: "clear-mountpoint",
    kind: "flag",
    group: "transfer",
    help: "Receive with canmount=noauto, so target datasets are not mounted by themselves.",
  },
  {
    name: "filter-properties",
    kind: "value",
    metavar: "P,...",
    group: "transfer",
    help: "Do not copy these properties to the target (zfs recv -x P).",
  },
  {
    name: "set-properties",
    kind: "value",
    metavar: "P=V,...",
    group: "transfer",
    help: "Give target datasets these property values (zfs recv -o P=V).",
  },
  {
    name: "rollback",
    kind: "flag",
    group: "transfer",
    help: "Roll each target back to its newest snapshot before receiving into it.",
  },
  {
    name: "force",
    short: "F",
    kind: "flag",
    group: "transfer",
    help: "Let zfs recv overwrite the target (zfs recv -F), e.g. onto an existing dataset.",
  },
  {
    name: "destroy-incompatible",
    kind: "flag",
    group: "transfer",
    help: "Destroy target snapshots that are in the way of a transfer, then roll back.",
  },
  {
    name: "ignore-transfer-errors",
    kind: "flag",
    group: "transfer",
    help: "Accept a failing zfs recv as long as the snapshot arrived.",
  },
  {
    name: "decrypt",
    kind: "flag",
    group: "transfer",
    help: "Send encrypted datasets decrypted instead of raw.",
  },
  {
    name: "encrypt",
    kind: "flag",
    group: "transfer",
    help: "Let the target's encryption root encrypt data that arrives unencrypted.",
  },
  {
    name: "zfs-compressed",
    kind: "flag",
    group: "transfer",
    help: "Send blocks as compressed on disk (zfs send -c).",
  },
  {
    name: "clones",
    kind: "value",
    metavar: "POLICY",
    group: "transfer",
    help: "How to send a clone: never (as a full dataset) or simple (as a clone of its origin).",
    shownDefault: "never",
  },
  {
    name: "parallel",
    kind: "value",
    metavar: "N",
    group: "transfer",
    help: "Sync up to N datasets at once (each child after its parent, each clone after its origin).",
    shownDefault: "1",
  },
  { name: "resume", kind: "flag", group: "transfer" },
  { name: "raw", kind: "flag", group: "transfer" },

  // data transfer
  {
    name: "compress",
    kind: "optional",
    metavar: "TYPE",
    group: "data",
    help: `Compress the stream between the hosts; TYPE is one of ${COMPRESS_TYPES.join(", ")}.`,
    shownDefault: `${DEFAULTS.compress} when TYPE is left out`,
  },
  {
    name: "rate",
    kind: "value",
    metavar: "DATARATE",
    group: "data",
    help: "Limit the send rate to DATARATE bytes per second, e.g. 50M (uses mbuffer).",
  },
  {
    name: "buffer",
    kind: "value",
    metavar: "SIZE",
    group: "data",
    help: "Buffer SIZE of the stream in memory, e.g. 128M (uses mbuffer).",
  },
  {
    name: "buffer-chunk-size",
    kind: "value",
    metavar: "SIZE",
    group: "data",
    help: "Block size mbuffer works with (uses mbuffer).",
    shownDefault: "128k",
  },
  {
    name: "send-pipe",
    kind: "list",
    metavar: "COMMAND",
    group: "data",
    help: "Pass the stream through COMMAND on the source, right after zfs send. Repeatable.",
  },
  {
    name: "recv-pipe",
    kind: "list",
    metavar: "COMMAND",
    group: "data",
    help: "Pass the stream through COMMAND on the target, right before zfs recv. Repeatable.",
  },

  // thinner
  {
    name: "no-thinning",
    kind: "flag",
    group: "thinner",
    help: "Destroy no snapshots at all.",
  },
  {
    name: "keep-source",
    kind: "value",
    metavar: "SCHEDULE",
    group: "thinner",
    help: "Which snapshots to keep on the source.",
    shownDefault: DEFAULTS.keep,
  },
  {
    name: "keep-target",
    kind: "value",
    metavar: "SCHEDULE",
    group: "thinner",
    help: "Which snapshots to keep on the target.",
    shownDefault: DEFAULTS.keep,
  },
  {
    name: "destroy-missing",
    kind: "value",
    metavar: "TIME",
    group: "thinner",
    help: "Destroy target datasets whose source is gone once their newest snapshot is older than " +
      "TIME, e.g. 30d.",
  },

  // monitoring
  {
    name: "report",
    kind: "value",
    metavar: "FILE",
    group: "monitoring",
    help: "Write a JSON report of the run to FILE (- for stdout), also when it fails or is stopped.",
  },
  {
    name: "prometheus",
    kind: "value",
    metavar: "FILE",
    group: "monitoring",
    help: "Write the run's metrics to FILE (*.prom) for node_exporter's textfile collector.",
  },
  {
    name: "syslog",
    kind: "flag",
    group: "monitoring",
    help: "Also send errors, warnings and (with -v) verbose lines to syslog or the journal.",
  },
  {
    name: "monitor",
    kind: "value",
    metavar: "WARN,CRIT",
    group: "monitoring",
    help: "Only check how old the newest (common) snapshots are, as a Nagios/Icinga plugin, " +
      "e.g. 26h,50h.",
  },

  // service
  {
    name: "jobs",
    kind: "value",
    metavar: "FILE",
    group: "service",
    help: "Run the jobs of a YAML jobs file in order, instead of BACKUP-NAME [TARGET-PATH].",
  },
  {
    name: "only",
    kind: "list",
    metavar: "JOB",
    group: "service",
    help: "With --jobs: run only this job (JOB,JOB or repeated).",
  },
  {
    name: "check-permissions",
    kind: "flag",
    group: "service",
    help: "Change nothing: print the zfs allow permissions this run needs and lacks (exit 1 if any).",
  },
];
