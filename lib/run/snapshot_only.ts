/** Snapshot-only mode (no TARGET-PATH): select, snapshot, thin the source. */
import type { RunContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { thinDatasets } from "./thin_step.ts";
import { logFailedDatasets, newSummary, pendingDataset, type RunSummary, totals } from "./summary.ts";
import type { Dataset } from "../zfs/listing.ts";
import { listMarked, sentMarkProperty } from "../zfs/sent_mark.ts";
import { newestMarked } from "../sync/holds.ts";

/**
 * The snapshots thinning must keep where zfs has no holds: the newest one a backup marked as
 * sent, per dataset (one `zfs get`). Nothing where holds do the job, or with --no-holds (the
 * user chose to let thinning break the chain, as upstream): undefined then.
 */
async function sentSnapshots(
  ctx: RunContext,
  selected: readonly Dataset[],
): Promise<Set<string> | undefined> {
  if (ctx.job.noHolds || (await ctx.features(ctx.source)).has.holds) return undefined;
  const names = selected.flatMap((ds) => ds.snapshots.map((s) => `${ds.name}@${s.name}`));
  const marked = await listMarked(ctx.source, sentMarkProperty(ctx.job.property), names);
  return newestMarked(selected, marked);
}

/**
 * Where zfs has no holds, says which thinned datasets no backup marked as sent: if a backup of
 * them was made before marks existed (an older version, or a zfs that lost them), the snapshot
 * it needs next may be gone. A warning on every run once backups of this name mark snapshots
 * here (one unmarked dataset is then the exception); only a verbose note where nothing is marked
 * at all, which is what plain snapshot-only use looks like.
 */
function warnUnprotected(ctx: RunContext, thinned: readonly string[], protect: ReadonlySet<string>): void {
  const isMarked = (name: string) => [...protect].some((p) => p.startsWith(`${name}@`));
  const unmarked = thinned.filter((name) => !isMarked(name));
  if (unmarked.length === 0) return;
  const text =
    `[Source] This zfs has no holds, and no backup marked a snapshot of ${unmarked.length} thinned ` +
    `dataset${unmarked.length === 1 ? "" : "s"} as sent (${sentMarkProperty(ctx.job.property)}), e.g. ` +
    `${unmarked[0]}: if a backup needs a snapshot that thinning destroyed, it must send in full.`;
  if (protect.size > 0) ctx.log.note(text);
  else ctx.log.verboseNote(text);
}

/**
 * Runs snapshot-only mode, filling `summary` as it goes. Failures here are fatal (thrown),
 * except datasets whose selection value cannot be used: they fail (listed at the end, counted
 * in `totals.failed`).
 */
export async function runSnapshotOnly(
  ctx: RunContext,
  summary: RunSummary = newSummary(ctx.job.backupName, new Date(ctx.now).toISOString()),
): Promise<RunSummary> {
  const { selected, allDatasets, failed } = await selectSource(ctx);
  const timeOf = (name: string) => ctx.job.snapshotFormat.parse(name);
  summary.datasets.push(...failed.map((f) => ({
    ...pendingDataset(f.dataset, undefined, undefined, false, timeOf),
    result: "failed" as const,
    failed: f.why,
  })));
  const taken = await takeSnapshots(ctx, selected, allDatasets);
  const made = new Set(taken?.datasets);
  const entries = selected.map((ds) =>
    pendingDataset(ds.name, undefined, ds.snapshots.at(-1)?.name, made.has(ds.name), timeOf)
  );
  summary.datasets.push(...entries);
  if (!ctx.job.noThinning && selected.length) {
    ctx.log.title("Thinning source");
    const protect = await sentSnapshots(ctx, selected);
    const s = await thinDatasets(ctx, ctx.source, selected, ctx.job.keepSource, {
      keepOwnHolds: true,
      ...(protect ? { protect } : {}),
    });
    ctx.log.verbose(
      `[Source] Thinning: ${s.destroyed} destroyed, ${s.kept} kept${s.failed ? `, ${s.failed} failed` : ""}`,
    );
    for (const e of entries) e.destroyed.source = s.destroyedBy.get(e.dataset) ?? 0;
    if (protect) warnUnprotected(ctx, [...s.destroyedBy.keys()], protect);
  }
  for (const e of entries) e.result = "ok";
  summary.totals = totals(summary.datasets);
  logFailedDatasets(ctx, summary.datasets);
  return summary;
}
