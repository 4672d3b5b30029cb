/** Snapshot-only mode (no TARGET-PATH): select, snapshot, thin the source. */
import type { RunContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { thinDatasets } from "./thin_step.ts";
import { newSummary, pendingDataset, type RunSummary } from "./summary.ts";

/**
 * Runs snapshot-only mode, filling `summary` as it goes; failures here are fatal (thrown), so
 * it has no failed datasets.
 */
export async function runSnapshotOnly(
  ctx: RunContext,
  summary: RunSummary = newSummary(ctx.job.backupName, new Date(ctx.now).toISOString()),
): Promise<RunSummary> {
  const { selected, allDatasets } = await selectSource(ctx);
  const taken = await ctx.phases.time("snapshot", () => takeSnapshots(ctx, selected, allDatasets));
  const timeOf = (name: string) => ctx.job.snapshotFormat.parse(name);
  const made = new Set(taken?.datasets);
  const entries = selected.map((ds) =>
    pendingDataset(ds.name, undefined, ds.snapshots.at(-1)?.name, made.has(ds.name), timeOf)
  );
  summary.datasets.push(...entries);
  if (!ctx.job.noThinning && selected.length) {
    ctx.log.title("Thinning source");
    const s = await ctx.phases.time(
      "thin",
      () => thinDatasets(ctx, ctx.source, selected, ctx.job.keepSource, true),
    );
    ctx.log.verbose(
      `[Source] Thinning: ${s.destroyed} destroyed, ${s.kept} kept${s.failed ? `, ${s.failed} failed` : ""}`,
    );
    for (const e of entries) e.destroyed.source = s.destroyedBy.get(e.dataset) ?? 0;
  }
  for (const e of entries) e.result = "ok";
  ctx.log.debug(`Phases: ${ctx.phases.report()}`);
  return summary;
}
