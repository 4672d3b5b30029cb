/**
 * The run's outcome as plain data (JSON-friendly), kept for machine-readable reporting:
 * per dataset its transfers and failure, plus totals.
 */
import type { TransferStats } from "../transfer/meter.ts";
import type { Logger } from "../log/logger.ts";

/** One source dataset's part of the run. */
export interface DatasetSummary {
  dataset: string;
  target: string | undefined;
  transfers: TransferStats[];
  failed: string | undefined;
}

/** The whole run. */
export interface RunSummary {
  backupName: string;
  startedAt: string;
  datasets: DatasetSummary[];
  /** bytes is undefined when no transfer's size is known (zfs without send -P). */
  totals: { transfers: number; bytes: number | undefined; seconds: number; failed: number };
}

/** Sums the transfers of a run. */
export function totals(datasets: readonly DatasetSummary[]): RunSummary["totals"] {
  const all = datasets.flatMap((d) => d.transfers);
  return {
    transfers: all.length,
    bytes: all.some((t) => t.bytes !== undefined) ? all.reduce((s, t) => s + (t.bytes ?? 0), 0) : undefined,
    seconds: all.reduce((s, t) => s + t.seconds, 0),
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
