/** `zfs snapshot`: one call makes the snapshots of a pool atomically. */
import type { Host } from "../exec/host.ts";
import { runZfs } from "./failure.ts";

/** One `zfs snapshot` call, as the snapshot planner lays it out. */
export interface SnapshotCall {
  pool: string;
  /** `-r`: each name also snapshots everything below its dataset. */
  recursive: boolean;
  /** Full snapshot names (`ds@name`). */
  snapshots: string[];
  /** `-o P=V` properties of the new snapshots. */
  properties: readonly { name: string; value: string }[];
  /** Datasets this call snapshots (for logging and the in-memory model). */
  datasets: string[];
}

/** `zfs snapshot [-o P=V]... [-r] ds@name...`. */
export function snapshotArgv(call: SnapshotCall): string[] {
  const props = call.properties.flatMap((p) => ["-o", `${p.name}=${p.value}`]);
  return ["zfs", "snapshot", ...props, ...(call.recursive ? ["-r"] : []), ...call.snapshots];
}

/** Runs one snapshot call. */
export async function createSnapshots(host: Host, call: SnapshotCall): Promise<void> {
  await runZfs(host, "snapshot", { argv: snapshotArgv(call) });
}
