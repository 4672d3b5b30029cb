/** Whose holds keep a snapshot from being destroyed (pure). */
import type { Snapshot } from "../zfs/listing.ts";

/** Why snapshot-only mode keeps a snapshot that carries our hold (or our sent mark). */
export const COMMON_SNAPSHOT = "common snapshot";

/** True when the listing says someone (maybe us) holds the snapshot. */
export function isHeld(s: Snapshot): boolean {
  return (s.userrefs ?? 0) > 0;
}

/**
 * What to do with held snapshots that are about to be destroyed. Our tag is released (unless
 * `keepOwn`: snapshot-only mode keeps the common snapshot of a backup), also where someone else
 * holds the snapshot too, as upstream's destroy does; another tag keeps the snapshot. `holds` is
 * undefined when this zfs cannot list holds (zfs-fuse): nobody can tell whose hold it is, so the
 * snapshot is kept. Returns what to release and what to keep, with why.
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
      keep.set(full, COMMON_SNAPSHOT);
      continue;
    }
    if (tags.has(tag)) release.push(full);
    const others = [...tags].filter((t) => t !== tag);
    if (others.length) keep.set(full, `held by ${others.join(", ")}`);
  }
  return { release, keep };
}

/**
 * Where zfs has no holds, a backup marks the source snapshot it sent last with a user property
 * (`<selection property>:sent`), so snapshot-only thinning still knows which snapshot the next
 * backup needs. The newest marked snapshot of each dataset is that one; older marks are left
 * behind and mean nothing. Returns full names.
 */
export function newestMarked(
  datasets: readonly { name: string; snapshots: readonly { name: string }[] }[],
  marked: ReadonlySet<string>,
): Set<string> {
  const keep = new Set<string>();
  for (const ds of datasets) {
    const newest = ds.snapshots.findLast((s) => marked.has(`${ds.name}@${s.name}`));
    if (newest) keep.add(`${ds.name}@${newest.name}`);
  }
  return keep;
}
