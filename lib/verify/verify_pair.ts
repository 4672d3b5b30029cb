/**
 * Comparing one dataset with its backup at their common snapshot. Both sides work at the same
 * time, each on its own host: prepare (mount or clone), hash, release. Whatever happens, what
 * was prepared is released, and after an abort the hashing scripts still running on their
 * hosts are stopped first, so the release is not refused as busy.
 */
import { errorMessage, FatalError } from "../errors.ts";
import type { CmdResult } from "../exec/host.ts";
import type { Logger } from "../log/logger.ts";
import { chunkSize, DEFAULT_CHUNK_OPTIONS } from "../check/chunks.ts";
import { DEVICE_WAIT_MS, deviceMissingText } from "../check/target.ts";
import type { FsCompare } from "./options.ts";
import type { VerifyPair } from "./pairs.ts";
import { DIFFERENCES_SHOWN, type Verdict } from "./report.ts";
import { itemizedLines, rsyncArgv, rsyncPlacement, rsyncRemoteShell } from "./rsync_compare.ts";
import type { Prepared, VerifySide } from "./side.ts";
import { RECORD_PROCESS_GROUP, SCRIPT_EXIT } from "./process_group.ts";
import { diffTreeLists, parseTreeSummary, TREE_LIST_SCRIPT, type TreeSummary } from "./tree_list.ts";
import { diffChunks, parseChunkLines, VOLUME_HASH_SCRIPT } from "./volume_hashes.ts";

/** Bytes per volume chunk: zfs-check's default (4096-byte blocks x 25600 = 100 MiB). */
export const VOLUME_CHUNK_BYTES: number = chunkSize(DEFAULT_CHUNK_OPTIONS);

/** What comparing needs. */
export interface PairContext {
  source: VerifySide;
  target: VerifySide;
  fsCompare: FsCompare;
  skip: number;
  log: Logger;
  signal?: AbortSignal | undefined;
  /** The ssh argv (without the address) that reaches a remote side, for rsync's `-e`. */
  sshArgv: (side: VerifySide) => Promise<readonly string[]>;
}

/** Compares one pair; throws when it cannot (the caller reports the dataset as failed). */
export async function comparePair(ctx: PairContext, pair: VerifyPair): Promise<Verdict> {
  const snapshot = (side: VerifySide) =>
    `${side === ctx.source ? pair.source : pair.target}@${pair.snapshot}`;
  if (pair.type === "volume") {
    return await withBoth(
      ctx,
      (side) => side.clone(snapshot(side)),
      (s, t) => compareVolumes(ctx, s.path, t.path, [pair.source, pair.target]),
    );
  }
  return await withBoth(
    ctx,
    (side) => side.mount(snapshot(side)),
    (s, t) => compareTrees(ctx, s.path, t.path),
  );
}

/**
 * Prepares both sides at once, runs `use`, and always releases what was prepared (after
 * stopping leftover scripts when the run is aborted). A failed release is reported; it fails
 * the dataset unless `use` already failed.
 */
async function withBoth<T>(
  ctx: PairContext,
  prepare: (side: VerifySide) => Promise<Prepared>,
  use: (source: Prepared, target: Prepared) => Promise<T>,
): Promise<T> {
  const prepared = await Promise.allSettled([prepare(ctx.source), prepare(ctx.target)]);
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    const [s, t] = prepared;
    if (s.status === "rejected") throw s.reason;
    if (t.status === "rejected") throw t.reason;
    outcome = { ok: true, value: await use(s.value, t.value) };
  } catch (e) {
    outcome = { ok: false, error: e };
  }
  if (ctx.signal?.aborted) await Promise.all([ctx.source.stop(), ctx.target.stop()]);
  const released = await Promise.allSettled(
    prepared.flatMap((p) => (p.status === "fulfilled" ? [p.value.release()] : [])),
  );
  const cleanup = released.flatMap((r) => (r.status === "rejected" ? [errorMessage(r.reason)] : []));
  for (const text of cleanup) ctx.log.error(`Cannot clean up: ${text}`);
  if (!outcome.ok) throw outcome.error;
  if (cleanup.length) throw new FatalError(`cleaning up failed: ${cleanup[0]}`);
  return outcome.value;
}

/** Runs `fn` on both sides at once; the first failure is thrown once both have ended. */
async function onBoth<T>(ctx: PairContext, fn: (side: VerifySide) => Promise<T>): Promise<[T, T]> {
  const [s, t] = await Promise.allSettled([fn(ctx.source), fn(ctx.target)]);
  if (s.status === "rejected") throw s.reason;
  if (t.status === "rejected") throw t.reason;
  return [s.value, t.value];
}

/** Runs a hashing script on a side; its own failures become one-line errors naming the side. */
async function hashOn(side: VerifySide, script: string, args: readonly string[]): Promise<CmdResult> {
  const r = await side.script(script, args, { allowed: [0, ...Object.values(SCRIPT_EXIT)] });
  const why = r.stderr.trim().split("\n").slice(-3).join("; ");
  if (r.code === SCRIPT_EXIT.noTree) {
    throw new FatalError(`Cannot enter "${args[0]}" on ${side.name}: ${why}`);
  }
  if (r.code === SCRIPT_EXIT.readFailed) throw new FatalError(`Reading on ${side.name} failed: ${why}`);
  return r;
}

