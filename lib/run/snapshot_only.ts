/** Snapshot-only mode (no TARGET-PATH): select, snapshot, thin the source. */
import type { RunContext } from "./context.ts";
import { selectSource } from "./select_step.ts";
import { takeSnapshots } from "./snapshot_step.ts";
import { thinDatasets } from "./thin_step.ts";

/** Runs snapshot-only mode; returns the number of failed datasets (always 0: failures here are fatal). */
export async function runSnapshotOnly(ctx: RunContext): Promise<number> {
  const { selected, allDatasets } = await selectSource(ctx);
  await takeSnapshots(ctx, selected, allDatasets);
  if (!ctx.opts.noThinning && selected.length) {
    ctx.log.title("Thinning source");
    const s = await thinDatasets(
      ctx,
      ctx.source,
      selected.map((dataset) => ({ dataset })),
      ctx.keepSource,
      { keepOwnHolds: true },
    );
    ctx.log.verbose(
      `[Source] Thinning: ${s.destroyed} destroyed, ${s.kept} kept${s.failed ? `, ${s.failed} failed` : ""}`,
    );
  }
  return 0;
}
