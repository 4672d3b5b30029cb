/**
 * The parsed command line. Every zfs-autobackup 3.3 option (plus `--clones` from upstream HEAD)
 * has a field here, already validated and normalised: the rest of the tool never looks at raw
 * argv. Parsing lives in `parse.ts`, help text in `help.ts`.
 */

/** Valid `--compress` types, in upstream's order. */
export const COMPRESS_TYPES = [
  "gzip",
  "pigz-fast",
  "pigz-slow",
  "zstd-fast",
  "zstd-slow",
  "zstd-adapt",
  "xz",
  "lzo",
  "lz4",
] as const;

/** A compressor name from upstream's table. */
export type CompressType = (typeof COMPRESS_TYPES)[number];

/** Valid `--clones` policies. */
export const CLONE_POLICIES = ["never", "simple"] as const;

/** One `--set-properties` / `--set-snapshot-properties` entry. */
export interface PropertyAssignment {
  name: string;
  value: string;
}

/** The validated options of one run. */
export interface Options {
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

  // formats
  propertyFormat: string;
  snapshotFormat: string;
  holdFormat: string;
  stripPath: number;

  // selection
  /** Bytes; 0 = off. */
  excludeUnchanged: number;
  excludeReceived: boolean;
  includeReceived: boolean;
  /** Source strings as given (validated as regular expressions). */
  excludeSnapshotPatterns: string[];

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
  clones: (typeof CLONE_POLICIES)[number];

  // data transfer
  compress: CompressType | undefined;
  rate: string | undefined;
  buffer: string | undefined;
  bufferChunkSize: string | undefined;
  sendPipes: string[];
  recvPipes: string[];

  // thinner
  noThinning: boolean;
  keepSource: string;
  keepTarget: string;
  /** `--destroy-missing TIME` as given; undefined = off. */
  destroyMissing: string | undefined;

  /** Notes for obsolete options (`--resume`, `--raw`, `--ignore-replicated`), printed at start. */
  deprecationNotes: string[];
}

/** Upstream defaults. */
export const DEFAULTS = {
  propertyFormat: "autobackup:{}",
  snapshotFormat: "{}-%Y%m%d%H%M%S",
  holdFormat: "zfs_autobackup:{}",
  keep: "10,1d1w,1w1m,1m1y",
  compress: "zstd-fast" as CompressType,
  minChange: 1,
} as const;
