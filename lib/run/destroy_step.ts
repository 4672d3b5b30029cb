/**
 * Destroying snapshots the way upstream does it: our own hold (`zfs_autobackup:NAME`) is
 * released first, so a hold we left behind (an interrupted run, a target that was re-sent, a
 * switch to --no-holds) never blocks our own thinning; a hold by anyone else keeps the snapshot.
 * Holds are looked up in one batched `zfs holds`, and only for snapshots whose `userrefs` says
 * they are held, so a normal run costs no extra command.
 */
import type { Host } from "../exec/host.ts";
import type { Dataset, Snapshot } from "../zfs/listing.ts";
import { holdsCommands, parseHolds, releaseCommands } from "../zfs/commands.ts";
import { type DestroyOutcome, destroySnapshots } from "../zfs/destroy.ts";
import type { RunContext } from "./context.ts";

/** Tags per held snapshot, from one batched `zfs holds -H` (only snapshots with holds are asked). */
export async function listHolds(host: Host, snapshots: readonly string[]): Promise<Map<string, Set<string>>> {
  const holds = new Map<string, Set<string>>();
  for (const argv of holdsCommands(snapshots)) {
    const r = await host.run({ argv, readonly: true, allowed: [0, 1] });
    for (const [name, tags] of parseHolds(r.stdout)) holds.set(name, tags);
  }
  return holds;
}

/**
 * What to do with held snapshots that are about to be destroyed (pure). Our tag is released
 * (unless `keepOwn`: snapshot-only mode keeps the common snapshot of a backup), also where
 * someone else holds the snapshot too, as upstream's destroy does; another tag keeps the
 * snapshot. `holds` is undefined when this zfs cannot list holds (zfs-fuse): nobody can tell
 * whose hold it is, so the snapshot is kept. Returns what to release and what to keep, with why.
 */
export function judgeHolds(
  held: readonly string[],
  holds: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  tag: string,
  keepOwn: boolean,
): { release: string[]; keep: Map<string, string> } {
  const release: string[] = [];
  const keep = new Map<string, string>();
  for (const full of held) {
    const tags = holds?.get(full);
    if (!holds) {
      keep.set(full, "held; this zfs cannot tell by whom");
      continue;
    }
    if (!tags) continue; // Released meanwhile.
    if (tags.has(tag) && keepOwn) {
      keep.set(full, "common snapshot");
      continue;
    }
    if (tags.has(tag)) release.push(full);
    const others = [...tags].filter((t) => t !== tag);
    if (others.length) keep.set(full, `held by ${others.join(", ")}`);
  }
  return { release, keep };
}

/**
 * Releases our tag from the held snapshots among those about to be destroyed (full names),
 * in one `zfs holds` and one `zfs release` per host. Returns the snapshots that must be kept,
 * with the reason, and logs each as "Keeping (...)".
 */
export async function releaseOwnHolds(
  ctx: RunContext,
  host: Host,
  held: readonly string[],
  keepOwn: boolean,
): Promise<Map<string, string>> {
  if (held.length === 0) return new Map();
  const canList = (await ctx.features(host)).has.holds;
  const holds = canList ? await listHolds(host, held) : undefined;
  const { release, keep } = judgeHolds(held, holds, ctx.holdTag, keepOwn);
  for (const [full, why] of keep) ctx.log.verbose(`[${host.label}] ${full}: Keeping (${why})`);
  for (const argv of releaseCommands(ctx.holdTag, release)) await host.run({ argv, allowed: [0, 1] });
  return keep;
}

/**
 * Destroys snapshots of one dataset where a failure must not stop the run (thinning, the
 * pre-clean before a sync, obsolete snapshots after it): each failure is logged on stderr.
 * The caller has dealt with holds (see destroyReleasing). Updates `ds.snapshots`.
 */
export async function destroyLogged(
  ctx: RunContext,
  host: Host,
  ds: Dataset,
  names: readonly string[],
): Promise<DestroyOutcome> {
  const out = await destroySnapshots(host, ds.name, names, ctx.noBatchDestroy);
  for (const f of out.failed) {
    ctx.log.error(`[${host.label}] ${ds.name}@${f.name}: Cannot destroy: ${f.error}`);
  }
  const gone = new Set(out.destroyed);
  ds.snapshots = ds.snapshots.filter((s) => !gone.has(s.name));
  return out;
}

/** True when the listing says someone (maybe us) holds the snapshot. */
export function isHeld(s: Snapshot): boolean {
  return (s.userrefs ?? 0) > 0;
}

/** A destroy that also reports the snapshots kept because someone else holds them. */
export interface ReleasingOutcome extends DestroyOutcome {
  kept: { name: string; reason: string }[];
}

/**
 * Destroys `names` of `ds`, releasing our hold first where the listing says a snapshot is held
 * (`released`: full names whose hold this run already released). Snapshots held by others are
 * kept and reported; destroy failures are logged. Updates `ds.snapshots`.
 */
export async function destroyReleasing(
  ctx: RunContext,
  host: Host,
  ds: Dataset,
  names: readonly string[],
  released: ReadonlySet<string> = new Set(),
): Promise<ReleasingOutcome> {
  const wanted = new Set(names);
  const held = ds.snapshots
    .filter((s) => wanted.has(s.name) && isHeld(s))
    .map((s) => `${ds.name}@${s.name}`)
    .filter((full) => !released.has(full));
  const keep = await releaseOwnHolds(ctx, host, held, false);
  const go = names.filter((n) => !keep.has(`${ds.name}@${n}`));
  const out = go.length ? await destroyLogged(ctx, host, ds, go) : { destroyed: [], failed: [] };
  const kept = [...keep].map(([full, reason]) => ({ name: full.slice(ds.name.length + 1), reason }));
  return { ...out, kept };
}

/**
 * The destroys of a sync (pre-clean, then the snapshots that became obsolete): logged as one
 * "Destroying a, b" line, our holds released first, failures logged and not fatal.
 */
export async function destroyObsolete(
  ctx: RunContext,
  host: Host,
  ds: Dataset,
  names: readonly string[],
  released?: ReadonlySet<string>,
): Promise<void> {
  if (names.length === 0) return;
  ctx.log.verbose(`[${host.label}] ${ds.name}: Destroying ${names.join(", ")}`);
  await destroyReleasing(ctx, host, ds, names, released);
}
