/**
 * Building the `zfs send ... | ... | zfs recv ...` stages for one snapshot (pure): flags from
 * the probed features of both hosts, properties to filter or set, and the optional
 * compression, buffering and custom pipes (reference §4.8, §4.11, §4.12).
 */
import type { Options } from "../cli/options.ts";
import type { Stage } from "../exec/pipeline_spec.ts";
import { type HostFeatures, poolHas } from "../zfs/features.ts";
import { COMPRESSORS } from "./compress.ts";
import { poolOf } from "../zfs/names.ts";

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

/** Properties filtered so that `--encrypt` receives under the target's encryption root. */
export const ENCRYPTION_PROPERTIES = ["keylocation", "pbkdf2iters", "keyformat", "encryption"];

/**
 * Flags for sending `sourceDataset` into `targetDataset`. Pool features are intersected across
 * both pools (upstream used the target's list whenever the source had any: a defect).
 */
export function decideFlags(
  opts: Options,
  src: HostFeatures,
  dst: HostFeatures,
  sourceDataset: { name: string; type: string; encryption: string | undefined },
  targetDataset: string,
  progress: boolean,
): { send: SendFlags; recv: RecvFlags } {
  const sp = poolOf(sourceDataset.name);
  const tp = poolOf(targetDataset);
  const both = (feature: string) => poolHas(src, sp, feature) && poolHas(dst, tp, feature);
  const encrypted = sourceDataset.encryption !== undefined && sourceDataset.encryption !== "off";
  const raw = encrypted && !opts.decrypt;
  const writeEmbedded = !(opts.encrypt && !raw);
  const exclude = [...opts.filterProperties];
  const set = opts.setProperties.map((p) => `${p.name}=${p.value}`);
  if (opts.clearRefreservation) exclude.push("refreservation");
  if (opts.clearMountpoint) set.push("canmount=noauto");
  if (opts.encrypt && !raw) exclude.push(...ENCRYPTION_PROPERTIES);
  const volume = sourceDataset.type === "volume";
  const notCanmount = (p: string) => !(volume && (p === "canmount" || p.startsWith("canmount=")));
  return {
    send: {
      largeBlocks: src.has.sendLargeBlocks && both("large_blocks"),
      embedded: writeEmbedded && src.has.sendEmbedded && both("embedded_data"),
      compressed: opts.zfsCompressed && src.has.sendCompressed,
      raw,
      properties: !(encrypted && opts.decrypt),
      progress: progress && src.has.sendParsable,
    },
    recv: {
      noMount: dst.has.recvNoMount,
      resumable: dst.has.recvResumable && dst.has.resumeToken && poolHas(dst, tp, "extensible_dataset"),
      force: opts.force,
      exclude: exclude.filter(notCanmount),
      set: set.filter(notCanmount),
    },
  };
}

/** `zfs send` argv for a snapshot (incremental from `from`), or a resume token. */
export function sendArgv(
  flags: SendFlags,
  dataset: string,
  snapshot: string,
  from: string | undefined,
  resumeToken?: string,
): string[] {
  const argv = ["zfs", "send"];
  if (flags.largeBlocks) argv.push("-L");
  if (flags.embedded) argv.push("-e");
  if (flags.compressed) argv.push("-c");
  if (flags.raw) argv.push("--raw");
  if (flags.progress) argv.push("-v", "-P");
  if (resumeToken !== undefined) return [...argv, "-t", resumeToken];
  if (flags.properties) argv.push("-p");
  if (from !== undefined) argv.push("-i", from.includes("@") ? from : `@${from}`);
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

/** Where the transfer runs, for deciding on the receive-side buffer. */
export interface Placement {
  /** Both ends on one machine without ssh. */
  local: boolean;
}

/** The mbuffer stage of one side (the rate limit only on the sender). */
function mbuffer(opts: Options, withRate: boolean): Stage {
  const argv = ["mbuffer", "-q", `-s${opts.bufferChunkSize ?? "128k"}`, `-m${opts.buffer ?? "16M"}`];
  if (withRate && opts.rate !== undefined) argv.push(`-R${opts.rate}`);
  return { argv };
}

/** The sending host's stages: zfs send, custom pipes, compression, buffer. */
export function sendStages(opts: Options, send: string[]): Stage[] {
  const stages: Stage[] = [{ argv: send }];
  for (const p of opts.sendPipes) stages.push({ shell: p });
  if (opts.compress) stages.push({ argv: COMPRESSORS[opts.compress].compress });
  if (opts.buffer !== undefined || opts.bufferChunkSize !== undefined || opts.rate !== undefined) {
    stages.push(mbuffer(opts, true));
  }
  return stages;
}

/**
 * Whether the receiving host gets its own mbuffer: with a buffering option, unless the transfer
 * is a plain local `zfs send | zfs recv` (no compression, no custom pipes), where the sending
 * side's buffer is enough.
 */
export function recvBuffered(opts: Options, place: Placement): boolean {
  const plainLocal = place.local && !opts.compress && opts.sendPipes.length === 0 &&
    opts.recvPipes.length === 0;
  return (opts.buffer !== undefined || opts.bufferChunkSize !== undefined) && !plainLocal;
}

/** The receiving host's stages: decompression, custom pipes, buffer, zfs recv. */
export function recvStages(opts: Options, recv: string[], place: Placement): Stage[] {
  const stages: Stage[] = [];
  if (opts.compress) stages.push({ argv: COMPRESSORS[opts.compress].decompress });
  for (const p of opts.recvPipes) stages.push({ shell: p });
  if (recvBuffered(opts, place)) stages.push(mbuffer(opts, false));
  stages.push({ argv: recv });
  return stages;
}

/**
 * The program a custom pipe fragment starts with, after any `VAR=value` prefixes, when that
 * word is a plain name or path; undefined when it is shell syntax (quotes, `$`, `{`, ...) that
 * only the shell can judge. Keywords and builtins pass `command -v`, so they need no list.
 */
export function pipeProgram(fragment: string): string | undefined {
  for (const word of fragment.trim().split(/\s+/)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue;
    return /^[A-Za-z0-9_./+-]+$/.test(word) ? word : undefined;
  }
  return undefined;
}

/** Programs the stages need on each host, for the pre-flight check (zfs itself excluded). */
export function requiredPrograms(opts: Options, place: Placement): { send: string[]; recv: string[] } {
  const program = (
    s: Stage,
  ) => ("argv" in s ? [s.argv[0]!] : [pipeProgram(s.shell)].filter((p) => p !== undefined));
  const send = sendStages(opts, ["zfs"]).slice(1).flatMap(program);
  const recv = recvStages(opts, ["zfs"], place).slice(0, -1).flatMap(program);
  return { send: [...new Set(send)], recv: [...new Set(recv)] };
}
