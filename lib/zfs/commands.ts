/** Argv builders for the batched mutating zfs commands (holds, releases, destroys). */
import { ARG_BUDGET, chunkByLength } from "./batch.ts";
import { splitLines } from "../exec/lines.ts";

/** `zfs hold TAG snap...`, split when long. Exit 1 ("tag already exists") is tolerated by callers. */
export function holdCommands(tag: string, snapshots: readonly string[]): string[][] {
  return chunkByLength(snapshots, ARG_BUDGET - tag.length).map((c) => ["zfs", "hold", tag, ...c]);
}

/** `zfs release TAG snap...`, split when long. Exit 1 ("no such tag") is tolerated by callers. */
export function releaseCommands(tag: string, snapshots: readonly string[]): string[][] {
  return chunkByLength(snapshots, ARG_BUDGET - tag.length).map((c) => ["zfs", "release", tag, ...c]);
}

/** `zfs holds -H snap...`, split when long. */
export function holdsCommands(snapshots: readonly string[]): string[][] {
  return chunkByLength(snapshots).map((c) => ["zfs", "holds", "-H", ...c]);
}

/** Parses `zfs holds -H` output into snapshot → tags. */
export function parseHolds(stdout: string): Map<string, Set<string>> {
  const holds = new Map<string, Set<string>>();
  for (const line of splitLines(stdout)) {
    const [name, tag] = line.split("\t");
    if (!name || tag === undefined) continue;
    let tags = holds.get(name);
    if (!tags) holds.set(name, tags = new Set());
    tags.add(tag);
  }
  return holds;
}

/**
 * `zfs destroy DS@a,b,c`: one call per dataset (split when long). OpenZFS destroys such a list
 * atomically: one undeletable snapshot fails the whole call, so callers fall back to one call
 * per snapshot on failure (old zfs also lacks the comma form).
 */
export function destroySnapshotCommands(dataset: string, names: readonly string[]): string[][] {
  return destroyChunks(dataset, names).map((c) => destroyArgv(dataset, c));
}

/** `names` split so that each `zfs destroy ds@a,b,c` fits one command line. */
export function destroyChunks(dataset: string, names: readonly string[]): string[][] {
  return chunkByLength(names, ARG_BUDGET - dataset.length);
}

/** `zfs destroy ds@a,b,c` (one snapshot: `zfs destroy ds@a`). */
export function destroyArgv(dataset: string, names: readonly string[]): string[] {
  return ["zfs", "destroy", `${dataset}@${names.join(",")}`];
}
