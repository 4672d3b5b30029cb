/**
 * Small helpers the real-ZFS integration tests share: fake times and the snapshot name
 * suffixes they produce, the backup name of a test, exit code and output line assertions, and
 * zfs-fuse listings.
 */
import assert from "node:assert/strict";
import { ensureLoopbackSshd, loopbackSsh } from "./sshd.ts";
import type { RunToolOptions, ToolResult } from "./tool.ts";
import { zfs } from "./zfs_fuse.ts";

/** Fake wall clock of a first run (UTC, for `runTool`'s `fakeTime`). */
export const T0 = "2010-11-11 00:00:00";
/** Fake wall clock one second after T0. */
export const T1 = "2010-11-11 00:00:01";
/** Fake wall clock two seconds after T0. */
export const T2 = "2010-11-11 00:00:02";
/** Fake wall clock three seconds after T0. */
export const T3 = "2010-11-11 00:00:03";
/** Snapshot name suffix of a run at T0. */
export const S0 = "20101111000000";
/** Snapshot name suffix of a run at T1. */
export const S1 = "20101111000001";
/** Snapshot name suffix of a run at T2. */
export const S2 = "20101111000002";
/** Snapshot name suffix of a run at T3. */
export const S3 = "20101111000003";

/**
 * A frozen wall clock at `time` (libfaketime without "@"; monotonic time stays real): every
 * reading is exactly `time`, so snapshot names and ages do not depend on how fast a loaded
 * machine starts the tool. ssh runs fine under it. (runTool's `fakeTime` is frozen too.)
 */
export function frozenAt(time: string): RunToolOptions {
  return { fakeTime: time };
}

/**
 * The backup name of a test: its pool set's base name (`zabt123x4` for pools `zabt123x4_src`,
 * `zabt123x4_dst`), unique per test.
 */
export function backupName(pools: { names: string[] }): string {
  return pools.names[0]!.replace(/_[^_]*$/, "");
}

/** Asserts the exit code, showing the whole output when it is wrong. */
export function expectCode(r: ToolResult, code: number): void {
  assert.equal(
    r.code,
    code,
    `exit code ${r.code}, expected ${code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`,
  );
}

/** The non-empty lines of `text`. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

/** Asserts that `out` has exactly this line. */
export function hasLine(out: string, line: string): void {
  assert.ok(lines(out).includes(line), `expected the line\n${line}\nin:\n${out}`);
}

/** Lines of `text` that contain `needle` (a string) or match it (a RegExp). */
export function linesWith(text: string, needle: string | RegExp): string[] {
  return text.split("\n").filter((l) => typeof needle === "string" ? l.includes(needle) : needle.test(l));
}

/** Escapes a string for use inside a RegExp. */
export function re(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The loopback ssh_config of this run (Host `zab-loop`), or a shared sshd under plain `deno test`. */
export async function loopConfig(): Promise<string> {
  return loopbackSsh() ?? await ensureLoopbackSshd();
}

/** Datasets and snapshots at or below `root` on zfs-fuse, sorted. */
export async function fuseAll(root: string): Promise<string[]> {
  return lines(await zfs(["list", "-H", "-t", "all", "-o", "name", "-r", root])).sort();
}

/** Snapshots at or below `root` on zfs-fuse, sorted. */
export async function fuseSnapshots(root: string): Promise<string[]> {
  return lines(await zfs(["list", "-H", "-t", "snapshot", "-o", "name", "-r", root])).sort();
}
