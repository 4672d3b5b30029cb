/**
 * Mounting datasets made by a full receive, the way `zfs mount -a` would: filesystems with
 * canmount=on, a real mountpoint and a loaded key (upstream 3.3, #112). One listing for all,
 * and one shell loop for the mounts (`zfs mount` takes one dataset; a command per dataset
 * doubled the commands of a first run).
 */
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";
import { chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";
import { getRows, groupRows, type Unreadable } from "./get_rows.ts";

/** What `mountable` found: the datasets to mount, and those whose properties cannot be trusted. */
export interface Mountable {
  eligible: string[];
  /** Left unmounted: a property value holds control characters. */
  unreadable: Unreadable[];
}

/** The ones of `datasets` that `zfs mount -a` would mount (read-only, one `zfs get`). */
export async function mountable(
  host: Host,
  datasets: readonly string[],
  encryption: boolean,
): Promise<Mountable> {
  const props = ["type", "canmount", "mountpoint", ...(encryption ? ["keystatus"] : [])];
  const eligible: string[] = [];
  const { rows, unreadable } = await getRows(host, props, datasets, [0, 1]);
  for (const [name, p] of groupRows(rows)) {
    const mp = p.get("mountpoint");
    if (p.get("type") !== "filesystem" || p.get("canmount") !== "on" || mp === "legacy" || mp === "none") {
      continue;
    }
    if (p.get("keystatus") === "unavailable") continue;
    eligible.push(name);
  }
  return { eligible, unreadable };
}

/**
 * Mounts `datasets`; "already mounted" is fine (exit 1 upstream too). Returns one
 * `dataset: message` line per dataset that could not be mounted.
 */
export async function mountAll(host: Host, datasets: readonly string[]): Promise<string[]> {
  const script =
    `for d do out=$(zfs mount "$d" 2>&1) || case "$out" in *"already mounted"*) ;; *) echo "$d: $out";; esac; done`;
  const failures: string[] = [];
  for (const chunk of chunkByLength(datasets)) {
    const r = await runZfs(host, "mount", { argv: ["sh", "-c", script, "sh", ...chunk] });
    failures.push(...splitLines(r.stdout).filter((l) => l.trim() !== ""));
  }
  return failures;
}
