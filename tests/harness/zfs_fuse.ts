/**
 * Local real-ZFS pools for tests, backed by the zfs-fuse 0.7 daemon and sparse files under
 * /var/tmp/zab-test/pools. zfs-fuse is old (no `zfs get -t`, no `zfs list -p`, broken
 * `zfs holds`, no resume/bookmarks/encryption), so it is the fast tier; the OpenZFS guest
 * (ozfs.ts) covers modern features.
 *
 * Tests must create zfs-fuse pools only through `createFusePools`: it serialises `zpool create`
 * across processes, and two concurrent creates wedge the daemon (see ZPOOL_LOCK).
 */
import { join } from "node:path";
import { spawnProcess, type SpawnResult } from "../../lib/exec/process.ts";
import { FUSE_POOL_DIR, FUSE_POOL_PREFIX, pidAlive, reserveName, withLock } from "./env.ts";

/** Runs a local `zfs` command and returns the full result, whatever the exit code. */
export function zfsTry(args: readonly string[]): Promise<SpawnResult> {
  return spawnProcess(["zfs", ...args]);
}

/** Runs a local `zfs` command and returns its stdout; throws when it exits non-zero. */
export async function zfs(args: readonly string[]): Promise<string> {
  return checked(["zfs", ...args], await zfsTry(args));
}

/** Runs a local `zpool` command and returns its stdout; throws when it exits non-zero. */
export async function zpool(args: readonly string[]): Promise<string> {
  const argv = ["zpool", ...args];
  return checked(argv, await spawnProcess(argv));
}

