/**
 * What a host's zfs can do, found out once per host per run by one probe command. Each probe
 * runs a zfs option against a dataset name that is invalid, with stdin from /dev/null: exit code
 * 0 or 1 ("dataset does not exist") means the option is known, anything else (2 = usage) means
 * it is not. Nothing can change, so the probe also runs in --test mode (upstream skips it there
 * and assumes everything is supported).
 *
 * Probing every option costs a zfs process each (seconds on a slow host), so the answers are
 * cached on this machine (feature_cache.ts) under the host's zfs identity: `zfs version`, the
 * kernel module's version and a checksum of the zfs program. The probe command is handed the
 * identity the cache expects and probes the options only when the host's differs, so a run
 * still needs one command per host, and an upgraded zfs is probed again. Pool features and the
 * names of the imported pools are read on every run.
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
  listParsable: "list -p",
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
const IDENTITY_TAG = "#identity";
/** Marks that the pool list follows, complete (`zpool list` worked), one `#pool NAME` line each. */
const POOLS_TAG = "#pools";
const POOL_TAG = "#pool ";

/** What one host supports. */
export interface HostFeatures {
  /** zfs options and properties this host knows. */
  has: Record<ProbedFeature, boolean>;
  /** Pool name → enabled or active pool features (without the "feature@" prefix). */
  poolFeatures: Map<string, Set<string>>;
  /**
   * Every imported pool, from `zpool list`; undefined when the probe could not list them (then
   * nothing may be left out for lack of a pool name).
   */
  pools: string[] | undefined;
  /** `zfs version` first line, or "" on zfs without that command. */
  version: string;
  /** What the zfs is (see the module comment); the cache key of `has`. */
  identity: string;
}

/** The options of one host, as cached: the zfs identity they were probed for. */
export interface ProbedOptions {
  identity: string;
  has: Record<ProbedFeature, boolean>;
}

/**
 * The single shell script that probes one host. Its first argument is the identity whose
 * options are already known (from the cache): when the host's is the same, the options are not
 * probed again. Run as `sh -c SCRIPT sh IDENTITY`.
 */
export function probeScript(): string {
  const plain = Object.values(PROBES).filter((p) => p !== PROBES.snapshotMany).map((p) => `"${p}"`).join(" ");
  return `v="$(zfs version 2>/dev/null)"; k="$(cat /sys/module/zfs/version 2>/dev/null)"; ` +
    `c="$(cksum < "$(command -v zfs)" 2>/dev/null)"; id="$(printf '%s ' $v $k $c)"; id="\${id% }"; ` +
    `echo "${IDENTITY_TAG} $id"; echo "${VERSION_TAG} $(echo "$v" | head -n 1)"; ` +
    `if [ -z "$1" ] || [ "$id" != "$1" ]; then ` +
    `for p in ${plain}; do zfs $p ${PROBE_DATASET} </dev/null >/dev/null 2>&1; echo "${PROBE_TAG} $p:$?"; done; ` +
    `if zfs snapshot ${PROBE_DATASET}@a ${PROBE_DATASET}/b@a 2>&1 </dev/null | grep -q "too many arguments"; ` +
    `then echo "${PROBE_TAG} ${PROBES.snapshotMany}:2"; else echo "${PROBE_TAG} ${PROBES.snapshotMany}:1"; fi; fi; ` +
    `if p="$(zpool list -H -o name 2>/dev/null)"; then echo "${POOLS_TAG}"; ` +
    `[ -z "$p" ] || printf '%s\\n' "$p" | sed 's/^/${POOL_TAG}/'; fi; ` +
    `zpool get -H -o name,property,value all 2>/dev/null | grep feature@ || true`;
}

/** The probe command, told the identity whose options are `known` (none: probe them all). */
export function probeArgv(known?: ProbedOptions): string[] {
  return ["sh", "-c", probeScript(), "sh", known?.identity ?? ""];
}

/**
 * Parses the probe script's output. `known`: the options the script was told about; used when
 * the identity matched and nothing was probed.
 */
export function parseProbeOutput(stdout: string, known?: ProbedOptions): HostFeatures {
  const codes = new Map<string, number>();
  const poolFeatures = new Map<string, Set<string>>();
  let version = "";
  let identity = "";
  let pools: string[] | undefined;
  for (const line of splitLines(stdout)) {
    if (line === POOLS_TAG) pools = [];
    else if (line.startsWith(POOL_TAG)) pools?.push(line.slice(POOL_TAG.length));
    else if (line.startsWith(`${PROBE_TAG} `)) {
      const body = line.slice(PROBE_TAG.length + 1);
      const colon = body.lastIndexOf(":");
      codes.set(body.slice(0, colon), Number(body.slice(colon + 1)));
    } else if (line.startsWith(IDENTITY_TAG)) {
      identity = line.slice(IDENTITY_TAG.length).trim();
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
  if (codes.size === 0 && known && known.identity === identity) {
    return { has: { ...known.has }, poolFeatures, pools, version, identity };
  }
  const has = Object.fromEntries(
    Object.entries(PROBES).map(([name, args]) => {
      const code = codes.get(args);
      return [name, code === 0 || code === 1];
    }),
  ) as Record<ProbedFeature, boolean>;
  return { has, poolFeatures, pools, version, identity };
}

/**
 * Runs the probe on a host (read-only, so also in --test mode). `known`: the cached options of
 * this host, probed again only when its zfs identity changed.
 */
export async function probeFeatures(host: Host, known?: ProbedOptions): Promise<HostFeatures> {
  const r = await host.run({ argv: probeArgv(known), readonly: true });
  return parseProbeOutput(r.stdout, known);
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
  listParsable: "zfs list -p",
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

/**
 * True when both this zfs's programs and its kernel module are OpenZFS 2.2 or newer: `zfs list`
 * then reads a snapshot's guid and createtxg as cheaply as its name (measured on the 2.3 guest:
 * 57 s with both, 58 s by name only, for 6,000 snapshots). Older ones read every snapshot's
 * statistics for them. Told from the identity (`zfs version`: `zfs-X.Y...` and `zfs-kmod-X.Y...`).
 */
export function listsGuidsCheaply(f: HostFeatures): boolean {
  const atLeast22 = (m: RegExpExecArray | null) =>
    m !== null && (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 2));
  return atLeast22(/(?:^|\s)zfs-(\d+)\.(\d+)/.exec(f.identity)) &&
    atLeast22(/(?:^|\s)zfs-kmod-(\d+)\.(\d+)/.exec(f.identity));
}

/** True when `feature` is enabled or active on `pool` (a pool that was not listed has none). */
export function poolHas(f: HostFeatures, pool: string, feature: string): boolean {
  return f.poolFeatures.get(pool)?.has(feature) ?? false;
}
