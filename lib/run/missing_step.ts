/**
 * Target datasets below TARGET-PATH that no selected source dataset maps to ("missing"):
 * thinned with the target schedule, and with --destroy-missing destroyed once their newest
 * own snapshot is older than the given time. Errors are logged, not counted.
 */
import { errorMessage, rethrowIfAborted } from "../errors.ts";
import type { Dataset } from "../zfs/listing.ts";
import { destroyDataset } from "../zfs/destroy.ts";
import { isAtOrBelow } from "../select/selection.ts";
import { parentOf } from "../zfs/names.ts";
import type { BackupContext } from "./context.ts";
import { destroyOn } from "./destroy_step.ts";
import { thinDatasets } from "./thin_step.ts";

/** The missing datasets below (not at) TARGET-PATH, in listing order (parents first). */
export function missingDatasets(
  targets: readonly Dataset[],
  targetPath: string,
  mapped: Set<string>,
): Dataset[] {
  return targets.filter((d) =>
    d.name !== targetPath && isAtOrBelow(d.name, targetPath) && !mapped.has(d.name)
  );
}

/** Thins the missing datasets; returns how many snapshots it destroyed. */
export async function thinMissing(ctx: BackupContext, missing: Dataset[]): Promise<number> {
  if (ctx.job.noThinning || missing.length === 0) return 0;
  ctx.log.title("Thinning missing target datasets");
  const s = await thinDatasets(ctx, ctx.target, missing, ctx.job.keepTarget, { keepOwnHolds: false });
  if (s.destroyed || s.failed) {
    ctx.log.verbose(`[Target] Thinning missing: ${s.destroyed} destroyed, ${s.failed} failed`);
  }
  return s.destroyed;
}

/**
 * --destroy-missing: `all` is every target dataset, for telling which ones have children.
 * Returns how many datasets it destroyed.
 */
export async function destroyMissing(
  ctx: BackupContext,
  missing: readonly Dataset[],
  all: readonly Dataset[],
): Promise<number> {
  const ttl = ctx.job.destroyMissing;
  if (ttl === undefined || missing.length === 0) return 0;
  let destroyed = 0;
  const { target, log } = ctx;
  // Datasets below each name, counted once (not a scan of every name per dataset) and kept
  // current as datasets are destroyed.
  const below = new Map<string, number>();
  const countBelow = (name: string, delta: number) => {
    for (let p = parentOf(name); p !== undefined; p = parentOf(p)) below.set(p, (below.get(p) ?? 0) + delta);
  };
  for (const d of all) countBelow(d.name, 1);
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
      if (ctx.job.snapshotFormat.parse(newest.name)! + ttl > ctx.nowSeconds) {
        log.verbose(`${prefix} Destroy missing: Waiting for deadline.`);
        continue;
      }
      const older = ours.slice(0, -1).map((s) => s.name);
      if (older.length) await destroyAll(ctx, ds, older);
      if (ds.snapshots.some((s) => !ctx.isOurs(s.name))) {
        log.verbose(`${prefix} Destroy missing: Still in use by other snapshots`);
        continue;
      }
      if (hasChildren(ds.name)) {
        log.verbose(`${prefix} Destroy missing: Still has children here.`);
        continue;
      }
      log.verbose(`${prefix} Destroy missing.`);
      await destroyAll(ctx, ds, [newest.name]);
      await destroyDataset(target, ds.name);
      countBelow(ds.name, -1);
      destroyed++;
    } catch (e) {
      rethrowIfAborted(e, ctx.signal);
      log.error(`${prefix} Error during --destroy-missing: ${errorMessage(e)}`);
    }
  }
  return destroyed;
}

/** Destroys snapshots (releasing our hold first) and throws on the first one that stays. */
async function destroyAll(ctx: BackupContext, ds: Dataset, names: string[]): Promise<void> {
  const [out] = await destroyOn(ctx, ctx.target, [{ dataset: ds, names }]);
  if (out!.failed.length) throw new Error(out!.failed[0]!.error);
  if (out!.kept.length) {
    throw new Error(`Cannot destroy ${ds.name}@${out!.kept[0]!.name}: ${out!.kept[0]!.reason}`);
  }
}
