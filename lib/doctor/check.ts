/**
 * `--check-permissions`: reads what the run would select and what the users on both hosts may
 * do, works out what the run needs, and prints what is missing. Changes nothing; one `zfs
 * allow` read per host besides the selection and the feature probes a run makes anyway.
 */
import type { Host } from "../exec/host.ts";
import { parentOf, poolOf } from "../zfs/names.ts";
import { poolHas } from "../zfs/features.ts";
import { BOOKMARK_FEATURE } from "../sync/bookmarks.ts";
import { type AllowReport, effectivePermissions, readAllow } from "../zfs/allow.ts";
import { targetName } from "../sync/target_path.ts";
import type { RunContext } from "../run/context.ts";
import { selectSource } from "../run/select_step.ts";
import { missingGrants } from "./grants.ts";
import { type Need, neededPermissions, type Side } from "./needed.ts";
import { permissionReport, type SideCheck } from "./report.ts";

/** One side's check from its report. */
function sideCheck(side: Side, host: Host, report: AllowReport, needs: Need[]): SideCheck {
  const have = new Map<string, Set<string>>();
  const absent: string[] = [];
  for (const [dataset, blocks] of report.allow) {
    // A missing TARGET-PATH gets its grant too, to run once root has created it.
    if (blocks === undefined) absent.push(dataset);
    have.set(dataset, effectivePermissions(dataset, blocks ?? [], report.identity));
  }
  const root = report.identity.uid === 0;
  return {
    side,
    address: host.address,
    identity: report.identity,
    os: report.os,
    needs,
    grants: root ? [] : missingGrants(needs.map((n) => n.permission), have),
    absent: root ? [] : absent,
  };
}

/**
 * Checks the permissions of `ctx.job` on the source and, for a backup, on `target`; prints the
 * report with `print` and returns true when something is missing.
 */
export async function checkPermissions(
  ctx: RunContext,
  target: Host | undefined,
  print: (line: string) => void,
): Promise<boolean> {
  const { job } = ctx;
  const { selected } = await selectSource(ctx);
  const names = selected.map((d) => d.name);
  const receives = job.targetPath !== undefined && target !== undefined && !job.noSend;
  const sourceReport = await readAllow(ctx.source, names, receives);
  const targetReport = target && job.targetPath !== undefined
    ? await readAllow(target, [job.targetPath], false)
    : undefined;
  const holds = {
    source: (await ctx.features(ctx.source)).has.holds,
    target: target ? (await ctx.features(target)).has.holds : false,
  };
  const tp = job.targetPath;
  const sourceFeatures = await ctx.features(ctx.source);
  const bookmarks = target !== undefined && tp !== undefined &&
    poolHas(await ctx.features(target), poolOf(tp), BOOKMARK_FEATURE) &&
    names.some((n) => poolHas(sourceFeatures, poolOf(n), BOOKMARK_FEATURE));
  const needs = neededPermissions(job, {
    holds,
    bookmarks,
    sentProperties: [...new Set([...sourceReport.properties.values()].flat())].sort(),
    createsParents: tp !== undefined && names.some((n) => parentOf(targetName(tp, n, job.stripPath)) !== tp),
  });
  const checks = [sideCheck("source", ctx.source, sourceReport, needs.source)];
  if (target && targetReport) checks.push(sideCheck("target", target, targetReport, needs.target));
  ctx.log.title("Permissions");
  const { lines, missing } = permissionReport(checks, {
    verbose: job.verbose,
    receives,
    clearMountpoint: job.clearMountpoint,
  });
  for (const line of lines) print(line);
  return missing;
}
