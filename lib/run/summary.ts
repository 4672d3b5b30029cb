/**
 * The run's outcome as plain data (JSON-friendly), for machine-readable reporting. The steps
 * fill it in as they go (app.ts creates it and hands it to the mode), so a run stopped by
 * Ctrl-C or a fatal error still tells what it did up to then.
 */
import type { ZfsReason } from "../errors.ts";
import type { TransferStats } from "../transfer/meter.ts";
import type { Logger } from "../log/logger.ts";
import { coveredSeconds } from "./spans.ts";

/** A snapshot's short name and the time its name tells (undefined for names not of ours). */
export interface SnapshotRef {
  name: string;
  /** Unix seconds, parsed from the name with --snapshot-format. */
  time: number | undefined;
}

/** Snapshots destroyed on each side. */
export interface SideCounts {
  source: number;
  target: number;
}

/** Source bookmarks this run made and destroyed. */
export interface BookmarkCounts {
  created: number;
  destroyed: number;
}

/**
 * Where a dataset stands: `pending` until its sync ends (a stopped run leaves the rest so),
 * then `ok` or `failed`. In snapshot-only mode only a dataset whose selection value cannot be used
 * fails; every other dataset is `ok`.
 */
export type DatasetResult = "ok" | "failed" | "pending";

/** One source dataset's part of the run. */
export interface DatasetSummary {
  dataset: string;
  /** Its target dataset; undefined in snapshot-only mode. */
  target: string | undefined;
  result: DatasetResult;
  /** The failure's message. */
  failed: string | undefined;
  /** Why zfs failed, when the failure was a classified zfs error. */
  reason: ZfsReason | undefined;
  /** Snapshots this run made of it (0 or 1). */
  snapshotsMade: number;
  /** The newest snapshot on the source (after this run's snapshot). */
  newestSource: SnapshotRef | undefined;
  /** The newest snapshot source and target share, after the transfers. */
  common: SnapshotRef | undefined;
  /** Finished transfers, in order. */
  transfers: TransferStats[];
  destroyed: SideCounts;
  bookmarks: BookmarkCounts;
}

/** The whole run. */
export interface RunSummary {
  backupName: string;
  startedAt: string;
  datasets: DatasetSummary[];
  /** Target datasets whose source is no longer selected: snapshots thinned, datasets destroyed. */
  missing: { snapshotsDestroyed: number; datasetsDestroyed: number };
  /**
   * `transfers`: snapshots transferred; `streams`: `zfs send` streams that carried them; bytes
   * is undefined when no transfer's size is known (zfs without send -P); `seconds`: the time
   * during which at least one transfer ran (parallel transfers are not counted twice).
   */
  totals: { transfers: number; streams: number; bytes: number | undefined; seconds: number; failed: number };
}

/** An empty summary, before anything ran. */
export function newSummary(backupName: string, startedAt: string): RunSummary {
  return {
    backupName,
    startedAt,
    datasets: [],
    missing: { snapshotsDestroyed: 0, datasetsDestroyed: 0 },
    totals: totals([]),
  };
}

/** A dataset's entry before its sync: what selection and snapshotting left. */
export function pendingDataset(
  dataset: string,
  target: string | undefined,
  newest: string | undefined,
  made: boolean,
  timeOf: (name: string) => number | undefined,
): DatasetSummary {
  return {
    dataset,
    target,
    result: "pending",
    failed: undefined,
    reason: undefined,
    snapshotsMade: made ? 1 : 0,
    newestSource: snapshotRef(newest, timeOf),
    common: undefined,
    transfers: [],
    destroyed: { source: 0, target: 0 },
    bookmarks: { created: 0, destroyed: 0 },
  };
}

/** A snapshot name with its time, or undefined without a name. */
export function snapshotRef(
  name: string | undefined,
  timeOf: (name: string) => number | undefined,
): SnapshotRef | undefined {
  return name === undefined ? undefined : { name, time: timeOf(name) };
}

/** Sums the transfers of a run. */
export function totals(datasets: readonly DatasetSummary[]): RunSummary["totals"] {
  const all = datasets.flatMap((d) => d.transfers);
  return {
    transfers: all.reduce((s, t) => s + t.snapshots, 0),
    streams: all.length,
    bytes: all.some((t) => t.bytes !== undefined) ? all.reduce((s, t) => s + (t.bytes ?? 0), 0) : undefined,
    // Transfers that ran at the same time (--parallel) count their common time once.
    seconds: coveredSeconds(all.map((t) => [t.startedAt, t.startedAt + t.seconds * 1000] as const)),
    failed: datasets.filter((d) => d.failed !== undefined).length,
  };
}

/** The closing list of failed datasets on stderr (nothing when none failed). */
export function logFailedDatasets(
  ctx: { log: Logger },
  datasets: readonly { dataset: string; failed: string | undefined }[],
): void {
  const failed = datasets.filter((d) => d.failed !== undefined);
  if (failed.length === 0) return;
  ctx.log.error(`${failed.length} dataset${failed.length === 1 ? "" : "s"} failed:`);
  for (const f of failed) ctx.log.error(`  ${f.dataset}: ${f.failed}`);
}
