/**
 * The sent mark: a user property on the source snapshot a backup sent last, set only where zfs
 * has no holds (see `newestMarked` in sync/holds.ts for what it protects). Batched like holds.
 */
import type { Host } from "../exec/host.ts";
import { ARG_BUDGET, chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";
import { getRows } from "./get_rows.ts";

/** The mark's property: the selection property with `:sent` (still a valid user property). */
export function sentMarkProperty(selectionProperty: string): string {
  return `${selectionProperty}:sent`;
}

/** `zfs set PROP=VALUE snap...` on full snapshot names, split when long. */
export function markCommands(property: string, value: string, snapshots: readonly string[]): string[][] {
  const assignment = `${property}=${value}`;
  return chunkByLength(snapshots, ARG_BUDGET - assignment.length).map((
    c,
  ) => ["zfs", "set", assignment, ...c]);
}

/** Marks full snapshot names as sent (to `value`, the TARGET-PATH). */
export async function markSent(
  host: Host,
  property: string,
  value: string,
  snapshots: readonly string[],
): Promise<void> {
  for (const argv of markCommands(property, value, snapshots)) await runZfs(host, "userprop", { argv });
}

/**
 * The ones of `snapshots` (full names) that carry the mark, in one `zfs get` (read-only). A mark
 * whose value holds control characters does not count.
 */
export async function listMarked(
  host: Host,
  property: string,
  snapshots: readonly string[],
): Promise<Set<string>> {
  if (snapshots.length === 0) return new Set();
  const { rows } = await getRows(host, [property], snapshots, [0, 1]);
  return new Set(rows.filter((r) => r.value !== "-" && r.value !== "").map((r) => r.name));
}