function sampling(skip: number): string {
  return skip > 0 ? `, sampled 1 in ${skip + 1}` : "";
}

/**
 * Compares two directory trees, each on its side's host, with `ctx.fsCompare` (a mounted
 * snapshot, or any directory).
 */
export async function compareTrees(
  ctx: PairContext,
  sourcePath: string,
  targetPath: string,
): Promise<Verdict> {
  return ctx.fsCompare === "rsync"
    ? await compareWithRsync(ctx, sourcePath, targetPath)
    : await compareFileLists(ctx, sourcePath, targetPath);
}

async function compareFileLists(ctx: PairContext, sourcePath: string, targetPath: string): Promise<Verdict> {
  const path = (side: VerifySide) => (side === ctx.source ? sourcePath : targetPath);
  const step = String(ctx.skip + 1);
  const [a, b] = await onBoth(ctx, async (side): Promise<TreeSummary> => {
    const r = await hashOn(side, TREE_LIST_SCRIPT, [path(side), await side.workspace(), step]);
    const summary = parseTreeSummary(r.stdout);
    if (!summary) throw new FatalError(`Listing on ${side.name} printed "${r.stdout.trim().slice(0, 80)}"`);
    return summary;
  });
  const files = `${a.hashed} file${a.hashed === 1 ? "" : "s"} hashed`;
  const detail = `${a.entries} entries, ${files}${sampling(ctx.skip)}`;
  if (a.digest === b.digest) return { kind: "ok", detail };
  // Only now do the lists cross: to say what differs.
  const [sourceList, targetList] = await onBoth(ctx, async (side) => {
    const r = await side.script('cat "$1/list"', [await side.workspace()]);
    return r.stdout;
  });
  const diff = diffTreeLists(sourceList, targetList, DIFFERENCES_SHOWN);
  if (diff.count === 0) {
    return {
      kind: "differs",
      detail,
      count: 1,
      shown: ["the file lists differ (no single entry identified)"],
    };
  }
  return { kind: "differs", detail, count: diff.count, shown: diff.shown };
}

/**
 * Compares two volumes (device nodes, or any files) by chunk hashes, each made on its side's
 * host; `datasets` name them in the message about a device that did not appear.
 */
export async function compareVolumes(
  ctx: PairContext,
  sourceDevice: string,
  targetDevice: string,
  datasets: readonly [string, string],
): Promise<Verdict> {
  const device = (side: VerifySide) => (side === ctx.source ? sourceDevice : targetDevice);
  const [a, b] = await onBoth(ctx, async (side) => {
    const dev = device(side);
    const args = [dev, await side.workspace(), String(VOLUME_CHUNK_BYTES), String(ctx.skip)];
    const r = await hashOn(side, VOLUME_HASH_SCRIPT, args);
    if (r.code === SCRIPT_EXIT.noDevice) {
      const dataset = side === ctx.source ? datasets[0] : datasets[1];
      throw new FatalError(deviceMissingText(dev, DEVICE_WAIT_MS, dataset, side.name));
    }
    return parseChunkLines(r.stdout);
  });
  const diff = diffChunks(a, b, VOLUME_CHUNK_BYTES, DIFFERENCES_SHOWN);
  const detail = `volume, ${diff.chunks} chunk${diff.chunks === 1 ? "" : "s"} of 100 MiB hashed${
    sampling(ctx.skip)
  }`;
  if (diff.count === 0) return { kind: "ok", detail };
  return { kind: "differs", detail, count: diff.count, shown: diff.shown };
}

async function compareWithRsync(ctx: PairContext, sourcePath: string, targetPath: string): Promise<Verdict> {
  const placement = rsyncPlacement(ctx.source.host.address, ctx.target.host.address);
  const runner = placement.runOn === "source" ? ctx.source : ctx.target;
  const remote = placement.remote === undefined
    ? undefined
    : placement.remote === "source"
    ? ctx.source
    : ctx.target;
  const name = (side: VerifySide, path: string) => (side === remote ? `${side.host.address}:${path}` : path);
  const shell = remote === undefined ? undefined : rsyncRemoteShell(await ctx.sshArgv(remote));
  const argv = rsyncArgv(name(ctx.source, sourcePath), name(ctx.target, targetPath), shell);
  // Through a script that records its process group, so an abort can stop a remote rsync.
  const r = await runner.script(`ws=$1; shift\n${RECORD_PROCESS_GROUP}"$@"`, [
    await runner.workspace(),
    ...argv,
  ]);
  const lines = itemizedLines(r.stdout);
  const detail = "rsync -n -c";
  if (lines.length === 0) return { kind: "ok", detail };
  return { kind: "differs", detail, count: lines.length, shown: lines.slice(0, DIFFERENCES_SHOWN) };
}
