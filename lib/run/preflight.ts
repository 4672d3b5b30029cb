/**
 * Checks made before any transfer starts: the programs the pipeline needs exist on each host,
 * and the target's zfs can apply the requested receive options. One command per host.
 */
import { FatalError } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";
import { recvBuffered, requiredPrograms } from "../transfer/send_recv.ts";
import type { BackupContext } from "./context.ts";
import { COMPRESSORS } from "../transfer/compress.ts";

/** Programs from `programs` that `command -v` cannot find on `host`. */
async function missingPrograms(host: Host, programs: readonly string[]): Promise<string[]> {
  if (programs.length === 0) return [];
  const script = `for p in "$@"; do command -v "$p" >/dev/null 2>&1 || echo "$p"; done`;
  const r = await host.run({ argv: ["sh", "-c", script, "sh", ...programs], readonly: true });
  return splitLines(r.stdout);
}

/** Fails the run (before anything is transferred) when a needed program or option is missing. */
export async function preflight(ctx: BackupContext): Promise<void> {
  const target = ctx.target;
  const opts = ctx.job;
  if (opts.noSend) return;
  const need = requiredPrograms(opts, { local: ctx.localTransfer });
  const sameHost = ctx.source.sameMachineAs(target);
  const checks: [Host, string[]][] = sameHost
    ? [[ctx.source, [...new Set([...need.send, ...need.recv])]]]
    : [[ctx.source, need.send], [target, need.recv]];
  for (const [host, programs] of checks) {
    const missing = await missingPrograms(host, programs);
    if (missing.length) {
      const who = host.displayName;
      throw new FatalError(
        `Cannot transfer: ${missing.map((p) => `"${p}"`).join(", ")} ${
          missing.length === 1 ? "is" : "are"
        } not installed on ${who}`,
      );
    }
  }
  const tf = await ctx.features(target);
  const needsSet = opts.setProperties.length > 0 || opts.clearMountpoint;
  const needsExclude = opts.filterProperties.length > 0 || opts.clearRefreservation || opts.encrypt;
  if (needsSet && !tf.has.recvSet) {
    throw new FatalError('Cannot set properties on receive: the target\'s zfs has no "zfs recv -o"');
  }
  if (needsExclude && !tf.has.recvExclude) {
    throw new FatalError('Cannot filter properties on receive: the target\'s zfs has no "zfs recv -x"');
  }
}

/**
 * The once-per-run description of the pipes, in upstream's order and layout (labels padded to
 * 23: "zfs send buffer        : 128M").
 */
export function logPipeSettings(ctx: BackupContext): void {
  const o = ctx.job;
  const line = (side: "Source" | "Target", what: string, value: string) =>
    ctx.log.verbose(`[${side}] ${what.padEnd(23)}: ${value}`);
  const local = ctx.localTransfer;
  if (o.buffer) line("Source", "zfs send buffer", o.buffer);
  if (o.bufferChunkSize) line("Source", "zfs send chunk size", o.bufferChunkSize);
  for (const p of o.sendPipes) line("Source", "zfs send custom pipe", p);
  if (o.compress) line("Source", "zfs send compression", COMPRESSORS[o.compress].compress.join(" "));
  if (o.rate) line("Source", "zfs send transfer rate", o.rate);
  if (o.compress) line("Target", "zfs recv decompression", COMPRESSORS[o.compress].decompress.join(" "));
  for (const p of o.recvPipes) line("Target", "zfs recv custom pipe", p);
  if (o.buffer && recvBuffered(o, { local })) line("Target", "zfs recv buffer", o.buffer);
  if (o.compress && local) ctx.log.note("Using compression, but transfer is local.");
  if (o.compress && o.zfsCompressed) {
    ctx.log.note("Using --compress with --zfs-compressed, might be inefficient.");
  }
}
