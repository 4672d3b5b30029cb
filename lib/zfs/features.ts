/**
 * What a host's zfs can do, found out once per host per run by one probe command. Each probe
 * runs a zfs option against a dataset name that is invalid, with stdin from /dev/null: exit code
 * 0 or 1 ("dataset does not exist") means the option is known, anything else (2 = usage) means
 * it is not. Nothing can change, so the probe also runs in --test mode (upstream skips it there
 * and assumes everything is supported).
 */
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";

/** The probes, by feature name: the zfs arguments tried. */
export const PROBES = {
  sendLargeBlocks: "send -L",
  sendEmbedded: "send -e",
  sendCompressed: "send -c",
  sendRaw: "send -w",
  sendParsable: "send -P",
  recvResumable: "recv -s",
  recvNoMount: "recv -u",
  recvExclude: "recv -x mountpoint",
  recvSet: "recv -o canmount=off",
  getTypes: "get -t filesystem written",
  written: "get written",
  resumeToken: "get receive_resume_token",
  encryption: "get encryption",
  holds: "holds -H",
  /** Several snapshots in one `zfs snapshot` (old zfs takes one): told apart by the message. */
  snapshotMany: "snapshot many",
} as const;

/** A feature that can be probed. */
export type ProbedFeature = keyof typeof PROBES;

/**
 * `%` is not allowed in ZFS names, so no dataset of this name can ever exist and the probe's
 * `zfs snapshot` and `zfs recv` can never change anything, even in --test mode. Measured: zfs
 * parses its options before it looks at the name, so the exit codes tell options apart as with
 * a valid name (OpenZFS 2.3.2: "dataset does not exist", 1; zfs-fuse 0.7: usage, 2).
 */
const PROBE_DATASET = "zfs_autobackup%probe";
const PROBE_TAG = "#probe";
const VERSION_TAG = "#version";

/** What one host supports. */
export interface HostFeatures {
  /** zfs options and properties this host knows. */
  has: Record<ProbedFeature, boolean>;
  /** Pool name → enabled or active pool features (without the "feature@" prefix). */
  poolFeatures: Map<string, Set<string>>;
  /** `zfs version` first line, or "" on zfs without that command. */
  version: string;
}

/** The single shell script that probes everything on one host. */
export function probeScript(): string {
  const plain = Object.values(PROBES).filter((p) => p !== PROBES.snapshotMany).map((p) => `"${p}"`).join(" ");
  return `for p in ${plain}; do zfs $p ${PROBE_DATASET} </dev/null >/dev/null 2>&1; echo "${PROBE_TAG} $p:$?"; done; ` +
    `if zfs snapshot ${PROBE_DATASET}@a ${PROBE_DATASET}/b@a 2>&1 </dev/null | grep -q "too many arguments"; ` +
    `then echo "${PROBE_TAG} ${PROBES.snapshotMany}:2"; else echo "${PROBE_TAG} ${PROBES.snapshotMany}:1"; fi; ` +
    `echo "${VERSION_TAG} $(zfs version 2>/dev/null | head -n 1)"; ` +
    `zpool get -H -o name,property,value all 2>/dev/null | grep feature@ || true`;
}

/** Parses the probe script's output. */
export function parseProbeOutput(stdout: string): HostFeatures {
  const codes = new Map<string, number>();
  const poolFeatures = new Map<string, Set<string>>();
  let version = "";
  for (const line of splitLines(stdout)) {
    if (line.startsWith(`${PROBE_TAG} `)) {
      const body = line.slice(PROBE_TAG.length + 1);
      const colon = body.lastIndexOf(":");
      codes.set(body.slice(0, colon), Number(body.slice(colon + 1)));
    } else if (line.startsWith(VERSION_TAG)) {
      version = line.slice(VERSION_TAG.length).trim();
    } else {
      const [pool, prop, value] = line.split("\t");
      if (!pool || !prop?.startsWith("feature@") || (value !== "enabled" && value !== "active")) continue;
      let set = poolFeatures.get(pool);
      if (!set) poolFeatures.set(pool, set = new Set());
      set.add(prop.slice("feature@".length));
    }
  }
  const has = Object.fromEntries(
    Object.entries(PROBES).map(([name, args]) => {
      const code = codes.get(args);
      return [name, code === 0 || code === 1];
    }),
  ) as Record<ProbedFeature, boolean>;
  return { has, poolFeatures, version };
}

/** Runs the probe on a host (read-only, so also in --test mode). */
export async function probeFeatures(host: Host): Promise<HostFeatures> {
  const r = await host.run({ argv: ["sh", "-c", probeScript()], readonly: true });
  return parseProbeOutput(r.stdout);
}

/** Human names of missing features, for the one verbose note per host. */
export const FEATURE_NAMES: Record<ProbedFeature, string> = {
  sendLargeBlocks: "zfs send -L",
  sendEmbedded: "zfs send -e",
  sendCompressed: "zfs send -c",
  sendRaw: "raw sends (zfs send -w)",
  sendParsable: "zfs send -P (transfer progress)",
  recvResumable: "resumable receive (zfs recv -s)",
  recvNoMount: "zfs recv -u",
  recvExclude: "zfs recv -x",
  recvSet: "zfs recv -o",
  getTypes: "zfs get -t",
  written: "the written property (--min-change, --exclude-unchanged)",
  resumeToken: "resume tokens",
  encryption: "encryption",
  holds: "holds",
  snapshotMany: "several snapshots in one zfs snapshot (snapshots are not atomic across datasets)",
};

/** Lists what a host lacks, in a stable order. */
export function missingFeatures(f: HostFeatures): string[] {
  return (Object.keys(PROBES) as ProbedFeature[]).filter((k) => !f.has[k]).map((k) => FEATURE_NAMES[k]);
}

/** True when `feature` is enabled or active on `pool` (a pool that was not listed has none). */
export function poolHas(f: HostFeatures, pool: string, feature: string): boolean {
  return f.poolFeatures.get(pool)?.has(feature) ?? false;
}
