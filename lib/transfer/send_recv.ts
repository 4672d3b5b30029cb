/**
 * Building the `zfs send ... | ... | zfs recv ...` stages for one snapshot (pure): flags from
 * the probed features of both hosts, properties to filter or set, and the optional
 * compression, buffering and custom pipes.
 */
import { type HostFeatures, poolHas } from "../zfs/features.ts";
import { poolOf } from "../zfs/names.ts";
import type { RecvFlags, SendFlags } from "../zfs/send_recv.ts";
import { COMPRESSORS, type CompressType } from "./compress.ts";

/**
 * One process of the pipeline: an argv (quoted when run) or a user's shell fragment (run as is,
 * so `--send-pipe "dd bs=1M | pv"` keeps its shell meaning).
 */
export type PipeStage = { argv: readonly string[] } | { shell: string };

/** The options that decide the send and receive flags. */
export interface FlagOptions {
  decrypt: boolean;
  encrypt: boolean;
  zfsCompressed: boolean;
  force: boolean;
  filterProperties: readonly string[];
  setProperties: readonly { name: string; value: string }[];
  clearRefreservation: boolean;
  clearMountpoint: boolean;
}

/** The options that add stages around zfs send and zfs recv. */
export interface PipeOptions {
  compress: CompressType | undefined;
  rate: string | undefined;
  buffer: string | undefined;
  bufferChunkSize: string | undefined;
  sendPipes: readonly string[];
  recvPipes: readonly string[];
}

/** Properties filtered so that `--encrypt` receives under the target's encryption root. */
export const ENCRYPTION_PROPERTIES = ["keylocation", "pbkdf2iters", "keyformat", "encryption"];

/**
 * Flags for sending `sourceDataset` into `targetDataset`. Pool features are intersected across
 * both pools (upstream used the target's list whenever the source had any: a defect).
 */
export function decideFlags(
  opts: FlagOptions,
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

/** Where the transfer runs, for deciding on the receive-side buffer. */
export interface Placement {
  /** Both ends on one machine without ssh. */
  local: boolean;
}

/** The mbuffer stage of one side (the rate limit only on the sender). */
function mbuffer(opts: PipeOptions, withRate: boolean): PipeStage {
  const argv = ["mbuffer", "-q", `-s${opts.bufferChunkSize ?? "128k"}`, `-m${opts.buffer ?? "16M"}`];
  if (withRate && opts.rate !== undefined) argv.push(`-R${opts.rate}`);
  return { argv };
}

/** The sending host's stages: zfs send, custom pipes, compression, buffer. */
export function sendStages(opts: PipeOptions, send: string[]): PipeStage[] {
  const stages: PipeStage[] = [{ argv: send }];
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
export function recvBuffered(opts: PipeOptions, place: Placement): boolean {
  const plainLocal = place.local && !opts.compress && opts.sendPipes.length === 0 &&
    opts.recvPipes.length === 0;
  return (opts.buffer !== undefined || opts.bufferChunkSize !== undefined) && !plainLocal;
}

/** The receiving host's stages: decompression, custom pipes, buffer, zfs recv. */
export function recvStages(opts: PipeOptions, recv: string[], place: Placement): PipeStage[] {
  const stages: PipeStage[] = [];
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
export function requiredPrograms(opts: PipeOptions, place: Placement): { send: string[]; recv: string[] } {
  const program = (
    s: PipeStage,
  ) => ("argv" in s ? [s.argv[0]!] : [pipeProgram(s.shell)].filter((p) => p !== undefined));
  const send = sendStages(opts, ["zfs"]).slice(1).flatMap(program);
  const recv = recvStages(opts, ["zfs"], place).slice(0, -1).flatMap(program);
  return { send: [...new Set(send)], recv: [...new Set(recv)] };
}
