/**
 * Synchronising every selected dataset: one after the other (the default, upstream's output),
 * or with `--parallel N` up to N at once. In parallel each dataset waits for the ones it depends
 * on (sync/sync_order.ts), a failed dataset does not stop the others, each dataset's log lines
 * are held and written in dataset order, and on Ctrl-C no new dataset starts while the running
 * ones are stopped and waited for.
 */
import { bugText, CommandError, errorMessage, rethrowIfAborted, ZfsError } from "../errors.ts";
import { permissionHint } from "../doctor/hint.ts";
import type { Dataset } from "../zfs/listing.ts";
import { Semaphore } from "../exec/semaphore.ts";
import { OrderedOutput } from "../log/ordered_output.ts";
import { syncDependencies } from "../sync/sync_order.ts";
import type { BackupContext } from "./context.ts";
import { type DatasetOutcome, emptyOutcome, syncDataset, SyncError } from "./sync_dataset.ts";
import type { TargetTree } from "./target_tree.ts";
import { type DatasetSummary, snapshotRef } from "./summary.ts";

/** One dataset's line in the run's outcome. */
export interface DatasetRun {
  dataset: string;
  target: string;
  outcome: DatasetOutcome;
  failed: string | undefined;
}

/**
 * Syncs one dataset; a failure is logged and recorded in `run` and its summary `entry`, an
 * abort is thrown. The entry shares the outcome's records, so a stop midway keeps what was done.
 */
async function syncOne(
  ctx: BackupContext,
  ds: Dataset,
  run: DatasetRun,
  entry: DatasetSummary,
  tree: TargetTree,
  targetOf: (source: string) => string | undefined,
): Promise<void> {
  entry.transfers = run.outcome.transfers;
  entry.destroyed = run.outcome.destroyed;
  entry.bookmarks = run.outcome.bookmarked;
  try {
    await syncDataset(ctx, ds, run.target, tree, targetOf, run.outcome);
    entry.result = "ok";
  } catch (e) {
    rethrowIfAborted(e, ctx.signal);
    run.failed = permissionHint(e, [ctx.source, ctx.target]) ?? errorMessage(e);
    Object.assign(entry, {
      result: "failed",
      failed: run.failed,
      reason: e instanceof ZfsError || e instanceof SyncError ? e.reason : undefined,
    });
    ctx.log.error(`[Source] ${ds.name}: FAILED: ${run.failed}`);
    if (!(e instanceof SyncError || e instanceof CommandError)) ctx.log.error(bugText(e));
  } finally {
    entry.common = snapshotRef(run.outcome.common, (name) => ctx.job.snapshotFormat.parse(name));
  }
}

/**
 * Syncs `selected` (in sync order) into their targets (`mapping`), filling each one's summary
 * `entries[i]`; returns one run per dataset that was started, in order. Throws when the run is
 * aborted.
 */
export async function syncAll(
  ctx: BackupContext,
  selected: readonly Dataset[],
  entries: readonly DatasetSummary[],
  tree: TargetTree,
  mapping: ReadonlyMap<string, string>,
  targetOf: (source: string) => string | undefined,
): Promise<DatasetRun[]> {
  const runs: DatasetRun[] = selected.map((ds) => ({
    dataset: ds.name,
    target: mapping.get(ds.name)!,
    outcome: emptyOutcome(),
    failed: undefined,
  }));
  const failures = () => runs.filter((r) => r.failed !== undefined).length;
  if (ctx.job.parallel <= 1 || selected.length <= 1) {
    for (const [i, ds] of selected.entries()) {
      ctx.log.progress(`Analysing dataset ${i + 1}/${selected.length} (${failures()} failed)`);
      await syncOne(ctx, ds, runs[i]!, entries[i]!, tree, targetOf);
    }
    ctx.log.clearProgress();
    return runs;
  }

  const deps = syncDependencies(
    selected.map((ds, i) => ({ name: ds.name, origin: ds.origin, target: runs[i]!.target })),
    (name) => tree.get(name) !== undefined,
  );
  const output = new OrderedOutput(ctx.log, selected.map((ds) => ds.name));
  const slots = new Semaphore(ctx.job.parallel);
  const finished: Promise<void>[] = [];
  const started = new Set<number>();
  let running = 0;
  let done = 0;
  let aborted: unknown;
  const progress = () =>
    ctx.log.progress(`Synchronising ${done}/${selected.length} (${running} running, ${failures()} failed)`);
  const task = async (i: number) => {
    try {
      await Promise.all(deps[i]!.map((j) => finished[j]));
      await slots.use(async () => {
        if (ctx.signal?.aborted) return;
        started.add(i);
        running++;
        progress();
        try {
          await output.run(i, () => syncOne(ctx, selected[i]!, runs[i]!, entries[i]!, tree, targetOf));
        } finally {
          running--;
        }
      });
    } catch (e) {
      aborted ??= e;
    } finally {
      done++;
      output.finish(i);
      progress();
    }
  };
  for (let i = 0; i < selected.length; i++) finished.push(task(i));
  await Promise.all(finished);
  ctx.log.clearProgress();
  if (aborted !== undefined || ctx.signal?.aborted) {
    throw aborted ?? ctx.signal?.reason ?? new DOMException("Aborted", "AbortError");
  }
  return runs.filter((_, i) => started.has(i));
}
