/**
 * `zfs send` and `zfs recv` argv for one stream (pure), and the two small commands around them:
 * what a resume token would send, and aborting an interrupted receive.
 */
import type { Host } from "../exec/host.ts";
import { runZfs } from "./failure.ts";

/** Send flags decided once per dataset. */
export interface SendFlags {
  largeBlocks: boolean;
  embedded: boolean;
  compressed: boolean;
  raw: boolean;
  /** `-p`: send properties (not when decrypting an encrypted dataset). */
  properties: boolean;
  /** `-v -P`: progress lines on stderr. */
  progress: boolean;
}

/** Receive flags decided once per dataset. */
export interface RecvFlags {
  noMount: boolean;
  resumable: boolean;
  force: boolean;
  exclude: string[];
  set: string[];
}

/**
 * `zfs send` argv for `dataset@snapshot`, incremental from `from` (a short snapshot name, a full
 * `ds#bookmark`, or a full `ds@snap` origin of a clone), or the stream a resume token describes.
 * `range`: `-I`, the stream also carries every snapshot between `from` and `snapshot` (zfs sends
 * no range from a bookmark).
 */
export function sendArgv(
  flags: SendFlags,
  dataset: string,
  snapshot: string,
  from: string | undefined,
  resumeToken?: string,
  range = false,
): string[] {
  const argv = ["zfs", "send"];
  if (flags.largeBlocks) argv.push("-L");
  if (flags.embedded) argv.push("-e");
  if (flags.compressed) argv.push("-c");
  if (flags.raw) argv.push("--raw");
  if (flags.progress) argv.push("-v", "-P");
  if (resumeToken !== undefined) return [...argv, "-t", resumeToken];
  if (flags.properties) argv.push("-p");
  // A full name (a bookmark `ds#bm`, a clone's origin `other@snap`) goes as it is.
  if (from !== undefined) argv.push(range ? "-I" : "-i", /[@#]/.test(from) ? from : `@${from}`);
  argv.push(`${dataset}@${snapshot}`);
  return argv;
}

/** `zfs recv` argv into `target`. */
export function recvArgv(flags: RecvFlags, target: string): string[] {
  const argv = ["zfs", "recv"];
  if (flags.noMount) argv.push("-u");
  for (const p of flags.exclude) argv.push("-x", p);
  for (const p of flags.set) argv.push("-o", p);
  argv.push("-v");
  if (flags.force) argv.push("-F");
  if (flags.resumable) argv.push("-s");
  argv.push(target);
  return argv;
}

/** The snapshot (short name) a resume token would finish, from `zfs send -t TOKEN -n -v`. */
export async function resumeTokenSnapshot(host: Host, token: string): Promise<string | undefined> {
  const r = await runZfs(host, "send", {
    argv: ["zfs", "send", "-t", token, "-n", "-v"],
    allowed: [0, 255],
    readonly: true,
  });
  // SmartOS prints the token contents on stderr.
  const m = /toname = .*@(.*)/.exec(`${r.stdout}\n${r.stderr}`);
  return m?.[1]?.trim();
}

/** Aborts the interrupted receive into `dataset` (`zfs recv -A`), dropping its resume state. */
export async function abortReceive(host: Host, dataset: string): Promise<void> {
  await runZfs(host, "receive", { argv: ["zfs", "recv", "-A", dataset] });
}

/** True when `dataset@snapshot` exists (checked after a receive whose exit code was ignored). */
export async function snapshotExists(host: Host, dataset: string, snapshot: string): Promise<boolean> {
  const r = await runZfs(host, "list", {
    argv: ["zfs", "list", "-H", "-o", "name", "-t", "snapshot", `${dataset}@${snapshot}`],
    allowed: [0, 1],
    readonly: true,
  });
  return r.code === 0;
}
