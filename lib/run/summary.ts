/**
 * The run's outcome as plain data (JSON-friendly), kept for machine-readable reporting:
 * per dataset its transfers and failure, plus totals.
 */
import type { TransferStats } from "../transfer/meter.ts";

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
  /**
   * `transfers`: snapshots transferred; `streams`: `zfs send` streams that carried them; bytes
   * is undefined when no transfer's size is known (zfs without send -P); `seconds`: the time
   * during which at least one transfer ran (parallel transfers are not counted twice).
   */
  totals: { transfers: number; streams: number; bytes: number | undefined; seconds: number; failed: number };
}

/** Seconds covered by at least one of the transfers. */
function coveredSeconds(transfers: readonly TransferStats[]): number {
  const spans = transfers.map((t) => [t.startedAt, t.startedAt + t.seconds * 1000] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of spans) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total / 1000;
}

/** Sums the transfers of a run. */
export function totals(datasets: readonly DatasetSummary[]): RunSummary["totals"] {
  const all = datasets.flatMap((d) => d.transfers);
  return {
    transfers: all.reduce((s, t) => s + t.snapshots, 0),
    streams: all.length,
    bytes: all.some((t) => t.bytes !== undefined) ? all.reduce((s, t) => s + (t.bytes ?? 0), 0) : undefined,
    seconds: coveredSeconds(all),
    failed: datasets.filter((d) => d.failed !== undefined).length,
  };
}
