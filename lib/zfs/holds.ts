/**
 * `zfs hold`, `zfs release` and `zfs holds`, each batched into as few calls as the command line
 * allows. Exit code 1 ("tag already exists", "no such tag" for some snapshots) means the rest
 * were done, so it is accepted.
 */
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";
import { ARG_BUDGET, chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";

/** `zfs hold TAG snap...`, split when long. */
export function holdCommands(tag: string, snapshots: readonly string[]): string[][] {
  return chunkByLength(snapshots, ARG_BUDGET - tag.length).map((c) => ["zfs", "hold", tag, ...c]);
}

/** `zfs release TAG snap...`, split when long. */
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

/** Places hold `tag` on full snapshot names. */
export async function hold(host: Host, tag: string, snapshots: readonly string[]): Promise<void> {
  for (const argv of holdCommands(tag, snapshots)) await runZfs(host, "hold", { argv, allowed: [0, 1] });
}

/** Releases hold `tag` from full snapshot names. */
export async function release(host: Host, tag: string, snapshots: readonly string[]): Promise<void> {
  for (const argv of releaseCommands(tag, snapshots)) {
    await runZfs(host, "release", { argv, allowed: [0, 1] });
  }
}

/** Tags per held snapshot (read-only; snapshots gone meanwhile are simply missing). */
export async function listHolds(
  host: Host,
  snapshots: readonly string[],
): Promise<Map<string, Set<string>>> {
  const holds = new Map<string, Set<string>>();
  for (const argv of holdsCommands(snapshots)) {
    const r = await runZfs(host, "holds", { argv, readonly: true, allowed: [0, 1] });
    for (const [name, tags] of parseHolds(r.stdout)) holds.set(name, tags);
  }
  return holds;
}
