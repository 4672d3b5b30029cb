/**
 * The freshness check (`--monitor WARN,CRIT`): reads the selection and the listings, finds each
 * dataset's newest common snapshot on the target (by guid, among source snapshots and bookmarks) (its newest snapshot in snapshot-only mode)
 * and measures its age. Only reads: no lock, no snapshot, no change, and app.ts runs it on hosts
 * in test mode so that even a mistake here could not change anything.
 */
import type { Host } from "../exec/host.ts";
import { ZfsError } from "../errors.ts";
import { type Dataset, listDatasets } from "../zfs/listing.ts";
import { findCommonPoint } from "../sync/common_snapshot.ts";
import { targetName } from "../sync/target_path.ts";
import type { Freshness } from "../monitor/freshness.ts";
import type { RunContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { readDetails } from "./details_step.ts";

/** Lists below TARGET-PATH; a missing TARGET-PATH is an empty listing (every backup missing). */
async function listTargets(ctx: RunContext, target: Host, path: string): Promise<Map<string, Dataset>> {
  try {
    return await listDatasets(target, await ctx.features(target), [path], "recursive");
  } catch (e) {
    if (e instanceof ZfsError && e.reason === "not-found") return new Map();
    throw e;
  }
}

/** The age of each selected dataset's newest (common) snapshot of ours at the run's clock. */
export async function checkFreshness(ctx: RunContext, target: Host | undefined): Promise<Freshness[]> {
  const { job } = ctx;
  const { selected } = await selectSource(ctx);
  const timeOf = (name: string) => job.snapshotFormat.parse(name);
  // Only our snapshots carry a time in their name.
  const ours = (ds: Dataset) => ds.snapshots.filter((s) => timeOf(s.name) !== undefined);
  const age = (dataset: string, name: string | undefined, missing: string): Freshness =>
    name === undefined
      ? { dataset, lag: undefined, missing }
      : { dataset, lag: ctx.nowSeconds - timeOf(name)! };
  const path = job.targetPath;
  if (path === undefined || target === undefined) {
    return selected.map((ds) => age(ds.name, ours(ds).at(-1)?.name, "no snapshot"));
  }
  const targets = await listTargets(ctx, target, path);
  // Only our snapshots count on either side: the guids read are those of their common one.
  const oursOf = (ds: Dataset | undefined) => ds && { ...ds, snapshots: ours(ds) };
  const sources = selected.map((ds) => oursOf(ds)!);
  const backups = new Map(
    sources.map((ds) => [ds.name, oursOf(targets.get(targetName(path, ds.name, job.stripPath)))]),
  );
  await readDetails(ctx, target, sources, (name) => backups.get(name));
  return sources.map((ds) => {
    const tgt = backups.get(ds.name);
    if (tgt === undefined) return age(ds.name, undefined, "not on target");
    // A bookmark counts too: with bookmarks the source may have thinned the snapshot it marks.
    const { common } = findCommonPoint(ds.snapshots, ds.bookmarks, tgt.snapshots, {
      guidCheck: !job.noGuidCheck,
      untagged: (n) => job.snapshotFormat.untagged(n),
      ownSuffix: undefined,
      preferBookmark: false,
    });
    return age(ds.name, common?.target, "no common snapshot");
  });
}
