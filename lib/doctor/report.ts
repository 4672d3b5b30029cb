/**
 * The text `--check-permissions` prints (pure): per side who runs the commands, what is
 * missing where, the ready `zfs allow` lines, and the Linux mount limit.
 */
import type { Identity } from "../zfs/allow.ts";
import { type Grant, grantCommand } from "./grants.ts";
import type { Need, Side } from "./needed.ts";

/** What was found on one side. */
export interface SideCheck {
  side: Side;
  /** The ssh address, or undefined for this machine. */
  address: string | undefined;
  identity: Identity;
  /** `uname -s` of the host. */
  os: string;
  needs: Need[];
  /** Missing permissions (empty for root). */
  grants: Grant[];
  /** Datasets the permissions are needed on that do not exist. */
  absent: string[];
}

/** Switches of the report. */
export interface ReportOptions {
  /** Also list every needed permission with its reason. */
  verbose: boolean;
  /** The run receives (so the mount limit matters). */
  receives: boolean;
  clearMountpoint: boolean;
}

const LABEL: Readonly<Record<Side, string>> = { source: "Source", target: "Target" };

/** True when the side is root (zfs allow does not apply). */
function isRoot(c: SideCheck): boolean {
  return c.identity.uid === 0;
}

/** The report lines and whether anything is missing. */
export function permissionReport(
  checks: readonly SideCheck[],
  opts: ReportOptions,
): { lines: string[]; missing: boolean } {
  const lines: string[] = [];
  const commands: string[] = [];
  let missing = false;
  for (const c of checks) {
    const label = `[${LABEL[c.side]}]`;
    const where = c.address ?? "this machine";
    if (isRoot(c)) {
      lines.push(`${label} ${where}: runs as root, which needs no zfs allow`);
      continue;
    }
    const groups = c.identity.groups.length ? ` (groups ${c.identity.groups.join(", ")})` : "";
    lines.push(`${label} ${where}: runs as user ${c.identity.user}${groups}`);
    if (opts.verbose) {
      for (const n of c.needs) lines.push(`${label} needs ${n.permission}: ${n.why}`);
    }
    for (const d of c.absent) {
      missing = true;
      lines.push(`${label} ${d}: does not exist (create it as root, then grant on it)`);
    }
    for (const g of c.grants) lines.push(`${label} ${g.dataset}: missing ${g.permissions.join(", ")}`);
    if (c.grants.length === 0 && c.absent.length === 0) {
      lines.push(`${label} every permission this run needs is delegated`);
    }
    if (c.grants.length) {
      missing = true;
      commands.push(`# on the ${c.side} (${where}), as root:`);
      for (const g of c.grants) commands.push(grantCommand(c.identity.user, g));
    }
    if (c.side === "target" && opts.receives && c.os === "Linux" && !opts.clearMountpoint) {
      lines.push(
        `${label} NOTE: on Linux only root can mount, so received datasets stay unmounted and mounting them ` +
          `fails: use --clear-mountpoint (receives with canmount=noauto), or set canmount=noauto on the ` +
          `datasets already received`,
      );
    }
  }
  if (commands.length) lines.push("", "Missing permissions:", ...commands);
  return { lines, missing };
}
