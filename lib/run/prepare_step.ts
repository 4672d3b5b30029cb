/**
 * Everything a backup checks before its first change: a run that cannot transfer makes no
 * snapshot. Both hosts are reached, the target is listed while the source is read, every
 * target name is computed (strip-path and collisions), the snapshot properties the plans need
 * are read (details_step.ts), and the pipeline's programs and receive options are checked on the
 * hosts that run them. Only then does the backup snapshot.
 */
import { FatalError, ZfsError } from "../errors.ts";
import { type Dataset, listDatasets } from "../zfs/listing.ts";
import { mapTargets } from "../sync/target_path.ts";
import type { BackupContext } from "./context.ts";
import { selectSource, type SourceSelection } from "./select_step.ts";
import { preflight } from "./preflight.ts";
import { TargetTree } from "./target_tree.ts";
import { readDetails } from "./details_step.ts";

/** What a backup knows once it is sure it can run. */
export interface PreparedBackup extends SourceSelection {
  /** The target's datasets below TARGET-PATH. */
  tree: TargetTree;
  /** Selected source dataset → its target dataset. */
  mapping: Map<string, string>;
}

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

/**
 * Runs the checks (see the module comment); throws `FatalError`/`CommandError` when the backup
 * cannot run. Both hosts are probed one after the other, so their notes keep their order.
 */
export async function prepareBackup(ctx: BackupContext): Promise<PreparedBackup> {
  // The target's connection opens while the source is probed (a handshake costs seconds on a
  // slow host); it is awaited before the run goes on, so nothing is left running on a failure.
  const connecting = ctx.target.connect();
  await ctx.features(ctx.source).finally(() => connecting);
  await ctx.features(ctx.target);
  // The listings are most of a quiet run's time: the target is read while the source is. On
  // one machine they share its zfs and CPUs, and the selection is on the way to the source's
  // listing: the target's then waits for the selection and runs beside the source's.
  const sameMachine = ctx.source.sameMachineAs(ctx.target);
  let decided: ((go: boolean) => void) | undefined;
  const gate = sameMachine ? new Promise<boolean>((resolve) => decided = resolve) : Promise.resolve(true);
  const [selection, listed] = await Promise.allSettled([
    selectSource(ctx, () => decided?.(true)).finally(() => decided?.(false)),
    gate.then((go) =>
      go ? ctx.phases.time("read target", () => listTarget(ctx)) : new Map<string, Dataset>()
    ),
  ]);
  // The selection's failure first: it is what the run was doing in the output.
  if (selection.status === "rejected") throw selection.reason;
  if (listed.status === "rejected") throw listed.reason;
  const { job } = ctx;
  const mapping = mapTargets(job.targetPath, selection.value.selected.map((d) => d.name), job.stripPath);
  const tree = new TargetTree(listed.value, new Set(mapping.values()));
  const targetOf = (source: string) => tree.get(mapping.get(source)!);
  await ctx.phases.time("details", () => readDetails(ctx, ctx.target, selection.value.selected, targetOf));
  await preflight(ctx);
  return { ...selection.value, tree, mapping };
}
