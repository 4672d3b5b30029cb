/**
 * Reading the snapshot properties the plans need (sync/details.ts): the guids of the common
 * point candidates (snapshots and bookmarks) on both sides and `written` of the target snapshots
 * after them, for all datasets in one `zfs get` per side, again only when a candidate's guid did
 * not match.
 */
import type { Bookmark, Dataset, Snapshot } from "../zfs/listing.ts";
import { getSnapshotDetails } from "../zfs/listing.ts";
import {
  alignBookmarks,
  bookmarkStemOf,
  detailsNeeded,
  detailsPending,
  type DetailsRules,
  writtenPending,
} from "../sync/details.ts";
import type { Host } from "../exec/host.ts";
import type { RunContext } from "./context.ts";

/** Rounds before the remaining unknown guids count as mismatches (each round looks one match older). */
const MAX_ROUNDS = 20;

/** The requested snapshots and bookmarks of one side, by full name, with their dataset. */
type Wanted = Map<string, { ds: Dataset; s: Snapshot | Bookmark }>;

function want(wanted: Wanted, ds: Dataset, names: readonly string[], kind: "@" | "#"): void {
  const list: readonly (Snapshot | Bookmark)[] = kind === "@" ? ds.snapshots : ds.bookmarks;
  for (const name of names) {
    const s = list.find((x) => x.name === name);
    if (s) wanted.set(`${ds.name}${kind}${name}`, { ds, s });
  }
}

/**
 * Fills in what was read. A snapshot or bookmark zfs did not report was destroyed meanwhile: it
 * leaves its dataset's list, so no plan takes it for the common point (its guid would be
 * unknown).
 */
async function fill(ctx: RunContext, host: Host, wanted: Wanted): Promise<void> {
  if (wanted.size === 0) return;
  const details = await getSnapshotDetails(host, await ctx.features(host), [...wanted.keys()]);
  for (const [full, { ds, s }] of wanted) {
    const d = details.get(full);
    if (d === undefined) {
      if (full.includes("#")) ds.bookmarks = ds.bookmarks.filter((x) => x !== s);
      else ds.snapshots = ds.snapshots.filter((x) => x !== s);
      continue;
    }
    s.guid = d.guid;
    if ("userrefs" in s) {
      s.written = d.written;
      s.userrefs = d.userrefs;
    }
    delete s.details;
  }
}

/**
 * Reads what the common-point search and the incompatible check of each of `selected` still
 * need, with `targetOf` giving its dataset on `target` (undefined: not there yet, nothing to
 * read). Every consumer of a listing that compares guids calls this first (backup, --monitor,
 * zfs-autoverify).
 */
export async function readDetails(
  ctx: RunContext,
  target: Host,
  selected: readonly Dataset[],
  targetOf: (source: string) => Dataset | undefined,
): Promise<void> {
  const rules: DetailsRules = {
    guidCheck: !ctx.job.noGuidCheck,
    untagged: (name) => ctx.job.snapshotFormat.untagged(name),
    bookmarkStem: bookmarkStemOf(ctx.job.tagSeparator),
  };
  let settled = false;
  for (let round = 0; round < MAX_ROUNDS && !settled; round++) {
    const source: Wanted = new Map();
    const wantedOnTarget: Wanted = new Map();
    for (const ds of selected) {
      const tgt = targetOf(ds.name);
      if (!tgt) continue;
      const need = detailsNeeded(ds, tgt.snapshots, rules);
      want(source, ds, need.source, "@");
      want(source, ds, need.sourceBookmarks, "#");
      want(wantedOnTarget, tgt, need.target, "@");
    }
    settled = source.size === 0 && wantedOnTarget.size === 0;
    if (!settled) await Promise.all([fill(ctx, ctx.source, source), fill(ctx, target, wantedOnTarget)]);
  }
  for (const ds of selected) {
    if (!settled) {
      // Give up on what is left: an unknown guid never matches, unknown written counts as written.
      for (const s of ds.snapshots) if (writtenPending(s)) delete s.details;
      for (const b of ds.bookmarks) if (detailsPending(b)) delete b.details;
      for (const s of targetOf(ds.name)?.snapshots ?? []) if (writtenPending(s)) delete s.details;
    }
    alignBookmarks(ds);
  }
}