function checked(argv: readonly string[], r: SpawnResult): string {
  if (r.code !== 0) {
    throw new Error(`Running "${argv.join(" ")}" failed with exit code ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

async function daemonAnswers(): Promise<boolean> {
  return (await spawnProcess(["zpool", "list", "-H", "-o", "name"])).code === 0;
}

/**
 * zfs-fuse exits with status 1 and no message (it logs to syslog, which containers lack) when
 * its lock directory /var/lock/zfs cannot be made, which happens when /var/lock points at a
 * /run/lock that does not exist yet.
 */
async function ensureLockDir(): Promise<void> {
  let target = "/var/lock";
  try {
    const link = await Deno.readLink(target);
    target = link.startsWith("/") ? link : join("/var", link);
  } catch {
    // Not a symlink (or missing): create it as a plain directory.
  }
  await Deno.mkdir(target, { recursive: true });
}

const PIDFILE = "/var/run/zfs-fuse.pid";

/** The pid in zfs-fuse's pidfile when that process is a running zfs-fuse, else undefined. */
async function pidfileOwner(): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(PIDFILE)).trim());
  } catch {
    return undefined; // No pidfile.
  }
  const live = Number.isInteger(pid) && pid > 0 && pidAlive(pid) && await commandName(pid) === "zfs-fuse";
  return live ? pid : undefined;
}

/**
 * zfs-fuse also exits with status 1 and no message when its pidfile exists and is newer than
 * the boot time, even though the process it names is gone: measured after a session's processes
 * were killed without a reboot. A daemon that is still starting or still dying (a killed
 * zfs-fuse takes a moment to release its FUSE mounts) gets `timeoutMs` to answer or to exit;
 * then the pidfile is removed.
 */
async function clearPidfile(timeoutMs: number): Promise<"answers" | "cleared"> {
  const deadline = Date.now() + timeoutMs;
  for (let pid = await pidfileOwner(); pid !== undefined; pid = await pidfileOwner()) {
    if (await daemonAnswers()) return "answers";
    if (Date.now() > deadline) {
      throw new Error(
        `Waiting for zfs-fuse (pid ${pid}) failed: it runs but has not answered for ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await Deno.remove(PIDFILE).catch(() => {});
  return "cleared";
}

async function commandName(pid: number): Promise<string> {
  try {
    return (await Deno.readTextFile(`/proc/${pid}/comm`)).trim();
  } catch {
    return "";
  }
}

/**
 * Starts the zfs-fuse daemon unless `zpool list` already works, then waits until it answers.
 * A flock makes parallel test modules and concurrent runs start it only once. The daemon is
 * left running on purpose: it is a system service shared by every run on the machine.
 */
export async function ensureZfsFuse(timeoutMs = 15_000): Promise<void> {
  if (await daemonAnswers()) return;
  await withLock("zfs-fuse", async () => {
    if (await daemonAnswers()) return;
    await ensureLockDir();
    if (await clearPidfile(timeoutMs) === "answers") return;
    // zfs-fuse daemonizes and points its stdio at /dev/null, so spawnProcess returns at once.
    const r = await spawnProcess(["zfs-fuse", "--pidfile", PIDFILE]);
    if (r.code !== 0) {
      throw new Error(
        `Starting zfs-fuse failed with exit code ${r.code} (it logs only to syslog): ${r.stderr.trim()}`,
      );
    }
    const deadline = Date.now() + timeoutMs;
    while (!await daemonAnswers()) {
      if (Date.now() > deadline) {
        throw new Error(`Waiting for zfs-fuse failed: no answer after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

/**
 * Proves the daemon serves file-system requests, not only ioctls: creates a small pool, lists
 * its mounted root with a time limit, destroys it. A wedged zfs-fuse (see ZPOOL_LOCK: the FUSE
 * listener stops answering while `zpool list` still works) would otherwise show up as hanging
 * tests instead of one clear message.
 */
export async function probeZfsFuse(timeoutSeconds = 10): Promise<void> {
  const pools = await createFusePools(["probe"], 64, { mounted: true });
  try {
    const name = pools.names[0] ?? "";
    const r = await spawnProcess(["timeout", String(timeoutSeconds), "ls", "-a", `/${name}`]);
    if (r.code !== 0) {
      throw new Error(
        `Listing the zfs-fuse mount "/${name}" failed with exit code ${r.code} (124: no answer in ` +
          `${timeoutSeconds} s): the zfs-fuse daemon looks wedged and needs a restart`,
      );
    }
  } finally {
    await pools.destroy();
  }
}

/**
 * Serialises `zpool create`/`destroy` between all test processes. Measured on zfs-fuse 0.7:
 * two `zpool create` running at the same time (even with `-m none`) wedge the daemon for good:
 * its FUSE listener stops answering (every access to any zfs-fuse mount hangs, also other
 * users' mounts) and every later destroy says "pool is busy"; only a daemon restart helps.
 * Destroy takes the lock too, to be safe.
 */
export const ZPOOL_LOCK = "zfs-fuse-zpool";

/** A set of zfs-fuse pools owned by one test. */
export interface FusePools extends AsyncDisposable {
  /** Pool names, in the order of the requested suffixes. */
  readonly names: string[];
  /** Directory holding the backing files. */
  readonly dir: string;
  /** Destroys the pools and deletes their files; safe to call twice. */
  destroy(): Promise<void>;
}

const SUFFIX = /^[A-Za-z0-9_.-]*$/;

/**
 * Creates one file-backed zfs-fuse pool per suffix, named `zabt<pid>x<n>_<suffix>` (or just
 * `zabt<pid>x<n>` for an empty suffix). Starts the daemon when needed. Use with
 * `await using pools = await createFusePools(["src", "dst"])` or call `destroy()` in `finally`.
 *
 * Pools are created with `mountpoint=none` (inherited by every dataset created or received
 * below) unless `mounted` is true. Measured: with three test processes churning pools, reading a
 * freshly mounted dataset while other pools were mounted and unmounted wedged zfs-fuse in about
 * half the runs; without mounts, no run did. Ask for `mounted` only when a test needs files.
 */
export async function createFusePools(
  suffixes: readonly string[],
  sizeMiB = 256,
  opts: { mounted?: boolean } = {},
): Promise<FusePools> {
  for (const s of suffixes) {
    if (!SUFFIX.test(s)) throw new Error(`Creating pools failed: invalid pool suffix "${s}"`);
  }
  await ensureZfsFuse();
  const base = await reserveName(FUSE_POOL_DIR, FUSE_POOL_PREFIX);
  const dir = join(FUSE_POOL_DIR, base);
  const names = suffixes.map((s) => (s === "" ? base : `${base}_${s}`));
  const created: string[] = [];
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    await destroyFusePools(created, dir);
  };
  try {
    for (const name of names) {
      const file = join(dir, `${name}.img`);
      await Deno.writeFile(file, new Uint8Array());
      await Deno.truncate(file, sizeMiB * 1024 * 1024);
      const mount = opts.mounted ? [] : ["-m", "none"];
      await withLock(ZPOOL_LOCK, () => zpool(["create", ...mount, name, file]));
      created.push(name);
    }
  } catch (e) {
    await destroy();
    throw e;
  }
  return { names, dir, destroy, [Symbol.asyncDispose]: destroy };
}

/**
 * Destroys one pool; a missing pool counts as destroyed. Returns the error text on failure.
 * zfs-fuse often answers "pool is busy" for a moment after mount activity (measured: right
 * after `zfs create` of a child, and when two pools are destroyed at once); a retry some 200 ms
 * later succeeds, so busy is retried with backoff for up to `timeoutMs`.
 */
export async function destroyFusePool(name: string, timeoutMs = 15_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100;; delay = Math.min(delay * 2, 1000)) {
    const r = await withLock(ZPOOL_LOCK, () => spawnProcess(["zpool", "destroy", "-f", name]));
    if (r.code === 0 || /no such pool/i.test(r.stderr)) return undefined;
    if (!/busy/i.test(r.stderr) || Date.now() > deadline) return r.stderr.trim();
    await new Promise((res) => setTimeout(res, delay));
  }
}

/** Destroys the given pools (missing ones are fine) and removes the directory of their files. */
async function destroyFusePools(names: readonly string[], dir: string): Promise<void> {
  const failures: string[] = [];
  for (const name of names) {
    const error = await destroyFusePool(name);
    if (error !== undefined) failures.push(`"${name}": ${error}`);
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  if (failures.length) throw new Error(`Destroying zfs-fuse pools failed: ${failures.join("; ")}`);
}

/**
 * Destroys `zabt<pid>x...` pools and files left behind by test processes that no longer exist
 * (a crash or Ctrl-C mid-test). Pools of live processes are never touched. Returns the
 * destroyed pool names.
 */
export async function cleanupStaleFusePools(): Promise<string[]> {
  if (!await daemonAnswers()) return [];
  const pools = (await zpool(["list", "-H", "-o", "name"])).split("\n").filter(Boolean);
  const stale = pools.filter((p) => isStale(p));
  for (const name of stale) await destroyFusePool(name);
  try {
    for await (const entry of Deno.readDir(FUSE_POOL_DIR)) {
      if (isStale(entry.name)) await Deno.remove(join(FUSE_POOL_DIR, entry.name), { recursive: true });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return stale;
}

function isStale(name: string): boolean {
  const m = new RegExp(`^${FUSE_POOL_PREFIX}(\\d+)x\\d+`).exec(name);
  return m !== null && !pidAlive(Number(m[1]));
}
