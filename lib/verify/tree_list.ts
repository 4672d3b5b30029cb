/**
 * Comparing two file trees without moving their data: each host lists its own tree, with the
 * SHA-1 of every file, into a file on that host, and prints only the list's digest. Equal
 * digests mean equal trees; only when they differ are both lists fetched and compared here.
 *
 * The list has one NUL-terminated record per entry and one per hashed file, sorted bytewise
 * (LC_ALL=C), so it depends only on the tree, never on directory order:
 *
 *     m TYPE MODE SIZE UID GID MTIME LINK PATH   (find -printf; SIZE is "-" for directories,
 *                                                 LINK the target of a symbolic link, whose
 *                                                 length in bytes SIZE gives, else empty)
 *     h SHA1  PATH                               (sha1sum -z of a regular, non-empty file)
 *
 * PATH starts with "./". Not compared: access times, extended attributes and ACLs, hard-link
 * counts and device numbers. The `.zfs` directory is never entered.
 *
 * With `step` > 1 only every step-th non-empty file (in path order) is hashed; every entry's
 * metadata is still listed.
 */
import { showValue } from "../job/show_value.ts";
import { RECORD_PROCESS_GROUP, SCRIPT_EXIT } from "./process_group.ts";

/**
 * The sh script that lists a tree (arguments: ROOT WORKSPACE STEP). It writes the list to
 * WORKSPACE/list and prints `DIGEST ENTRIES HASHED`; see `SCRIPT_EXIT` for its failures. While
 * it runs, WORKSPACE/pgid holds its process group, so an interrupted run can be stopped there.
 */
export const TREE_LIST_SCRIPT = `root=$1 ws=$2 step=$3
${RECORD_PROCESS_GROUP}cd "$root" || exit ${SCRIPT_EXIT.noTree}
LC_ALL=C
export LC_ALL
{
  find . -xdev -path ./.zfs -prune -o -type d -printf 'm d %m - %U %G %T@  %p\\0' -o -printf 'm %y %m %s %U %G %T@ %l %p\\0' 2>"$ws/find.err"
  echo $? >"$ws/find.rc"
  find . -xdev -path ./.zfs -prune -o -type f -size +0c -print0 2>/dev/null | sort -z | sed -z -n "1~\${step}p" |
    { xargs -0r sha1sum -z 2>"$ws/sum.err"; echo $? >"$ws/sum.rc"; } | sed -z 's/^/h /'
} | sort -z >"$ws/list"
if [ "$(cat "$ws/find.rc")" != 0 ] || [ "$(cat "$ws/sum.rc")" != 0 ]; then
  cat "$ws/find.err" "$ws/sum.err" >&2
  exit ${SCRIPT_EXIT.readFailed}
fi
all=$(tr -cd '\\000' <"$ws/list" | wc -c)
hashed=$(sed -z -n '/^h /p' "$ws/list" | tr -cd '\\000' | wc -c)
echo "$(sha1sum <"$ws/list" | cut -c1-40) $((all - hashed)) $((hashed))"
`;

/** Files the script leaves in the workspace (removed by the workspace's cleanup). */
export const TREE_LIST_FILES = ["list", "pgid", "find.err", "find.rc", "sum.err", "sum.rc"] as const;

/** What the script printed: the list's digest and its counts. */
export interface TreeSummary {
  digest: string;
  /** Entries listed (the root included). */
  entries: number;
  /** Files hashed. */
  hashed: number;
}

/** Parses the script's output line; undefined when it is not one. */
export function parseTreeSummary(stdout: string): TreeSummary | undefined {
  const m = /^([0-9a-f]{40}) (\d+) (\d+)\n?$/.exec(stdout);
  return m ? { digest: m[1]!, entries: Number(m[2]), hashed: Number(m[3]) } : undefined;
}

/** One parsed list record. */
export type TreeRecord =
  | {
    kind: "meta";
    path: string;
    type: string;
    mode: string;
    size: string;
    owner: string;
    mtime: string;
    link: string;
  }
  | { kind: "hash"; path: string; sha1: string };

