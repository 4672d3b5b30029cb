/**
 * Comparing two volumes by chunk hashes made on each host, so only hashes cross ssh. The
 * hosts have no Deno, so a shell loop reads each chunk with `dd` (1 MiB reads) into `sha1sum`.
 * Chunks and --skip sampling are zfs-check's for one file: chunk N is bytes N*C..(N+1)*C-1,
 * hashed are chunks 0, S+1, 2(S+1), ... that start before the end. The lines are zfs-check's
 * (`N<TAB>SHA1`), so the output of either side could be checked with `zfs-check --check`.
 */
import { fileEntry, lineFields } from "../check/hash_list.ts";
import { DEVICE_WAIT_MS } from "../check/target.ts";
import { RECORD_PROCESS_GROUP, SCRIPT_EXIT } from "./process_group.ts";

/**
 * The sh script that hashes a device or file (arguments: PATH WORKSPACE CHUNK-BYTES SKIP).
 * It first waits up to zfs-check's DEVICE_WAIT_MS for PATH to appear (a new clone's device node), then prints one
 * line per hashed chunk; see `SCRIPT_EXIT` for its failures. WORKSPACE/pgid holds its process
 * group while it runs.
 */
export const VOLUME_HASH_SCRIPT = `dev=$1 ws=$2 cb=$3 skip=$4
${RECORD_PROCESS_GROUP}i=0
while [ ! -e "$dev" ] && [ $i -lt ${DEVICE_WAIT_MS / 100} ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$dev" ] || exit ${SCRIPT_EXIT.noDevice}
if [ -b "$dev" ]; then
  size=$(blockdev --getsize64 "$dev" 2>"$ws/dd.err") ||
    size=$(($(cat "/sys/class/block/$(basename "$(readlink -f "$dev")")/size" 2>>"$ws/dd.err") * 512)) ||
    { cat "$ws/dd.err" >&2; exit ${SCRIPT_EXIT.readFailed}; }
else
  size=$(stat -L -c %s "$dev") || exit ${SCRIPT_EXIT.readFailed}
fi
n=0
while [ $((n * cb)) -lt "$size" ]; do
  h=$({ dd if="$dev" bs=1048576 iflag=skip_bytes,count_bytes skip=$((n * cb)) count="$cb" 2>"$ws/dd.err"; echo $? >"$ws/dd.rc"; } | sha1sum) || exit ${SCRIPT_EXIT.readFailed}
  [ "$(cat "$ws/dd.rc")" = 0 ] || { cat "$ws/dd.err" >&2; exit ${SCRIPT_EXIT.readFailed}; }
  printf '%s\\t%s\\n' "$n" "\${h%% *}"
  n=$((n + 1 + skip))
done
`;

/** Files the script leaves in the workspace. */
export const VOLUME_HASH_FILES = ["pgid", "dd.err", "dd.rc"] as const;

/**
 * Parses the script's lines (a file's hash list, read as zfs-check --check reads it) into
 * chunk number → hash; throws on any line that is not `N<TAB>SHA1`.
 */
export function parseChunkLines(stdout: string): Map<number, string> {
  const chunks = new Map<number, string>();
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const fields = lineFields(line);
    const entry = fields && fileEntry(fields);
    if (
      !entry || entry.error !== undefined || !/^\d+$/.test(entry.chunk) || !/^[0-9a-f]{40}$/.test(entry.hash)
    ) {
      throw new Error(`Reading chunk hashes failed: unexpected line "${line.slice(0, 80)}"`);
    }
    chunks.set(Number(entry.chunk), entry.hash);
  }
  return chunks;
}

/** Differences between the chunks of two volumes: count and the first `limit` as text. */
export interface VolumeDiff {
  /** Chunks hashed on the source. */
  chunks: number;
  count: number;
  shown: string[];
}

/** Compares chunk hashes (source against target); a chunk on one side only is a difference. */
export function diffChunks(
  source: ReadonlyMap<number, string>,
  target: ReadonlyMap<number, string>,
  chunkBytes: number,
  limit: number,
): VolumeDiff {
  const numbers = [...new Set([...source.keys(), ...target.keys()])].sort((a, b) => a - b);
  const texts: string[] = [];
  for (const n of numbers) {
    const s = source.get(n);
    const t = target.get(n);
    if (s === t) continue;
    const where = `chunk ${n} (from byte ${n * chunkBytes})`;
    if (t === undefined) texts.push(`${where}: only on the source (the target is smaller)`);
    else if (s === undefined) texts.push(`${where}: only on the target (the target is larger)`);
    else texts.push(`${where}: sha1 ${s} != ${t}`);
  }
  return { chunks: source.size, count: texts.length, shown: texts.slice(0, limit) };
}
