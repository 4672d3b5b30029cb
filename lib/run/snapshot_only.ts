/** Snapshot-only mode (no TARGET-PATH): select, snapshot, thin the source. */
import type { RunContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { thinDatasets } from "./thin_step.ts";
import { logFailedDatasets } from "./summary.ts";
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
 * Runs snapshot-only mode. Failures here are fatal (thrown), except datasets whose selection
 * value cannot be used: they are listed at the end and their number is returned.
 */
export async function runSnapshotOnly(ctx: RunContext): Promise<number> {
  const { selected, allDatasets, failed } = await selectSource(ctx);
  await takeSnapshots(ctx, selected, allDatasets);
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
    if (protect) warnUnprotected(ctx, [...s.thinned], protect);
  }
  logFailedDatasets(ctx, failed.map((f) => ({ dataset: f.dataset, failed: f.why })));
  return failed.length;
}
