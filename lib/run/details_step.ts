/**
 * Reading the snapshot properties the plans need (sync/details.ts): the guids of the common
 * snapshot candidates on both sides and `written` of the target snapshots after them, for all
 * datasets in one `zfs get` per side, again only when a candidate's guid did not match.
 */
import type { Dataset, Snapshot } from "../zfs/listing.ts";
import { getSnapshotDetails } from "../zfs/listing.ts";
import { detailsNeeded, detailsPending } from "../sync/details.ts";
import type { Host } from "../exec/host.ts";
import type { RunContext } from "./context.ts";

/** Rounds before the remaining unknown guids count as mismatches (each round looks one match older). */
const MAX_ROUNDS = 20;

/** The requested snapshots of one side, by full name, with their dataset. */
type Wanted = Map<string, { ds: Dataset; s: Snapshot }>;

function want(wanted: Wanted, ds: Dataset, names: readonly string[]): void {
  for (const name of names) {
    const s = ds.snapshots.find((x) => x.name === name);
    if (s) wanted.set(`${ds.name}@${name}`, { ds, s });
  }
}

/**
 * Fills in what was read. A snapshot zfs did not report was destroyed meanwhile: it leaves its
 * dataset's list, so no plan takes it for the common snapshot (its guid would be unknown).
 */
async function fill(ctx: RunContext, host: Host, wanted: Wanted): Promise<void> {
  if (wanted.size === 0) return;
  const details = await getSnapshotDetails(host, await ctx.features(host), [...wanted.keys()]);
  for (const [full, { ds, s }] of wanted) {
    const d = details.get(full);
    if (d === undefined) {
      ds.snapshots = ds.snapshots.filter((x) => x !== s);
      continue;
    }
    s.guid = d.guid;
    s.written = d.written;
    s.userrefs = d.userrefs;
    delete s.details;
  }
}

/**
 * Reads what the common-snapshot search and the incompatible check of each of `selected` still
 * need, with `targetOf` giving its dataset on `target` (undefined: not there yet, nothing to
 * read). Every consumer of a listing that compares guids calls this first (backup, --monitor).
 */
export async function readDetails(
  ctx: RunContext,
  target: Host,
  selected: readonly Dataset[],
  targetOf: (source: string) => Dataset | undefined,
): Promise<void> {
  const guidCheck = !ctx.job.noGuidCheck;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const source: Wanted = new Map();
    const wantedOnTarget: Wanted = new Map();
    for (const ds of selected) {
      const tgt = targetOf(ds.name);
      if (!tgt) continue;
      const need = detailsNeeded(ds.snapshots, tgt.snapshots, guidCheck);
      want(source, ds, need.source);
      want(wantedOnTarget, tgt, need.target);
    }
    if (source.size === 0 && wantedOnTarget.size === 0) return;
    await Promise.all([fill(ctx, ctx.source, source), fill(ctx, target, wantedOnTarget)]);
  }
  // Give up on what is left: an unknown guid never matches, unknown written counts as written.
  for (const ds of selected) {
    for (const s of ds.snapshots) if (detailsPending(s)) delete s.details;
    for (const s of targetOf(ds.name)?.snapshots ?? []) if (detailsPending(s)) delete s.details;
  }
}
