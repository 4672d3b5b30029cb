/**
 * Applying the thinner to datasets of one host: decide (pure thinner), check holds in one
 * batched call, then destroy per dataset in as few calls as possible.
 */
import type { Host } from "../exec/host.ts";
import type { Dataset } from "../zfs/listing.ts";
import { thin } from "../thinner/thinner.ts";
import type { Schedule } from "../thinner/schedule.ts";
import type { RunContext } from "./context.ts";
import { destroyLogged, isHeld, releaseOwnHolds } from "./destroy_step.ts";

/** One dataset to thin. */
export interface ThinJob {
  dataset: Dataset;
}

/** How held snapshots are treated. */
export interface ThinOptions {
  /**
   * Snapshot-only mode keeps snapshots that carry our hold (the last common snapshot of a
   * backup made by another run); replication releases our stale holds and destroys.
   */
  keepOwnHolds: boolean;
}

/** What a thinning pass did. */
export interface ThinSummary {
  destroyed: number;
  kept: number;
  failed: number;
}

/** Human list of snapshot names: all of them when few, the ends and a count when many. */
export function nameList(names: readonly string[], max = 10): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, 3).join(", ")}, ... (${names.length - 6} more) ..., ${names.slice(-3).join(", ")}`;
}

/** Thins datasets on one host with one schedule. */
export async function thinDatasets(
  ctx: RunContext,
  host: Host,
  jobs: readonly ThinJob[],
  schedule: Schedule,
  options: ThinOptions,
): Promise<ThinSummary> {
  const summary: ThinSummary = { destroyed: 0, kept: 0, failed: 0 };
  if (ctx.opts.noThinning) return summary;
  const log = ctx.log;
  const label = `[${host.label}]`;
  const plans: { ds: Dataset; destroy: string[]; reasons: Map<string, string> }[] = [];
  const heldCandidates: string[] = [];
  for (const { dataset: ds } of jobs) {
    const ours = ds.snapshots
      .map((s) => ({ snap: s, time: ctx.format.parse(s.name) }))
      .filter((o): o is { snap: typeof o.snap; time: number } => o.time !== undefined);
    if (ours.length === 0) continue;
    const decisions = thin(schedule, ours, (o) => o.time, ctx.nowSeconds, new Set([ours.at(-1)!]));
    const destroy: string[] = [];
    const reasons = new Map<string, string>();
    for (const d of decisions) {
      const full = `${ds.name}@${d.item.snap.name}`;
      if (d.keep) {
        log.debug(`${label} ${full}: Keeping (${d.reason})`);
        summary.kept++;
      } else {
        reasons.set(d.item.snap.name, d.reason);
        destroy.push(d.item.snap.name);
        if (isHeld(d.item.snap)) heldCandidates.push(full);
      }
    }
    if (destroy.length) plans.push({ ds, destroy, reasons });
  }
  if (plans.length === 0) return summary;

  // Held snapshots: ours may be released (replication) or kept (snapshot-only); another
  // tool's hold would make the whole batched destroy fail, so those are left alone.
  const skip = await releaseOwnHolds(ctx, host, heldCandidates, options.keepOwnHolds);
  summary.kept += skip.size;

  for (const { ds, destroy, reasons } of plans) {
    const names = destroy.filter((n) => !skip.has(`${ds.name}@${n}`));
    if (names.length === 0) continue;
    // Each decision with its reason; thousands collapse to one readable line (all in --debug).
    const each = (n: string) => `${label} ${ds.name}@${n}: Destroying (${reasons.get(n)})`;
    if (names.length <= 10) { for (const n of names) log.verbose(each(n)); }
    else {
      log.verbose(`${label} ${ds.name}: Destroying ${names.length} snapshots: ${nameList(names)}`);
      for (const n of names) log.debug(each(n));
    }
    const out = await destroyLogged(ctx, host, ds, names);
    summary.destroyed += out.destroyed.length;
    summary.failed += out.failed.length;
  }
  return summary;
}
