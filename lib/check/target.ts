/**
 * Turns a TARGET into a path to read. A file, device or directory is used as it is. A file
 * system snapshot is mounted read-only on a fresh temporary directory; a volume snapshot is
 * cloned to a temporary volume whose device node is then awaited. `release()` undoes exactly
 * what was done, and is meant for a `finally`: it runs its commands even after an abort.
 */
import { errorMessage, FatalError } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import type { Logger } from "../log/logger.ts";
import {
  cloneVolumeSnapshot,
  destroyClone,
  mountSnapshot,
  settleDevices,
  snapshotKind,
  tempCloneName,
  unmountSnapshot,
  zvolDevicePath,
} from "../zfs/check_verbs.ts";

/** A target ready to be read. */
export interface PreparedTarget {
  /** What to hash: the original path, a mount point, or a volume's device node. */
  path: string;
  /** Undoes the preparation (unmount and remove the directory, or destroy the clone). */
  release(): Promise<void>;
}

/** What preparing needs. */
export interface TargetContext {
  host: Host;
  log: Logger;
  /** --test: a volume snapshot (which needs a clone) is refused. */
  testMode: boolean;
  /** Aborting stops the wait for a device node. */
  signal?: AbortSignal | undefined;
  /** How long to wait for a clone's device node (default `DEVICE_WAIT_MS`). */
  deviceTimeoutMs?: number;
  /** Names the clone (default: this host's name and pid). */
  cloneName?: (snapshot: string) => string;
}

/** How long a new clone's device node is waited for (upstream waits as long). */
export const DEVICE_WAIT_MS = 10_000;

/**
 * The error when a clone's device node did not appear (a missing encryption key is the usual
 * cause); `where` names the host when it is not this one.
 */
export function deviceMissingText(device: string, waitedMs: number, dataset: string, where?: string): string {
  return `Waiting for "${device}"${where === undefined ? "" : ` on ${where}`} failed: it did not appear ` +
    `within ${waitedMs / 1000} s (is the encryption key of "${dataset}" loaded?)`;
}

/**
 * True when TARGET names a snapshot: one "@", no leading "/", no "/" after the "@". Anything
 * else is a path (upstream took every TARGET with an "@" for a snapshot).
 */
export function isSnapshotName(target: string): boolean {
  return /^[^/@][^@]*@[^@/]+$/.test(target);
}

/** Prepares TARGET; see the module comment. Throws FatalError or CommandError when it cannot. */
export async function prepareTarget(target: string, ctx: TargetContext): Promise<PreparedTarget> {
  if (!isSnapshotName(target)) return { path: target, release: () => Promise.resolve() };
  const found = await snapshotKind(ctx.host, target);
  if (!found.found) throw new FatalError(`ZFS snapshot "${target}" does not exist (${found.reason})`);
  if (found.kind === "filesystem") return await mountFilesystem(target, ctx);
  if (found.kind === "volume") return await cloneVolume(target, ctx);
  throw new FatalError(`Cannot check "${target}": unknown dataset type "${found.kind}"`);
}

async function mountFilesystem(snapshot: string, ctx: TargetContext): Promise<PreparedTarget> {
  let dir: string;
  try {
    dir = await Deno.makeTempDir({ prefix: "zfs-check-" });
  } catch (e) {
    throw new FatalError(`Cannot create a temporary mount point: ${errorMessage(e)}`);
  }
  ctx.log.debug(`Created temporary mount point ${dir}`);
  try {
    await mountSnapshot(ctx.host, snapshot, dir);
  } catch (e) {
    await Deno.remove(dir).catch(() => {});
    throw e;
  }
  return {
    path: dir,
    async release() {
      await unmountSnapshot(ctx.host, dir);
      // Never recursive: if the unmount had not happened, this must not touch the snapshot.
      await Deno.remove(dir);
      ctx.log.debug(`Removed temporary mount point ${dir}`);
    },
  };
}

async function cloneVolume(snapshot: string, ctx: TargetContext): Promise<PreparedTarget> {
  if (ctx.testMode) {
    throw new FatalError(
      `Cannot check volume snapshot "${snapshot}" in test mode: it needs a temporary clone`,
    );
  }
  const clone = (ctx.cloneName ?? defaultCloneName)(snapshot);
  await cloneVolumeSnapshot(ctx.host, snapshot, clone);
  const release = () => destroyClone(ctx.host, clone);
  const device = zvolDevicePath(clone);
  try {
    await settleDevices(ctx.host, 60);
    await waitForPath(device, ctx.deviceTimeoutMs ?? DEVICE_WAIT_MS, ctx.signal);
  } catch (e) {
    await release();
    if (ctx.signal?.aborted) throw e;
    throw new FatalError(
      deviceMissingText(device, ctx.deviceTimeoutMs ?? DEVICE_WAIT_MS, snapshot.split("@")[0]!),
    );
  }
  ctx.log.debug(`Hashing device ${device}`);
  return { path: device, release };
}

function defaultCloneName(snapshot: string): string {
  return tempCloneName(snapshot, hostName(), Deno.pid);
}

/** This machine's name (needs --allow-sys=hostname; "localhost" without it). */
export function hostName(): string {
  try {
    return Deno.hostname() || "localhost";
  } catch {
    return "localhost";
  }
}

/** Waits until `path` exists; rejects after `timeoutMs` or when `signal` aborts. */
async function waitForPath(path: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    try {
      await Deno.stat(path);
      return;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (Date.now() >= deadline) throw new Error(`"${path}" did not appear`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
