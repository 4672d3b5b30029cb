/** Backup mode (with TARGET-PATH): select, snapshot, then sync every dataset to the target. */
import { bugText, errorMessage, FatalError, rethrowIfAborted, ZfsError } from "../errors.ts";
import { describeSchedule } from "../thinner/schedule.ts";
import { type Dataset, listDatasets } from "../zfs/listing.ts";
import { mapTargets, targetName } from "../sync/target_path.ts";
import type { RunContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { printHostSettings } from "./preamble.ts";
import { logPipeSettings, preflight } from "./preflight.ts";
import { SyncState } from "./sync_state.ts";
import { syncDataset, SyncError } from "./sync_dataset.ts";
import { destroyQueued, mountReceived, moveHolds } from "./finish_step.ts";
import { destroyMissing, missingDatasets, thinMissing } from "./missing_step.ts";
import { type RunSummary, totals } from "./summary.ts";
import { statsText } from "../transfer/meter.ts";

/** Lists everything below TARGET-PATH in one call; a missing TARGET-PATH aborts the run. */
async function listTarget(ctx: RunContext): Promise<Map<string, Dataset>> {
  const target = ctx.target!;
  const tp = ctx.opts.targetPath!;
  try {
    return await listDatasets(target, await ctx.features(target), [tp], "recursive");
  } catch (e) {
    if (e instanceof ZfsError && /does not exist/.test(e.stderrTail)) {
      throw new FatalError(`Target path '${tp}' does not exist. Please create this dataset first.`);
    }
    throw e;
  }
}

/** The run's outcome as plain data (RunContext.summary). */
function summarize(
  ctx: RunContext,
  datasets: string[],
  mapping: Map<string, string>,
  state: SyncState,
): RunSummary {
  const failed = new Map(state.failed.map((f) => [f.dataset, f.reason]));
  const transfers = Map.groupBy(state.transfers, (t) => t.dataset);
  const list = datasets.map((d) => ({
    dataset: d,
    target: mapping.get(d),
    transfers: transfers.get(d) ?? [],
    failed: failed.get(d),
  }));
  return {
    backupName: ctx.opts.backupName,
    startedAt: new Date(ctx.now).toISOString(),
    datasets: list,
    totals: totals(list),
  };
}

/** Runs backup mode; returns the number of failed datasets. */
export async function runBackup(ctx: RunContext): Promise<number> {
  const { selected, allDatasets } = await selectSource(ctx);
  await takeSnapshots(ctx, selected, allDatasets);

  ctx.log.title("Target settings");
  printHostSettings(ctx, "Target", ctx.opts.sshTarget, describeSchedule(ctx.keepTarget));
  ctx.log.verbose(`[Target] Receive datasets under: ${ctx.opts.targetPath}`);
  if (!ctx.opts.noHolds) {
    for (const host of [ctx.source, ctx.target!]) {
      if (!(await ctx.features(host)).has.holds) {
        ctx.log.verbose(`[${host.label}] No holds on this zfs: the common snapshot is not held.`);
      }
    }
  }
  logPipeSettings(ctx);
  const targets = await listTarget(ctx);
  const mapping = mapTargets(ctx.opts.targetPath!, selected.map((d) => d.name), ctx.opts.stripPath);
  await preflight(ctx);

  ctx.log.title("Synchronising");
  const state = new SyncState();
  const targetOf = (name: string) => targetName(ctx.opts.targetPath!, name, ctx.opts.stripPath);
  let i = 0;
  for (const ds of selected) {
    ctx.log.progress(`Analysing dataset ${++i}/${selected.length} (${state.failed.length} failed)`);
    try {
      await syncDataset(ctx, state, ds, mapping.get(ds.name)!, targets, targetOf);
    } catch (e) {
      rethrowIfAborted(e, ctx.signal);
      const reason = errorMessage(e);
      ctx.log.error(`[Source] ${ds.name}: FAILED: ${reason}`);
      if (!(e instanceof SyncError || e instanceof ZfsError)) {
        ctx.log.error(bugText(e));
      }
      state.failed.push({ dataset: ds.name, reason });
    }
  }
  ctx.log.clearProgress();
  ctx.summary = summarize(ctx, selected.map((d) => d.name), mapping, state);
  const t = ctx.summary.totals;
  if (t.transfers) {
    ctx.log.verbose(
      `Transferred ${t.transfers} snapshot${t.transfers === 1 ? "" : "s"}: ${statsText(t.bytes, t.seconds)}`,
    );
  }
  await moveHolds(ctx, state);
  await destroyQueued(ctx, state);
  await mountReceived(ctx, state);

  const missing = missingDatasets(targets, ctx.opts.targetPath!, new Set(mapping.values()));
  await thinMissing(ctx, missing);
  await destroyMissing(ctx, missing, targets);

  if (state.failed.length) {
    ctx.log.error(`${state.failed.length} dataset${state.failed.length === 1 ? "" : "s"} failed:`);
    for (const f of state.failed) ctx.log.error(`  ${f.dataset}: ${f.reason}`);
  }
  return state.failed.length;
}
