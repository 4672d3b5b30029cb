/** `zfs create` of target parents and `zfs rollback`. */
import type { Host } from "../exec/host.ts";
import { runZfs } from "./failure.ts";

/** Creates a parent dataset on the target; parents get canmount=off (upstream 3.3, #112). */
export async function createParent(host: Host, name: string): Promise<void> {
  await runZfs(host, "create", { argv: ["zfs", "create", "-o", "canmount=off", name] });
}

/** Rolls `dataset` back to its snapshot `snapshot` (short name). */
export async function rollback(host: Host, dataset: string, snapshot: string): Promise<void> {
  await runZfs(host, "rollback", { argv: ["zfs", "rollback", `${dataset}@${snapshot}`] });
}
