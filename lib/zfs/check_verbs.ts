/**
 * The zfs commands zfs-check needs to reach a snapshot's data: look the snapshot up, mount a
 * file system snapshot read-only on a directory, clone a volume snapshot to a temporary volume
 * and find its device node, and undo both. Each verb runs on a `Host`, so a remote caller
 * (zfs-autoverify over ssh) can use the same ones.
 */
import { CommandError, ZfsError } from "../errors.ts";
import type { Host } from "../exec/host.ts";
import { splitLines } from "../exec/lines.ts";
import { classifyZfsFailure, runZfs } from "./failure.ts";

/** What a snapshot belongs to. */
export type SnapshotKind = "filesystem" | "volume";

/** The answer of `snapshotKind`. */
export type SnapshotLookup =
  | { found: true; kind: SnapshotKind | string }
  | { found: false; reason: string };

/**
 * Looks up `snapshot` (`pool/fs@snap`) and the type of the dataset it belongs to, in one
 * `zfs list`. A missing snapshot or dataset is an answer (`found: false`), not an error.
 */
export async function snapshotKind(host: Host, snapshot: string): Promise<SnapshotLookup> {
  const parent = snapshot.slice(0, snapshot.indexOf("@"));
  const argv = ["zfs", "list", "-H", "-o", "name,type", snapshot, parent];
  try {
    const r = await runZfs(host, "list", { argv, readonly: true });
    const types = new Map(splitLines(r.stdout).map((l) => l.split("\t") as [string, string]));
    if (types.has(snapshot) && types.has(parent)) return { found: true, kind: types.get(parent)! };
    return { found: false, reason: `cannot open '${snapshot}': not listed` };
  } catch (e) {
    if (!(e instanceof ZfsError) || e.reason !== "not-found") throw e;
    return { found: false, reason: e.stderrTail.trim().split("\n").at(-1) ?? "" };
  }
}

/**
 * Mounts a file system snapshot read-only on `dir` (`mount -t zfs`, which works whether or not
 * the file system itself is mounted). Runs in --test mode too (a snapshot is read-only) and is
 * never interrupted, so the caller always knows whether it has to unmount.
 */
export async function mountSnapshot(host: Host, snapshot: string, dir: string): Promise<void> {
  try {
    await host.run({
      argv: ["mount", "-t", "zfs", "-o", "ro", snapshot, dir],
      readonly: true,
      uninterruptible: true,
    });
  } catch (e) {
    // util-linux ends every failure with a hint line that would hide the reason before it.
    if (!(e instanceof CommandError)) throw e;
    const stderrTail = e.stderrTail.split("\n").filter((l) => !l.includes("dmesg(1) may have more")).join(
      "\n",
    );
    throw new CommandError({
      host: e.host,
      command: e.command,
      code: e.code,
      allowed: e.allowed,
      stderrTail,
    });
  }
}

/** Unmounts what `mountSnapshot` mounted; retried while the kernel still calls it busy. */
export async function unmountSnapshot(host: Host, dir: string): Promise<void> {
  await retryWhileBusy(() => host.run({ argv: ["umount", dir], readonly: true, uninterruptible: true }));
}

/**
 * Clones a volume snapshot to `clone`, read-only and with `volmode=dev`: the clone gets its
 * whole-disk device node even where the pool or parent sets `volmode=none` (usual on backup
 * targets), and no partition devices that udev or LVM would pick up. Never interrupted, so the
 * caller knows whether it has to destroy the clone. `properties` (`name=value`) are set too.
 */
export async function cloneVolumeSnapshot(
  host: Host,
  snapshot: string,
  clone: string,
  properties: readonly string[] = [],
): Promise<void> {
  await runZfs(host, "clone", {
    argv: [
      "zfs",
      "clone",
      "-o",
      "readonly=on",
      "-o",
      "volmode=dev",
      ...properties.flatMap((p) => ["-o", p]),
      snapshot,
      clone,
    ],
    uninterruptible: true,
  });
}

/**
 * Waits (at most `timeoutSeconds`) until udev has handled its queued events, such as creating
 * a new clone's /dev/zvol link; on a busy machine that can take longer than polling would
 * allow. Best effort: without udevadm (or when it times out) the caller just polls.
 */
export async function settleDevices(host: Host, timeoutSeconds: number): Promise<void> {
  await host.run({
    argv: ["udevadm", "settle", `--timeout=${timeoutSeconds}`],
    allowed: Array.from({ length: 256 }, (_, i) => i),
    readonly: true,
  });
}

/** Destroys the temporary clone; retried while udev or the kernel still hold the device. */
export async function destroyClone(host: Host, clone: string): Promise<void> {
  await retryWhileBusy(() =>
    runZfs(host, "destroy", { argv: ["zfs", "destroy", clone], uninterruptible: true })
  );
}

/** The device node of a volume on Linux (created by udev once the volume exists). */
export function zvolDevicePath(volume: string): string {
  return `/dev/zvol/${volume}`;
}

/**
 * The name of the temporary clone of `snapshot`: in the snapshot's pool, named after the
 * program (`prefix`, e.g. `zfs-autoverify-source`), this host and this process.
 */
export function tempCloneName(snapshot: string, hostname: string, pid: number, prefix = "zfs-check"): string {
  const pool = snapshot.split(/[/@]/)[0]!;
  return `${pool}/${prefix}-${hostname.replace(/[^A-Za-z0-9_.:-]/g, "_")}-${pid}`;
}

const BUSY_TRIES = 10;
const BUSY_WAIT_MS = 300;

async function retryWhileBusy(fn: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await fn();
      return;
    } catch (e) {
      const busy = e instanceof CommandError && classifyZfsFailure(e.code, e.stderrTail) === "busy";
      if (!busy || attempt >= BUSY_TRIES) throw e;
      await new Promise((r) => setTimeout(r, BUSY_WAIT_MS));
    }
  }
}
