/**
 * Thinning the datasets of one host with one schedule: the thinner decides (pure, per dataset),
 * the destroy route carries it out in a few batched calls.
 */
import type { Host } from "../exec/host.ts";
import type { Dataset } from "../zfs/listing.ts";
import { thinOurs } from "../thinner/thinner.ts";
import type { Schedule } from "../thinner/schedule.ts";
import type { RunContext } from "./context.ts";
import { announceEach, destroyOn, type DestroyRequest, reportKept } from "./destroy_step.ts";
import { COMMON_SNAPSHOT } from "../sync/holds.ts";

/** What a thinning pass did. */
export interface ThinSummary {
  destroyed: number;
  kept: number;
  failed: number;
  /** Snapshots destroyed per dataset name (datasets with none left out). */
  destroyedBy: Map<string, number>;
}

/** How a thinning pass treats the snapshots a backup still needs. */
export interface ThinOptions {
  /** Snapshot-only mode keeps snapshots that carry our hold (see DestroyOptions). */
  keepOwnHolds: boolean;
  /** Full names kept whatever the schedule says (the sent mark, where zfs has no holds). */
  protect?: ReadonlySet<string>;
}

/** Thins `datasets` on `host` with `schedule`; snapshots held by others are reported. */
export async function thinDatasets(
  ctx: RunContext,
  host: Host,
  datasets: readonly Dataset[],
  schedule: Schedule,
  { keepOwnHolds, protect = new Set() }: ThinOptions,
): Promise<ThinSummary> {
  const summary: ThinSummary = { destroyed: 0, kept: 0, failed: 0, destroyedBy: new Map() };
  if (ctx.job.noThinning) return summary;
  const log = ctx.log;
  const label = `[${host.label}]`;
  const requests: DestroyRequest[] = [];
  const reasons = new Map<string, string>();
  const timeOf = (name: string) => ctx.job.snapshotFormat.parse(name);
  for (const ds of datasets) {
    const names: string[] = [];
    for (const d of thinOurs(schedule, ds.snapshots.map((s) => s.name), timeOf, ctx.nowSeconds)) {
      const full = `${ds.name}@${d.item}`;
      if (d.keep) {
        log.debug(`${label} ${full}: Keeping (${d.reason})`);
        summary.kept++;
      } else if (protect.has(full)) {
        log.verbose(`${label} ${full}: Keeping (${COMMON_SNAPSHOT}, marked as sent)`);
        summary.kept++;
      } else {
        reasons.set(full, d.reason);
        names.push(d.item);
      }
    }
    if (names.length) requests.push({ dataset: ds, names });
  }
  if (requests.length === 0) return summary;
  // One line per snapshot, as upstream, with the thinner's reason.
  const announce = announceEach(ctx, host, (full) => reasons.get(full));
  const results = await destroyOn(ctx, host, requests, { keepOwnHolds, announce });
  for (const [i, r] of results.entries()) {
    summary.destroyed += r.destroyed.length;
    if (r.destroyed.length) summary.destroyedBy.set(requests[i]!.dataset.name, r.destroyed.length);
    summary.failed += r.failed.length;
    summary.kept += r.kept.length;
  }
  reportKept(ctx, host, requests, results);
  return summary;
}
