/**
 * Thinning the datasets of one host with one schedule: the thinner decides (pure, per dataset),
 * the destroy route carries it out in a few batched calls.
 */
import type { Host } from "../exec/host.ts";
import type { Dataset } from "../zfs/listing.ts";
import { thinOurs } from "../thinner/thinner.ts";
import type { Schedule } from "../thinner/schedule.ts";
import type { RunContext } from "./context.ts";
import { destroyOn, type DestroyRequest } from "./destroy_step.ts";

/** What a thinning pass did. */
export interface ThinSummary {
  destroyed: number;
  kept: number;
  failed: number;
  /** Snapshots destroyed per dataset name (datasets with none left out). */
  destroyedBy: Map<string, number>;
}

/** Human list of snapshot names: all of them when few, the ends and a count when many. */
export function nameList(names: readonly string[], max = 10): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, 3).join(", ")}, ... (${names.length - 6} more) ..., ${names.slice(-3).join(", ")}`;
}

/**
 * Thins `datasets` on `host` with `schedule`. `keepOwnHolds`: snapshot-only mode keeps
 * snapshots that carry our hold (see DestroyOptions).
 */
export async function thinDatasets(
  ctx: RunContext,
  host: Host,
  datasets: readonly Dataset[],
  schedule: Schedule,
  keepOwnHolds: boolean,
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
      } else {
        reasons.set(full, d.reason);
        names.push(d.item);
      }
    }
    if (names.length) requests.push({ dataset: ds, names });
  }
  if (requests.length === 0) return summary;
  // Each decision with its reason; thousands collapse to one readable line (all in --debug).
  const announce = ({ dataset }: DestroyRequest, names: readonly string[]) => {
    const each = (n: string) =>
      `${label} ${dataset.name}@${n}: Destroying (${reasons.get(`${dataset.name}@${n}`)})`;
    if (names.length <= 10) { for (const n of names) log.verbose(each(n)); }
    else {
      log.verbose(`${label} ${dataset.name}: Destroying ${names.length} snapshots: ${nameList(names)}`);
      for (const n of names) log.debug(each(n));
    }
  };
  const results = await destroyOn(ctx, host, requests, { keepOwnHolds, announce });
  for (const [i, r] of results.entries()) {
    summary.destroyed += r.destroyed.length;
    if (r.destroyed.length) summary.destroyedBy.set(requests[i]!.dataset.name, r.destroyed.length);
    summary.failed += r.failed.length;
    summary.kept += r.kept.length;
  }
  return summary;
}
