/**
 * Backup mode (with TARGET-PATH): check both sides (prepare_step.ts), snapshot, then sync every
 * dataset to the target.
 */
import { describeSchedule } from "../thinner/schedule.ts";
import { mapTarget } from "../sync/target_path.ts";
import type { BackupContext } from "./context.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { printHostSettings } from "./preamble.ts";
import { logPipeSettings } from "./preflight.ts";
import { prepareBackup } from "./prepare_step.ts";
import { syncAll } from "./sync_loop.ts";
import { destroyQueued, mountReceived, moveHolds } from "./finish_step.ts";
import { destroyMissing, missingDatasets, thinMissing } from "./missing_step.ts";
import { logFailedDatasets, newSummary, pendingDataset, type RunSummary, totals } from "./summary.ts";
import { statsText } from "../transfer/meter.ts";

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
  const taken = await ctx.phases.time("snapshot", () => takeSnapshots(ctx, selected, allDatasets));
  const made = new Set(taken?.datasets);
  const entries = selected.map((ds) =>
    pendingDataset(ds.name, mapping.get(ds.name), ds.snapshots.at(-1)?.name, made.has(ds.name), timeOf)
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

  ctx.log.title("Synchronising");
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

  // A dataset whose selection value cannot be used still owns its target: never "missing".
  const owned = new Set([...mapping.values(), ...unselectable.flatMap((u) => targetOf(u.dataset) ?? [])]);
  const missing = missingDatasets(tree.all(), job.targetPath, owned);
  summary.missing.snapshotsDestroyed += await ctx.phases.time("thin", () => thinMissing(ctx, missing));
  summary.missing.datasetsDestroyed += await ctx.phases.time(
    "thin",
    () => destroyMissing(ctx, missing, tree.all()),
  );

  logFailedDatasets(ctx, summary.datasets);
  ctx.log.debug(`Phases: ${ctx.phases.report()}`);
  return summary;
}