const META = /^m (\S) (\d+) (\S+) (\d+) (\d+) (\S+) ([\s\S]*)$/;
const HASH = /^h ([0-9a-f]{40}) {2}([\s\S]*)$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Parses one record; undefined for text that is not one. */
export function parseRecord(record: string): TreeRecord | undefined {
  const h = HASH.exec(record);
  if (h) return { kind: "hash", sha1: h[1]!, path: h[2]! };
  const m = META.exec(record);
  if (!m) return undefined;
  const [, type, mode, size, uid, gid, mtime, rest] = m as unknown as string[];
  let link = "";
  let path = rest!.slice(1);
  if (type === "l") {
    // LINK is exactly SIZE bytes, so a target that contains spaces still splits right.
    const bytes = encoder.encode(rest!);
    const n = Number(size);
    link = decoder.decode(bytes.subarray(0, n));
    path = decoder.decode(bytes.subarray(n + 1));
  }
  return {
    kind: "meta",
    path,
    type: type!,
    mode: mode!,
    size: size!,
    owner: `${uid}:${gid}`,
    mtime: mtime!,
    link,
  };
}

/** The records of a fetched list (NUL-terminated; a trailing newline added by the transport is ignored). */
export function splitRecords(list: string): string[] {
  const records = list.split("\0");
  const last = records.pop();
  if (last !== undefined && last !== "" && last !== "\n") records.push(last);
  return records;
}

/** The differences between two lists: how many paths differ, and the first `limit` as text. */
export interface TreeDiff {
  count: number;
  shown: string[];
}

interface PathRecords {
  source: { meta?: TreeRecord & { kind: "meta" }; hash?: string };
  target: { meta?: TreeRecord & { kind: "meta" }; hash?: string };
}

/**
 * Compares two lists and describes, per path in sorted order, how the target differs from the
 * source. A file hashed on one side only while its metadata is the same on both is not a
 * difference: with sampling, one extra file elsewhere shifts which files are hashed.
 */
export function diffTreeLists(sourceList: string, targetList: string, limit: number): TreeDiff {
  const sourceRecords = splitRecords(sourceList);
  const targetRecords = splitRecords(targetList);
  const inSource = new Set(sourceRecords);
  const inTarget = new Set(targetRecords);
  const byPath = new Map<string, PathRecords>();
  const note = (record: string, side: "source" | "target") => {
    const r = parseRecord(record) ?? { kind: "meta" as const, ...unparsed(record) };
    let entry = byPath.get(r.path);
    if (!entry) byPath.set(r.path, entry = { source: {}, target: {} });
    if (r.kind === "hash") entry[side].hash = r.sha1;
    else entry[side].meta = r;
  };
  for (const r of sourceRecords) if (!inTarget.has(r)) note(r, "source");
  for (const r of targetRecords) if (!inSource.has(r)) note(r, "target");
  const texts: string[] = [];
  for (const path of [...byPath.keys()].sort(compareBytes)) {
    const text = describe(byPath.get(path)!);
    if (text !== undefined) texts.push(`${showValue(path)}: ${text}`);
  }
  return { count: texts.length, shown: texts.slice(0, limit) };
}

/** A record that does not parse is shown whole, as its own "path". */
function unparsed(record: string) {
  return { path: record, type: "?", mode: "", size: "", owner: "", mtime: "", link: "" };
}

function describe(e: PathRecords): string | undefined {
  const s = e.source.meta;
  const t = e.target.meta;
  if (s && !t) return "only on the source";
  if (t && !s) return "only on the target";
  const parts: string[] = [];
  if (s && t) {
    const fields: Array<[string, string, string]> = [
      ["type", s.type, t.type],
      ["mode", s.mode, t.mode],
      ["size", s.size, t.size],
      ["owner", s.owner, t.owner],
      ["mtime", s.mtime, t.mtime],
      ["link", showValue(s.link), showValue(t.link)],
    ];
    for (const [name, a, b] of fields) if (a !== b) parts.push(`${name} ${a} != ${b}`);
  }
  const sh = e.source.hash;
  const th = e.target.hash;
  if (sh !== undefined && th !== undefined) parts.push(`content (sha1 ${sh} != ${th})`);
  return parts.length ? parts.join(", ") : undefined;
}

/** Orders paths as `sort` with LC_ALL=C does: by UTF-8 bytes. */
function compareBytes(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
