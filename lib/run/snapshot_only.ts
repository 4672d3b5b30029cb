/** Snapshot-only mode (no TARGET-PATH): select, snapshot, thin the source. */
import type { RunContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { thinDatasets } from "./thin_step.ts";

/** Runs snapshot-only mode; failures here are fatal (thrown), so it has no failed datasets. */
export async function runSnapshotOnly(ctx: RunContext): Promise<void> {
  const { selected, allDatasets } = await selectSource(ctx);
  await ctx.phases.time("snapshot", () => takeSnapshots(ctx, selected, allDatasets));
  if (!ctx.job.noThinning && selected.length) {
    ctx.log.title("Thinning source");
    const s = await ctx.phases.time(
      "thin",
      () => thinDatasets(ctx, ctx.source, selected, ctx.job.keepSource, true),
    );
    ctx.log.verbose(
      `[Source] Thinning: ${s.destroyed} destroyed, ${s.kept} kept${s.failed ? `, ${s.failed} failed` : ""}`,
    );
  }
  ctx.log.debug(`Phases: ${ctx.phases.report()}`);
}
