/** Taking the snapshots (section "Snapshotting"), with the pre/post snapshot commands. */
import { errorMessage, FatalError } from "../errors.ts";
import { getRows, numericValue } from "../zfs/get_rows.ts";
import type { Dataset } from "../zfs/listing.ts";
import {
  decideWritten,
  groupWrittenQueries,
  planSnapshots,
  snapshotCalls,
  type SnapshotDecision,
} from "../snapshot/plan.ts";
import { createSnapshots } from "../zfs/snapshot.ts";
import type { RunContext } from "./context.ts";
import { NEW_SNAPSHOT_TXG } from "../sync/details.ts";

/** Fills in decisions that need `written@SNAP`, one `zfs get` per snapshot name. */
async function resolveWritten(
  ctx: RunContext,
  decisions: Map<string, SnapshotDecision>,
  queries: { dataset: string; snapshot: string }[],
): Promise<void> {
  for (const [snap, datasets] of groupWrittenQueries(queries)) {
    const prop = `written@${snap}`;
    const values = new Map<string, number | undefined>();
    for (const row of (await getRows(ctx.source, [prop], datasets)).rows) {
      values.set(row.name, numericValue(row.value));
    }
    for (const ds of datasets) {
      const w = values.get(ds);
      decisions.set(ds, {
        dataset: ds,
        reason: w === undefined
          ? { snapshot: true, why: "written-unknown" }
          : decideWritten(w, ctx.job.minChange, snap),
      });
    }
  }
}

/**
 * Runs a --pre/--post-snapshot-cmd through a real shell on the source host (so `>`, `&&`, `|`
 * work). What it writes to stderr is
 * shown as errors even when it succeeds (upstream does the same), so its warnings reach cron mail.
 */
async function runUserCommand(ctx: RunContext, cmd: string, uninterruptible = false): Promise<void> {
  const r = await ctx.source.run({ argv: ["sh", "-c", cmd], uninterruptible });
  for (const line of r.stderr.split("\n")) if (line.trim()) ctx.log.error(`[Source] STDERR > ${line}`);
}

/** The snapshot a run made: its name and the datasets that got it. */
export interface SnapshotsTaken {
  name: string;
  datasets: readonly string[];
}

/**
 * Snapshots the selected datasets that need it and records the new snapshots in the
 * in-memory model (so --test continues realistically). Returns the new snapshot, or
 * undefined when nothing was snapshotted.
 */
export async function takeSnapshots(
  ctx: RunContext,
  selected: readonly Dataset[],
  allDatasets: readonly string[],
): Promise<SnapshotsTaken | undefined> {
  if (ctx.job.noSnapshot) return undefined;
  ctx.log.title("Snapshotting");
  const features = await ctx.features(ctx.source);
  const plan = planSnapshots(selected, ctx.job.minChange, ctx.isOurs, features.has.written);
  await resolveWritten(ctx, plan.decisions, plan.queries);
  if (!features.has.written && ctx.job.minChange > 0) {
    ctx.log.verbose(
      "[Source] zfs has no written property: snapshotting every selected dataset (--min-change ignored).",
    );
  }
  const targets: string[] = [];
  for (const ds of selected) {
    const d = plan.decisions.get(ds.name)!;
    if (d.reason.snapshot) targets.push(ds.name);
    else ctx.log.verbose(`[Source] ${ds.name}: No changes since ${d.reason.since}`);
  }
  if (targets.length === 0) {
    ctx.log.verbose("[Source] No changes anywhere: not creating snapshots.");
    return undefined;
  }
  const name = ctx.job.snapshotFormat.snapshotName(ctx.now);
  try {
    for (const cmd of ctx.job.preSnapshotCmds) {
      try {
        await runUserCommand(ctx, cmd);
      } catch (e) {
        throw new FatalError(`Cannot run --pre-snapshot-cmd "${cmd}": ${errorMessage(e)}`);
      }
    }
    const calls = snapshotCalls(
      targets,
      name,
      allDatasets,
      ctx.job.setSnapshotProperties,
      features.has.snapshotMany,
    );
    const pools = new Set(calls.map((c) => c.pool));
    for (const pool of pools) {
      const poolCalls = calls.filter((c) => c.pool === pool);
      ctx.log.verbose(`[Source] Creating snapshots ${name} in pool ${pool}`);
      if (poolCalls.length > 1) {
        ctx.log.verboseNote(
          `[Source] Pool ${pool}: snapshots made in ${poolCalls.length} commands, not atomically.`,
        );
      }
      for (const call of poolCalls) {
        try {
          await createSnapshots(ctx.source, call);
        } catch (e) {
          throw new FatalError(`Cannot create snapshots in pool "${pool}": ${errorMessage(e)}`, { cause: e });
        }
      }
    }
  } finally {
    for (const cmd of ctx.job.postSnapshotCmds) {
      await runUserCommand(ctx, cmd, true).catch((e) =>
        ctx.log.error(`[Source] Cannot run --post-snapshot-cmd "${cmd}": ${errorMessage(e)}`)
      );
    }
  }
  const made = new Set(targets);
  for (const ds of selected) {
    if (made.has(ds.name)) {
      ds.snapshots.push({ name, guid: undefined, createtxg: NEW_SNAPSHOT_TXG, written: 0, userrefs: 0 });
      ds.written = 0;
    }
  }
  return { name, datasets: targets };
}
