/**
 * Backup mode (with TARGET-PATH): check both sides (prepare_step.ts), snapshot, then sync every
 * dataset to the target.
 */
import { bugText, CommandError, errorMessage, rethrowIfAborted, ZfsError } from "../errors.ts";
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
import {
  logFailedDatasets,
  newSummary,
  pendingDataset,
  type RunSummary,
  snapshotRef,
  totals,
} from "./summary.ts";
import { statsText } from "../transfer/meter.ts";
import { permissionHint } from "../doctor/hint.ts";

/** One dataset's line in the run's outcome. */
interface DatasetRun {
  dataset: string;
  target: string;
  outcome: DatasetOutcome;
  failed: string | undefined;
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
  const { selected, allDatasets, failed: unselectable, tree, mapping } = await prepareBackup(ctx);
  // A clone's origin may be a dataset that cannot be mapped: then it is not on the target.
  const targetOf = (name: string) => {
    const m = mapTarget(job.targetPath, name, job.stripPath);
    return "target" in m ? m.target : undefined;
  };
  const timeOf = (name: string) => job.snapshotFormat.parse(name);
  // Datasets whose selection value cannot be used fail, listed before the others.
  summary.datasets.push(...unselectable.map((u) => ({
    ...pendingDataset(u.dataset, targetOf(u.dataset), undefined, false, timeOf),
    result: "failed" as const,
    failed: u.why,
  })));
  const taken = await takeSnapshots(ctx, selected, allDatasets);
  const made = new Set(taken?.datasets);
  const entries = selected.map((ds) =>
    pendingDataset(ds.name, mapping.get(ds.name), ds.snapshots.at(-1)?.name, made.has(ds.name), timeOf)
  );
  summary.datasets.push(...entries);

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
  const runs: DatasetRun[] = [];
  let failures = 0;
  for (const [i, ds] of selected.entries()) {
    const entry = entries[i]!;
    ctx.log.progress(`Analysing dataset ${i + 1}/${selected.length} (${failures} failed)`);
    const run: DatasetRun = {
      dataset: ds.name,
      target: mapping.get(ds.name)!,
      outcome: emptyOutcome(),
      failed: undefined,
    };
    runs.push(run);
    // The entry shares the outcome's records, so a stop midway keeps what was done.
    entry.transfers = run.outcome.transfers;
    entry.destroyed = run.outcome.destroyed;
    entry.bookmarks = run.outcome.bookmarked;
    try {
      await syncDataset(ctx, ds, run.target, tree, targetOf, run.outcome);
      entry.result = "ok";
    } catch (e) {
      rethrowIfAborted(e, ctx.signal);
      run.failed = permissionHint(e, [ctx.source, ctx.target]) ?? errorMessage(e);
      failures++;
      Object.assign(entry, {
        result: "failed",
        failed: run.failed,
        reason: e instanceof ZfsError || e instanceof SyncError ? e.reason : undefined,
      });
      ctx.log.error(`[Source] ${ds.name}: FAILED: ${run.failed}`);
      if (!(e instanceof SyncError || e instanceof CommandError)) ctx.log.error(bugText(e));
    } finally {
      entry.common = snapshotRef(run.outcome.common, timeOf);
    }
  }
  ctx.log.clearProgress();
  summary.totals = totals(summary.datasets);
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
  summary.missing.snapshotsDestroyed += await thinMissing(ctx, missing);
  summary.missing.datasetsDestroyed += await destroyMissing(ctx, missing, tree.all());

  logFailedDatasets(ctx, summary.datasets);
  return summary;
}
