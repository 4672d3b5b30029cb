/**
 * Reading delegated permissions (`zfs allow DATASET`) and who runs the commands on a host, for
 * `--check-permissions`. One read-only command per host (per chunk of datasets): the user and
 * groups, the OS, `zfs allow` of every dataset asked for, and optionally the properties the
 * datasets' streams carry (`zfs send -p` sends the local and received ones). The parsing and
 * the rules of `zfs allow` (local, descendent, sets, groups, everyone) are pure.
 */
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";
import { chunkByLength } from "./batch.ts";
import { runZfs } from "./failure.ts";

/** One `---- Permissions on DATASET ----` block of `zfs allow` output. */
export interface AllowBlock {
  dataset: string;
  /** Permission sets defined here: `@name` → its permissions (may name other sets). */
  sets: Map<string, string[]>;
  /** Grants that apply to the dataset itself / to its descendants (local+descendent in both). */
  local: Grantee[];
  descendent: Grantee[];
}

/** Who a grant is for, and what it grants. */
export interface Grantee {
  kind: "user" | "group" | "everyone";
  /** User or group name (or numeric id when the name is unknown); "" for everyone. */
  name: string;
  permissions: string[];
}

/** A user on a host. */
export interface Identity {
  uid: number;
  user: string;
  groups: string[];
}

/** What a host told about permissions. */
export interface AllowReport {
  identity: Identity;
  /** `uname -s` ("Linux", "FreeBSD", "SunOS"). */
  os: string;
  /** Dataset → its `zfs allow` blocks; undefined when the dataset could not be read (missing). */
  allow: Map<string, AllowBlock[] | undefined>;
  /** Dataset → names of its local and received properties (only when asked for). */
  properties: Map<string, string[]>;
}

/** Section headings of `zfs allow` output, by what they grant. */
const SECTIONS: Readonly<Record<string, "sets" | "create" | "local" | "descendent" | "both">> = {
  "Permission sets:": "sets",
  "Create time permissions:": "create",
  "Local permissions:": "local",
  "Descendent permissions:": "descendent",
  "Local+Descendent permissions:": "both",
};

/** Parses `zfs allow DATASET` output into its blocks (the dataset's own, then its ancestors'). */
export function parseAllow(stdout: string): AllowBlock[] {
  const blocks: AllowBlock[] = [];
  let block: AllowBlock | undefined;
  let section: (typeof SECTIONS)[string] | undefined;
  for (const raw of splitLines(stdout)) {
    const line = raw.trim();
    const head = /^-+ Permissions on (\S+) -*$/.exec(line);
    if (head) {
      block = { dataset: head[1]!, sets: new Map(), local: [], descendent: [] };
      blocks.push(block);
      section = undefined;
      continue;
    }
    if (line in SECTIONS) {
      section = SECTIONS[line];
      continue;
    }
    if (!block || !section || line === "" || section === "create") continue;
    const words = line.split(/\s+/);
    if (section === "sets") {
      const [name, perms = ""] = words;
      if (name?.startsWith("@")) block.sets.set(name, perms.split(",").filter(Boolean));
      continue;
    }
    const grantee = parseGrantee(words);
    if (!grantee) continue;
    if (section === "local" || section === "both") block.local.push(grantee);
    if (section === "descendent" || section === "both") block.descendent.push(grantee);
  }
  return blocks;
}

/** `user NAME perms`, `group NAME perms`, `everyone perms`. */
function parseGrantee(words: string[]): Grantee | undefined {
  const [kind, a, b] = words;
  const split = (s: string | undefined) => (s ?? "").split(",").filter(Boolean);
  if (kind === "everyone") return { kind, name: "", permissions: split(a) };
  if ((kind === "user" || kind === "group") && a !== undefined) {
    return { kind, name: a, permissions: split(b) };
  }
  return undefined;
}

/**
 * The permissions `who` has on `dataset` from its `zfs allow` blocks: grants on the dataset
 * itself (local, local+descendent) and on its ancestors (descendent, local+descendent), to the
 * user, any of their groups or everyone, with permission sets expanded.
 */
