/** Backup mode (with TARGET-PATH): select, snapshot, then sync every dataset to the target. */
import { FatalError, ZfsError } from "../errors.ts";
import { describeSchedule } from "../thinner/schedule.ts";
import { type Dataset, listDatasets } from "../zfs/listing.ts";
import { mapTargets, targetName } from "../sync/target_path.ts";
import type { BackupContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { printHostSettings } from "./preamble.ts";
import { logPipeSettings, preflight } from "./preflight.ts";
import { syncAll } from "./sync_loop.ts";
import { readDetails } from "./details_step.ts";
import { destroyQueued, mountReceived, moveHolds } from "./finish_step.ts";
import { destroyMissing, missingDatasets, thinMissing } from "./missing_step.ts";
import { newSummary, pendingDataset, type RunSummary, totals } from "./summary.ts";
import { TargetTree } from "./target_tree.ts";
import { statsText } from "../transfer/meter.ts";

/** Lists everything below TARGET-PATH in one call; a missing TARGET-PATH aborts the run. */
async function listTarget(ctx: BackupContext): Promise<Map<string, Dataset>> {
  const tp = ctx.job.targetPath;
  try {
    return await listDatasets(ctx.target, await ctx.features(ctx.target), [tp], "recursive");
  } catch (e) {
    if (e instanceof ZfsError && e.reason === "not-found") {
      throw new FatalError(`Target path '${tp}' does not exist. Please create this dataset first.`);
    }
    throw e;
  }
}

/** Target of a source dataset, undefined when --strip-path cannot map it (the run stops later). */
function targetOrUndefined(ctx: BackupContext, source: string): string | undefined {
  try {
    return targetName(ctx.job.targetPath, source, ctx.job.stripPath);
  } catch {
    return undefined;
  }
}

/**
 * Runs backup mode, filling `summary` as it goes (so a run that stops midway still tells what
 * it did); returns it (its `totals.failed` is the failed datasets).
 */
export async function runBackup(
  ctx: BackupContext,
  summary: RunSummary = newSummary(ctx.job.backupName, new Date(ctx.now).toISOString()),
): Promise<RunSummary> {
  const { job } = ctx;
  // The target is read while the source is: the two listings are most of a quiet run's time.
  // The source's probe goes first, so hosts on one address share it under the source's name.
  ctx.features(ctx.source).catch(() => {}); // The selection awaits it and reports its failure.
  const targetListing = ctx.phases.time("read target", () => listTarget(ctx));
  // Awaited below; a run that fails before that still waits for it, so no command outlives it.
  const settled = targetListing.then(() => {}, () => {});
  const afterListing = async (e: unknown): Promise<never> => {
    await settled;
    throw e;
  };
  const { selected, allDatasets } = await selectSource(ctx).catch(afterListing);
  const taken = await ctx.phases.time("snapshot", () => takeSnapshots(ctx, selected, allDatasets))
    .catch(afterListing);
  const timeOf = (name: string) => job.snapshotFormat.parse(name);
  const made = new Set(taken?.datasets);
  const entries = selected.map((ds) =>
    pendingDataset(
      ds.name,
      targetOrUndefined(ctx, ds.name),
      ds.snapshots.at(-1)?.name,
      made.has(ds.name),
      timeOf,
    )
  );
  summary.datasets.push(...entries);

  ctx.log.title("Target settings");
  printHostSettings(ctx, "Target", job.sshTarget, describeSchedule(job.keepTarget));
  ctx.log.verbose(`[Target] Receive datasets under: ${job.targetPath}`);
  await ctx.describeFeatures(ctx.target).catch(() => {}); // A failed probe fails the listing below.
  if (!job.noHolds) {
    for (const host of [ctx.source, ctx.target]) {
      if (!(await ctx.features(host)).has.holds) {
        ctx.log.verbose(`[${host.label}] No holds on this zfs: the common snapshot is not held.`);
      }
    }
  }
  logPipeSettings(ctx);
  const tree = new TargetTree(await targetListing);
  const mapping = mapTargets(job.targetPath, selected.map((d) => d.name), job.stripPath);
  await ctx.phases.time("details", () => readDetails(ctx, selected, tree, mapping));
  await preflight(ctx);

  ctx.log.title("Synchronising");
  const targetOf = (name: string) => targetName(job.targetPath, name, job.stripPath);
  const runs = await syncAll(ctx, selected, entries, tree, mapping, targetOf);
  summary.totals = totals(summary.datasets);
  const t = summary.totals;
  if (t.transfers) {
    const streams = t.streams === t.transfers ? "" : ` in ${t.streams} stream${t.streams === 1 ? "" : "s"}`;
    ctx.log.verbose(
      `Transferred ${t.transfers} snapshot${t.transfers === 1 ? "" : "s"}${streams}: ${
        statsText(t.bytes, t.seconds)
      }`,
    );
  }
  const outcomes = runs.map((r) => r.outcome);
  await ctx.phases.time("finish", () => moveHolds(ctx, outcomes));
  await ctx.phases.time("thin", () => destroyQueued(ctx, outcomes));
  await ctx.phases.time("finish", () => mountReceived(ctx, outcomes));

  const missing = missingDatasets(tree.all(), job.targetPath, new Set(mapping.values()));
  summary.missing.snapshotsDestroyed += await ctx.phases.time("thin", () => thinMissing(ctx, missing));
  summary.missing.datasetsDestroyed += await ctx.phases.time(
    "thin",
    () => destroyMissing(ctx, missing, tree.all()),
  );

  const failed = runs.filter((r) => r.failed !== undefined);
  if (failed.length) {
    ctx.log.error(`${failed.length} dataset${failed.length === 1 ? "" : "s"} failed:`);
    for (const f of failed) ctx.log.error(`  ${f.dataset}: ${f.failed}`);
  }
  ctx.log.debug(`Phases: ${ctx.phases.report()}`);
  return summary;
}
