/**
 * Paths, names and environment variables shared by the real-ZFS test harness and
 * scripts/run_tests.ts. Everything the harness writes lives under TEST_ROOT so a crashed run
 * can be cleaned up by deleting one directory.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (this file is tests/harness/env.ts). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** ssh_config of the loopback sshd (Host `zab-loop`); set by run_tests.ts. */
export const ENV_SSH_CONFIG = "ZAB_TEST_SSH_CONFIG";
/** ssh_config of the OpenZFS guest (Host `ozfs`); set by run_tests.ts when the VM is up. */
export const ENV_OZFS_SSH_CONFIG = "ZAB_TEST_OZFS_SSH_CONFIG";
/** Overrides where the OpenZFS testbed (ozfs-vm, image tar) is found. */
export const ENV_TESTBED = "ZAB_TESTBED";
/** `1` keeps a VM that run_tests.ts booted running after the tests. */
export const ENV_KEEP_VM = "ZAB_KEEP_VM";
/** `1` skips the OpenZFS tier even when the testbed exists. */
export const ENV_SKIP_OZFS = "ZAB_SKIP_OZFS";
/** Overrides the libfaketime preload library path. */
export const ENV_FAKETIME_LIB = "ZAB_FAKETIME_LIB";
/** The testbed's own state directory knob (ozfs-vm reads it too). */
export const ENV_OZFS_DIR = "OZFS_DIR";

/** Root of everything the harness writes on the host. */
export const TEST_ROOT = "/var/tmp/zab-test";
/** Backing files of zfs-fuse pools, one subdirectory per pool set. */
export const FUSE_POOL_DIR: string = join(TEST_ROOT, "pools");
/** Name reservations for guest pools (the guest has no view of host pids). */
export const OZFS_RESERVE_DIR: string = join(TEST_ROOT, "ozfs-pools");
/** ControlMaster sockets of the harness's own ssh calls (kept short: unix socket paths max 107). */
export const CONTROL_DIR: string = join(TEST_ROOT, "cm");
/** Lock files that serialise daemon start-up between parallel test modules and runs. */
export const LOCK_DIR: string = join(TEST_ROOT, "locks");
/** Per-run loopback sshd directories live below this. */
export const SSHD_ROOT: string = join(TEST_ROOT, "sshd");
/** Pids of run_tests.ts processes currently using the OpenZFS guest. */
export const OZFS_USERS_DIR: string = join(TEST_ROOT, "ozfs-users");

/** Directory in the guest holding pool backing files. */
export const GUEST_POOL_DIR = "/var/tmp/zab";
/** Host alias of the OpenZFS guest in its ssh_config. */
export const OZFS_HOST = "ozfs";
/** Host alias of the loopback sshd in its ssh_config. */
export const LOOP_HOST = "zab-loop";

/** Prefix of zfs-fuse pool names (then pid, "x", counter). */
export const FUSE_POOL_PREFIX = "zabt";
/** Prefix of guest pool names (then host pid, "x", counter). */
export const OZFS_POOL_PREFIX = "zabo";

/** Where the libfaketime preload library is looked for, first hit wins. */
export const FAKETIME_LIB_CANDIDATES: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
  "/usr/lib64/faketime/libfaketime.so.1",
];

/** The testbed directory: $ZAB_TESTBED, else `<repo>/../shared/testbed` (the CI layout). */
export function testbedDir(): string {
  return Deno.env.get(ENV_TESTBED) || resolve(REPO_ROOT, "..", "shared", "testbed");
}

/** The testbed's state directory ($OZFS_DIR, default /var/tmp/ozfs). */
export function ozfsStateDir(): string {
  return Deno.env.get(ENV_OZFS_DIR) || "/var/tmp/ozfs";
}

/** True when a process with this pid exists (used to find leftovers of dead runs). */
export function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` while holding an exclusive flock on `LOCK_DIR/<name>.lock`. flock works between
 * processes and between the workers of one `deno test --parallel` process (separate open file
 * descriptions), and the kernel drops it if the holder dies.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await Deno.mkdir(LOCK_DIR, { recursive: true });
  const file = await Deno.open(join(LOCK_DIR, `${name}.lock`), { create: true, write: true });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close();
  }
}

/**
 * Reserves a fresh name `<prefix><pid>x<n>` by creating its directory under `dir`; mkdir is
 * atomic, so parallel test modules (which share one pid) never get the same name.
 */
export async function reserveName(dir: string, prefix: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (let n = 1;; n++) {
    const name = `${prefix}${Deno.pid}x${n}`;
    try {
      await Deno.mkdir(join(dir, name));
      return name;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
}
