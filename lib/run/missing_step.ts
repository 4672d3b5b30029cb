/**
 * Target datasets below TARGET-PATH that no selected source dataset maps to ("missing"):
 * thinned with the target schedule, and with --destroy-missing destroyed once their newest
 * own snapshot is older than the given time (reference §5.5). Errors are logged, not counted.
 */
import { errorMessage, rethrowIfAborted } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import type { Dataset } from "../zfs/listing.ts";
import { parseTtl } from "../thinner/schedule.ts";
import { destroyReleasing } from "./destroy_step.ts";
import { isAtOrBelow } from "../select/selection.ts";
import { parentOf } from "../zfs/names.ts";
import type { RunContext } from "./context.ts";
import { thinDatasets } from "./thin_step.ts";

/** The missing datasets below (not at) TARGET-PATH, in listing order (parents first). */
export function missingDatasets(
  targets: Map<string, Dataset>,
  targetPath: string,
  mapped: Set<string>,
): Dataset[] {
  return [...targets.values()].filter((d) =>
    d.name !== targetPath && isAtOrBelow(d.name, targetPath) && !mapped.has(d.name)
  );
}

/** Thins the missing datasets. */
export async function thinMissing(ctx: RunContext, missing: Dataset[]): Promise<void> {
  if (ctx.opts.noThinning || missing.length === 0) return;
  ctx.log.title("Thinning missing target datasets");
  const s = await thinDatasets(ctx, ctx.target!, missing.map((dataset) => ({ dataset })), ctx.keepTarget, {
    keepOwnHolds: false,
  });
  if (s.destroyed || s.failed) {
    ctx.log.verbose(`[Target] Thinning missing: ${s.destroyed} destroyed, ${s.failed} failed`);
  }
}

/** --destroy-missing. */
export async function destroyMissing(
  ctx: RunContext,
  missing: Dataset[],
  all: Map<string, Dataset>,
): Promise<void> {
  if (ctx.opts.destroyMissing === undefined || missing.length === 0) return;
  const ttl = parseTtl(ctx.opts.destroyMissing);
  const target = ctx.target!;
  const log = ctx.log;
  // Datasets below each name, counted once (not a scan of every name per dataset) and kept
  // current as datasets are destroyed.
  const below = new Map<string, number>();
  const countBelow = (name: string, delta: number) => {
    for (let p = parentOf(name); p !== undefined; p = parentOf(p)) below.set(p, (below.get(p) ?? 0) + delta);
  };
  for (const name of all.keys()) countBelow(name, 1);
  const hasChildren = (name: string) => (below.get(name) ?? 0) > 0;
  for (const ds of missing) {
    const prefix = `[Target] ${ds.name}:`;
    try {
      const ours = ds.snapshots.filter((s) => ctx.isOurs(s.name));
      if (ours.length === 0) {
        if (hasChildren(ds.name)) log.debug(`${prefix} Destroy missing: ignoring (has children)`);
        else log.verbose(`${prefix} Destroy missing: has no snapshots made by us (please destroy manually).`);
        continue;
      }
      const newest = ours.at(-1)!;
      if (ctx.format.parse(newest.name)! + ttl > ctx.nowSeconds) {
        log.verbose(`${prefix} Destroy missing: Waiting for deadline.`);
        continue;
      }
      const older = ours.slice(0, -1).map((s) => s.name);
      if (older.length) await destroyAll(ctx, target, ds, older);
      if (ds.snapshots.some((s) => !ctx.isOurs(s.name))) {
        log.verbose(`${prefix} Destroy missing: Still in use by other snapshots`);
        continue;
      }
      if (hasChildren(ds.name)) {
        log.verbose(`${prefix} Destroy missing: Still has children here.`);
        continue;
      }
      log.verbose(`${prefix} Destroy missing.`);
      await destroyAll(ctx, target, ds, [newest.name]);
      await target.run({ argv: ["zfs", "destroy", ds.name] });
      all.delete(ds.name);
      countBelow(ds.name, -1);
    } catch (e) {
      rethrowIfAborted(e, ctx.signal);
      log.error(`${prefix} Error during --destroy-missing: ${errorMessage(e)}`);
    }
  }
}

/** Destroys snapshots (releasing our hold first) and throws on the first one that stays. */
async function destroyAll(ctx: RunContext, host: Host, ds: Dataset, names: string[]): Promise<void> {
  const out = await destroyReleasing(ctx, host, ds, names);
  if (out.failed.length) throw new Error(out.failed[0]!.error);
  if (out.kept.length) {
    throw new Error(`Cannot destroy ${ds.name}@${out.kept[0]!.name}: ${out.kept[0]!.reason}`);
  }
}
