/**
 * Backup mode (with TARGET-PATH): check both sides (prepare_step.ts), snapshot, then sync every
 * dataset to the target.
 */
import { bugText, CommandError, errorMessage, rethrowIfAborted } from "../errors.ts";
import { describeSchedule } from "../thinner/schedule.ts";
import { mapTarget } from "../sync/target_path.ts";
import type { BackupContext } from "./context.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { printHostSettings } from "./preamble.ts";
import { logPipeSettings } from "./preflight.ts";
import { prepareBackup } from "./prepare_step.ts";
import { type DatasetOutcome, emptyOutcome, syncDataset, SyncError } from "./sync_dataset.ts";
import { destroyQueued, mountReceived, moveHolds } from "./finish_step.ts";
import { destroyMissing, missingDatasets, thinMissing } from "./missing_step.ts";
import { type DatasetSummary, logFailedDatasets, type RunSummary, totals } from "./summary.ts";
import { statsText } from "../transfer/meter.ts";

/** One dataset's line in the run's outcome. */
interface DatasetRun {
  dataset: string;
  target: string | undefined;
  outcome: DatasetOutcome;
  failed: string | undefined;
}

/** Runs backup mode; returns the run's summary (its `totals.failed` is the failed datasets). */
export async function runBackup(ctx: BackupContext): Promise<RunSummary> {
  const { job } = ctx;
  const { selected, allDatasets, failed: unselectable, tree, mapping } = await prepareBackup(ctx);
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

  ctx.log.title("Synchronising");
  // A clone's origin may be a dataset that cannot be mapped: then it is not on the target.
  const targetOf = (name: string) => {
    const m = mapTarget(job.targetPath, name, job.stripPath);
    return "target" in m ? m.target : undefined;
  };
  const runs: DatasetRun[] = unselectable.map((u) => ({
    dataset: u.dataset,
    target: undefined,
    outcome: emptyOutcome(),
    failed: u.why,
  }));
  let failures = 0;
  for (const [i, ds] of selected.entries()) {
    ctx.log.progress(`Analysing dataset ${i + 1}/${selected.length} (${failures} failed)`);
    const target = mapping.get(ds.name)!;
    const run: DatasetRun = { dataset: ds.name, target, outcome: emptyOutcome(), failed: undefined };
    runs.push(run);
    try {
      await syncDataset(ctx, ds, target, tree, targetOf, run.outcome);
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

  // A dataset whose selection value cannot be used still owns its target: never "missing".
  const owned = new Set([...mapping.values(), ...unselectable.flatMap((u) => targetOf(u.dataset) ?? [])]);
  const missing = missingDatasets(tree.all(), job.targetPath, owned);
  await thinMissing(ctx, missing);
  await destroyMissing(ctx, missing, tree.all());

  logFailedDatasets(ctx, runs);
  return summary;
}