export function effectivePermissions(
  dataset: string,
  blocks: readonly AllowBlock[],
  who: Identity,
): Set<string> {
  const out = new Set<string>();
  // The nearest definition of a set wins (the dataset's own, then its parent's, ...).
  const nearest = [...blocks].sort((a, b) => b.dataset.length - a.dataset.length);
  const expand = (perm: string, depth: number) => {
    if (!perm.startsWith("@")) {
      out.add(perm);
      return;
    }
    const defined = nearest.find((b) => b.sets.has(perm))?.sets.get(perm) ?? [];
    if (depth < 8) { for (const p of defined) expand(p, depth + 1); }
  };
  const applies = (g: Grantee) =>
    g.kind === "everyone" ||
    (g.kind === "user" && (g.name === who.user || g.name === String(who.uid))) ||
    (g.kind === "group" && who.groups.includes(g.name));
  for (const block of blocks) {
    const own = block.dataset === dataset;
    if (!own && !dataset.startsWith(`${block.dataset}/`)) continue;
    for (const g of own ? block.local : block.descendent) {
      if (applies(g)) { for (const p of g.permissions) expand(p, 0); }
    }
  }
  return out;
}

/** The shell script behind `readAllow`: markers before each part, so one command reads all. */
export function allowScript(withProperties: boolean): string {
  return [
    `echo "#uid $(id -u)"`,
    `echo "#user $(id -un)"`,
    `echo "#groups $(id -Gn)"`,
    `echo "#os $(uname -s)"`,
    `for d do echo "#allow $d"; zfs allow "$d" 2>&1 || echo "#missing"; done`,
    ...(withProperties
      ? [
        `echo "#properties"`,
        // Old zfs has no "received" source; their streams carry the local ones.
        `zfs get -H -o name,property -s local,received all "$@" 2>/dev/null || zfs get -H -o name,property -s local all "$@"`,
      ]
      : []),
  ].join("; ");
}

/** Parses the output of `allowScript`. */
export function parseAllowReport(stdout: string): AllowReport {
  const report: AllowReport = {
    identity: { uid: -1, user: "", groups: [] },
    os: "",
    allow: new Map(),
    properties: new Map(),
  };
  let current: { dataset: string; lines: string[] } | undefined;
  let inProperties = false;
  const flush = () => {
    if (current) {
      const failed = current.lines.at(-1) === "#missing";
      report.allow.set(current.dataset, failed ? undefined : parseAllow(current.lines.join("\n")));
    }
    current = undefined;
  };
  for (const line of splitLines(stdout)) {
    const marker = /^#(uid|user|groups|os|allow|properties) ?(.*)$/.exec(line);
    if (marker) {
      const [, key, value = ""] = marker;
      if (key === "uid") report.identity.uid = Number(value);
      else if (key === "user") report.identity.user = value;
      else if (key === "groups") report.identity.groups = value.split(/\s+/).filter(Boolean);
      else if (key === "os") report.os = value;
      else if (key === "allow") {
        flush();
        current = { dataset: value, lines: [] };
      } else if (key === "properties") {
        flush();
        inProperties = true;
      }
      continue;
    }
    if (inProperties) {
      const [name, property] = line.split("\t");
      if (!name || !property) continue;
      const list = report.properties.get(name) ?? [];
      list.push(property);
      report.properties.set(name, list);
    } else current?.lines.push(line);
  }
  flush();
  return report;
}

/**
 * Reads who runs commands on `host` and the `zfs allow` output of `datasets` (read-only; one
 * command per chunk of names), plus their local and received properties when asked.
 */
export async function readAllow(
  host: Host,
  datasets: readonly string[],
  withProperties: boolean,
): Promise<AllowReport> {
  const chunks = datasets.length ? chunkByLength(datasets) : [[]];
  let merged: AllowReport | undefined;
  for (const chunk of chunks) {
    const r = await runZfs(host, "allow", {
      argv: ["sh", "-c", allowScript(withProperties && chunk.length > 0), "sh", ...chunk],
      readonly: true,
    });
    const report = parseAllowReport(r.stdout);
    if (!merged) merged = report;
    else {
      for (const [k, v] of report.allow) merged.allow.set(k, v);
      for (const [k, v] of report.properties) merged.properties.set(k, v);
    }
  }
  return merged!;
}
