/**
 * A job: everything one run does, validated and compiled once from the command line (or, later,
 * from a jobs file). Formats are filled in and compiled, schedules and times parsed, patterns
 * compiled; nothing after `buildJob` parses option text again.
 */
import type { SnapshotFormat } from "../snapshot/snapshot_format.ts";
import type { Schedule } from "../thinner/schedule.ts";
import type { CompressType } from "../transfer/compress.ts";

/** Valid `--clones` policies. */
export const CLONE_POLICIES = ["never", "simple"] as const;

/** A `--clones` policy. */
export type ClonePolicy = (typeof CLONE_POLICIES)[number];

/** The characters `--tag-seperator` accepts (those ZFS allows in names besides letters and digits). */
export const TAG_SEPARATORS = ["_", ".", ":", "-", " "] as const;

/** One `--set-properties` / `--set-snapshot-properties` entry. */
export interface PropertyAssignment {
  name: string;
  value: string;
}

/** Lag thresholds of the freshness check, in seconds (`warn` <= `crit`). */
export interface MonitorThresholds {
  warn: number;
  crit: number;
}

/** Upstream defaults. */
export const DEFAULTS = {
  propertyFormat: "autobackup:{}",
  snapshotFormat: "{}-%Y%m%d%H%M%S",
  holdFormat: "zfs_autobackup:{}",
  keep: "10,1d1w,1w1m,1m1y",
  compress: "zstd-fast" as CompressType,
  minChange: 1,
  tagSeparator: "_",
} as const;

/** Every option of a run, validated and typed. */
export interface Job {
  // positionals
  backupName: string;
  /** TARGET-PATH; undefined = snapshot-only mode. */
  targetPath: string | undefined;

  // common
  test: boolean;
  verbose: boolean;
  debug: boolean;
  debugOutput: boolean;
  /** Explicit `--progress`; undefined = automatic (stderr is a terminal, unless --no-progress). */
  progress: boolean | undefined;
  noProgress: boolean;
  utc: boolean;

  // ssh
  sshConfig: string | undefined;
  sshSource: string | undefined;
  sshTarget: string | undefined;

  // names, from the three formats with the backup name filled in
  /** The selection property, e.g. `autobackup:offsite`. */
  property: string;
  /** The hold tag, e.g. `zfs_autobackup:offsite`. */
  holdTag: string;
  /** Snapshot names of this backup, compiled, with the tag separator and this run's `--tag`. */
  snapshotFormat: SnapshotFormat;
  /** `--tag-seperator`: between a snapshot name and its tag, and before the guid in bookmark names. */
  tagSeparator: string;
  stripPath: number;

  // selection
  /** Bytes; 0 = off. */
  excludeUnchanged: number;
  excludeReceived: boolean;
  includeReceived: boolean;
  /** `--exclude-snapshot-pattern`, compiled (Python syntax). */
  excludeSnapshotPatterns: RegExp[];

  // snapshot
  noSnapshot: boolean;
  preSnapshotCmds: string[];
  postSnapshotCmds: string[];
  /** Bytes; `--allow-empty` makes it 0. */
  minChange: number;
  allowEmpty: boolean;
  otherSnapshots: boolean;
  setSnapshotProperties: PropertyAssignment[];
  noGuidCheck: boolean;

  // transfer
  noSend: boolean;
  noHolds: boolean;
  /** `--no-bookmarks`: hold the source snapshot instead, as zfs-autobackup 3.3. */
  noBookmarks: boolean;
  clearRefreservation: boolean;
  clearMountpoint: boolean;
  filterProperties: string[];
  setProperties: PropertyAssignment[];
  rollback: boolean;
  force: boolean;
  destroyIncompatible: boolean;
  ignoreTransferErrors: boolean;
  decrypt: boolean;
  encrypt: boolean;
  zfsCompressed: boolean;
  clones: ClonePolicy;
  /** `--parallel N`: datasets synced at once (1 = one after the other, as upstream). */
  parallel: number;

  // data transfer
  compress: CompressType | undefined;
  rate: string | undefined;
  buffer: string | undefined;
  bufferChunkSize: string | undefined;
  sendPipes: string[];
  recvPipes: string[];

  // thinner
  noThinning: boolean;
  keepSource: Schedule;
  keepTarget: Schedule;
  /** `--destroy-missing TIME` in seconds; undefined = off. */
  destroyMissing: number | undefined;

  // monitoring
  /** `--report FILE`: where the JSON run report goes ("-" = stdout); undefined = none. */
  report: string | undefined;
  /** `--prometheus FILE`: where the metrics go (a `.prom` file); undefined = none. */
  prometheus: string | undefined;
  /** `--syslog`: copy console messages to the local syslog. */
  syslog: boolean;
  /** `--monitor WARN,CRIT` in seconds: the freshness check instead of a run; undefined = a run. */
  monitor: MonitorThresholds | undefined;

  /** Notes for obsolete options (`--resume`, `--raw`, `--ignore-replicated`), printed at start. */
  deprecationNotes: string[];
}

/** A job with TARGET-PATH: backup mode. */
export type BackupJob = Job & { targetPath: string };

/** True when the job replicates (has a TARGET-PATH). */
export function isBackupJob(job: Job): job is BackupJob {
  return job.targetPath !== undefined;
}
