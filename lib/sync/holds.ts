/** Whose holds keep a snapshot from being destroyed (pure). */
import type { Snapshot } from "../zfs/listing.ts";

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
      keep.set(full, "common snapshot");
      continue;
    }
    if (tags.has(tag)) release.push(full);
    const others = [...tags].filter((t) => t !== tag);
    if (others.length) keep.set(full, `held by ${others.join(", ")}`);
  }
  return { release, keep };
}
