/** Backup mode (with TARGET-PATH): select, snapshot, then sync every dataset to the target. */
import { bugText, CommandError, errorMessage, FatalError, rethrowIfAborted, ZfsError } from "../errors.ts";
import { describeSchedule } from "../thinner/schedule.ts";
import { type Dataset, listDatasets } from "../zfs/listing.ts";
import { mapTargets, targetName } from "../sync/target_path.ts";
import type { BackupContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { printHostSettings } from "./preamble.ts";
import { logPipeSettings, preflight } from "./preflight.ts";
import { type DatasetOutcome, emptyOutcome, syncDataset, SyncError } from "./sync_dataset.ts";
import { destroyQueued, mountReceived, moveHolds } from "./finish_step.ts";
import { destroyMissing, missingDatasets, thinMissing } from "./missing_step.ts";
import { type DatasetSummary, type RunSummary, totals } from "./summary.ts";
import { TargetTree } from "./target_tree.ts";
import { statsText } from "../transfer/meter.ts";

/** Lists everything below TARGET-PATH in one call; a missing TARGET-PATH aborts the run. */
export async function listTarget(ctx: BackupContext): Promise<Map<string, Dataset>> {
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

/** One dataset's line in the run's outcome. */
interface DatasetRun {
  dataset: string;
  target: string;
  outcome: DatasetOutcome;
  failed: string | undefined;
}

/** Runs backup mode; returns the run's summary (its `totals.failed` is the failed datasets). */
export async function runBackup(ctx: BackupContext): Promise<RunSummary> {
  const { job } = ctx;
  const { selected, allDatasets } = await selectSource(ctx);
  await takeSnapshots(ctx, selected, allDatasets);

  ctx.log.title("Target settings");
  printHostSettings(ctx, "Target", job.sshTarget, describeSchedule(job.keepTarget));
  ctx.log.verbose(`[Target] Receive datasets under: ${job.targetPath}`);
  if (!job.noHolds) {
    for (const host of [ctx.source, ctx.target]) {
      if (!(await ctx.features(host)).has.holds) {
        ctx.log.verbose(`[${host.label}] No holds on this zfs: the common snapshot is not held.`);
      }
    }
  }
  logPipeSettings(ctx);
  const tree = new TargetTree(await listTarget(ctx));
  const mapping = mapTargets(job.targetPath, selected.map((d) => d.name), job.stripPath);
  await preflight(ctx);

  ctx.log.title("Synchronising");
  const targetOf = (name: string) => targetName(job.targetPath, name, job.stripPath);
  const runs: DatasetRun[] = [];
  let failures = 0;
  for (const ds of selected) {
    ctx.log.progress(`Analysing dataset ${runs.length + 1}/${selected.length} (${failures} failed)`);
    const run: DatasetRun = {
      dataset: ds.name,
      target: mapping.get(ds.name)!,
      outcome: emptyOutcome(),
      failed: undefined,
    };
    runs.push(run);
    try {
      await syncDataset(ctx, ds, run.target, tree, targetOf, run.outcome);
    } catch (e) {
      rethrowIfAborted(e, ctx.signal);
      run.failed = errorMessage(e);
      failures++;
      ctx.log.error(`[Source] ${ds.name}: FAILED: ${run.failed}`);
      if (!(e instanceof SyncError || e instanceof CommandError)) ctx.log.error(bugText(e));
    }
  }
  ctx.log.clearProgress();
  const datasets: DatasetSummary[] = runs.map((r) => ({
    dataset: r.dataset,
    target: r.target,
    transfers: r.outcome.transfers,
    failed: r.failed,
  }));
  const summary: RunSummary = {
    backupName: job.backupName,
    startedAt: new Date(ctx.now).toISOString(),
    datasets,
    totals: totals(datasets),
  };
  const t = summary.totals;
  if (t.transfers) {
    ctx.log.verbose(
      `Transferred ${t.transfers} snapshot${t.transfers === 1 ? "" : "s"}: ${statsText(t.bytes, t.seconds)}`,
    );
  }
  const outcomes = runs.map((r) => r.outcome);
  await moveHolds(ctx, outcomes);
  await destroyQueued(ctx, outcomes);
  await mountReceived(ctx, outcomes);

  const missing = missingDatasets(tree.all(), job.targetPath, new Set(mapping.values()));
  await thinMissing(ctx, missing);
  await destroyMissing(ctx, missing, tree.all());

  const failed = runs.filter((r) => r.failed !== undefined);
  if (failed.length) {
    ctx.log.error(`${failed.length} dataset${failed.length === 1 ? "" : "s"} failed:`);
    for (const f of failed) ctx.log.error(`  ${f.dataset}: ${f.failed}`);
  }
  return summary;
}
